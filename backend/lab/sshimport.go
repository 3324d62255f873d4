package lab

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/settings"
	"github.com/shakedown/shakedown/labs"
)

// SSHSource is a physical machine whose disk is read over SSH (P2V): the
// device is streamed with dd, never stored on the way.
type SSHSource struct {
	Address    string `json:"address"` // host:port
	User       string `json:"user"`
	Password   string `json:"password,omitempty"`
	PrivateKey string `json:"private_key,omitempty"`
	Device     string `json:"device"` // e.g. /dev/sda
	// HostKeyFingerprint pins the machine's host key (SHA256:… as ssh-keygen -l
	// prints it); InsecureIgnoreHostKey skips the check and is recorded.
	HostKeyFingerprint    string `json:"host_key_fingerprint,omitempty"`
	InsecureIgnoreHostKey bool   `json:"insecure_ignore_host_key,omitempty"`
	Host                  string `json:"host,omitempty"` // libvirt host to import into; none: the local one
}

// SSHHostKeyRequest names a machine whose SSH host key to read.
type SSHHostKeyRequest struct {
	Address string `json:"address"` // host:port
}

// SSHHostKey is the host key a machine presented, for the user to check
// against the machine (ssh-keygen -lf) before pinning it in an import.
type SSHHostKey struct {
	Address string `json:"address"`
	// Connected is the ip:port the host name resolved to and was read from.
	Connected   string `json:"connected"`
	Type        string `json:"type"`        // e.g. ssh-ed25519
	Fingerprint string `json:"fingerprint"` // SHA256:…
}

var devicePathRE = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)

func validAddress(address string) error {
	if host, port, err := net.SplitHostPort(address); err != nil || host == "" || port == "" {
		return apperr.Invalid("address", "Address must be host:port, e.g. db7.example.com:22.")
	}
	return nil
}

func (src *SSHSource) validate() error {
	if err := validAddress(src.Address); err != nil {
		return err
	}
	if src.User == "" || strings.ContainsAny(src.User, " \t\n:@") {
		return apperr.Invalid("user", "Give the SSH user.")
	}
	if src.Password == "" && src.PrivateKey == "" {
		return apperr.Invalid("password", "Give a password or a private key.")
	}
	if !devicePathRE.MatchString(src.Device) || strings.Contains(src.Device, "..") {
		return apperr.Invalid("device", "Device must be an absolute path such as /dev/sda.")
	}
	if src.HostKeyFingerprint == "" && !src.InsecureIgnoreHostKey {
		return apperr.Invalid("host_key_fingerprint", "Pin the machine's host key (SHA256:…): read it with POST /cis/{id}/images/ssh/fingerprint and check it against ssh-keygen -lf on the machine.")
	}
	if err := src.disk("").CheckKey(); err != nil {
		return apperr.Invalid("private_key", "The private key cannot be read: %v", err)
	}
	return nil
}

func (src *SSHSource) disk(dial string) labs.SSHDisk {
	return labs.SSHDisk{Address: src.Address, Dial: dial, User: src.User, Password: src.Password, PrivateKey: src.PrivateKey, Device: src.Device,
		HostKeyFingerprint: src.HostKeyFingerprint, InsecureIgnoreHostKey: src.InsecureIgnoreHostKey}
}

// importDial resolves the host of address (host:port) once and checks
// every address it resolves to against the networks disk imports may reach
// (settings.ImportNetworks; none: any). It returns the ip:port to connect
// to: the checked address itself, so that no second lookup can lead
// elsewhere between the check and the connection.
func (s *Service) importDial(ctx context.Context, address string) (string, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return "", validAddress(address)
	}
	var nets []string
	if s.settings != nil {
		st, err := s.settings.Get(ctx)
		if err != nil {
			return "", err
		}
		nets = st.ImportNetworks
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = s.lookup(ctx, host)
		if err != nil || len(addrs) == 0 {
			return "", apperr.Invalid("address", "%s does not resolve to an address.", host)
		}
	}
	if len(nets) > 0 {
		for _, a := range addrs {
			if !settings.Contains(nets, a) {
				name := host
				if a.Unmap().String() != host {
					name = fmt.Sprintf("%s (%s)", host, a.Unmap())
				}
				return "", apperr.Invalid("address", "%s is outside the networks disk imports may reach (%s); an admin sets them in the settings.",
					name, strings.Join(nets, ", "))
			}
		}
	}
	return net.JoinHostPort(addrs[0].Unmap().String(), port), nil
}

// SSHHostKey reads the host key a machine presents, without signing in,
// for the user to check against the machine and pin in an import. It may
// reach the same networks as an import.
func (s *Service) SSHHostKey(ctx context.Context, by auth.Actor, ciID int64, in SSHHostKeyRequest) (SSHHostKey, error) {
	if err := validAddress(in.Address); err != nil {
		return SSHHostKey{}, err
	}
	if _, err := s.releases.GetCI(ctx, ciID); err != nil {
		return SSHHostKey{}, err
	}
	dial, err := s.importDial(ctx, in.Address)
	if err != nil {
		return SSHHostKey{}, err
	}
	s.log.Info("read an ssh host key", "user", by.Username, "ci", ciID, "address", in.Address, "connected", dial)
	k, err := labs.ReadHostKey(ctx, in.Address, dial)
	if err != nil {
		return SSHHostKey{}, apperr.Invalid("address", "Could not read the host key of %s: %v", in.Address, err)
	}
	return SSHHostKey{Address: in.Address, Connected: dial, Type: k.Type, Fingerprint: k.Fingerprint}, nil
}

// connectFailed is what everyone but the importer and admins read of a
// failed connection to the machine.
const connectFailed = "Could not connect to the machine or read its disk."

// ImportCIImageSSH streams a physical machine's disk over SSH (dd) into the
// host's pool as an operation with progress and cancel. Only an admin may
// skip the host key check; the machine must be in the networks imports may
// reach, and is connected to at the address that was checked.
func (s *Service) ImportCIImageSSH(ctx context.Context, by auth.Actor, ciID int64, src SSHSource) (ops.Operation, error) {
	if src.InsecureIgnoreHostKey && !by.Has(auth.RoleAdmin) {
		return ops.Operation{}, apperr.Forbidden("Only an admin may import without checking the machine's host key (insecure_ignore_host_key). " +
			"Read its fingerprint (Fetch host key), check it on the machine with ssh-keygen -lf and pin it.")
	}
	if err := src.validate(); err != nil {
		return ops.Operation{}, err
	}
	if _, err := s.releases.GetCI(ctx, ciID); err != nil {
		return ops.Operation{}, err
	}
	dial, err := s.importDial(ctx, src.Address)
	if err != nil {
		return ops.Operation{}, err
	}
	origin := fmt.Sprintf("dd over ssh from %s@%s:%s", src.User, src.Address, src.Device)
	if src.InsecureIgnoreHostKey {
		origin += " (host key not checked)"
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "ci.image.import-ssh", Entity: "ci",
			EntityID: strconv.FormatInt(ciID, 10), After: map[string]any{"origin": origin, "host": src.Host, "connected": dial,
				"host_key_fingerprint": src.HostKeyFingerprint, "insecure_ignore_host_key": src.InsecureIgnoreHostKey}})
	})
	if err != nil {
		return ops.Operation{}, err
	}
	return s.ops.Start(ctx, by, ops.Spec{Kind: KindImport, Entity: "ci", EntityID: strconv.FormatInt(ciID, 10),
		Run: func(ctx context.Context, p *ops.Progress) error {
			ops.Report(p, ImportConnect, 1, "Connecting to "+src.Address)
			stream, err := labs.OpenSSHDisk(ctx, src.disk(dial))
			if err != nil {
				return ops.Private(err, connectFailed)
			}
			defer stream.Close()
			size := stream.Size
			ops.Report(p, ImportStream, 2, fmt.Sprintf("Streaming %s (%.1f GiB) from %s", src.Device, float64(size)/(1<<30), src.Address))
			start := time.Now()
			rd := &progressReader{r: stream, fn: func(n int64) {
				rate := float64(n) / time.Since(start).Seconds() / (1 << 20)
				ops.Report(p, ImportStream, 2+95*float64(n)/float64(size), fmt.Sprintf("%d of %d MiB at %.0f MiB/s", n>>20, size>>20, rate))
			}}
			img, err := s.ImportCIImage(ctx, by, ciID, src.Host, rd, size, origin)
			if err != nil {
				return err
			}
			ops.Report(p, ImportDone, 100, fmt.Sprintf("Imported %s as %s (%s)", src.Device, img.Volume, img.Format))
			return nil
		}})
}

type progressReader struct {
	r    io.Reader
	n    int64
	last int64
	fn   func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.last >= 8<<20 {
		p.last = p.n
		p.fn(p.n)
	}
	return n, err
}
