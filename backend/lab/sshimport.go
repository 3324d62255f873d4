package lab

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
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

var devicePathRE = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)

func (src *SSHSource) validate() error {
	if _, _, err := net.SplitHostPort(src.Address); err != nil {
		return apperr.Invalid("address", "Address must be host:port, e.g. db7.example.com:22.")
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
		return apperr.Invalid("host_key_fingerprint", "Pin the machine's host key (SHA256:… from ssh-keygen -lf), or set insecure_ignore_host_key.")
	}
	if err := src.disk().CheckKey(); err != nil {
		return apperr.Invalid("private_key", "The private key cannot be read: %v", err)
	}
	return nil
}

func (src *SSHSource) disk() labs.SSHDisk {
	return labs.SSHDisk{Address: src.Address, User: src.User, Password: src.Password, PrivateKey: src.PrivateKey, Device: src.Device,
		HostKeyFingerprint: src.HostKeyFingerprint, InsecureIgnoreHostKey: src.InsecureIgnoreHostKey}
}

// ImportCIImageSSH streams a physical machine's disk over SSH (dd) into the
// host's pool as an operation with progress and cancel.
func (s *Service) ImportCIImageSSH(ctx context.Context, by auth.Actor, ciID int64, src SSHSource) (ops.Operation, error) {
	if err := src.validate(); err != nil {
		return ops.Operation{}, err
	}
	if _, err := s.releases.GetCI(ctx, ciID); err != nil {
		return ops.Operation{}, err
	}
	origin := fmt.Sprintf("dd over ssh from %s@%s:%s", src.User, src.Address, src.Device)
	if src.InsecureIgnoreHostKey {
		origin += " (host key not checked)"
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "ci.image.import-ssh", Entity: "ci",
			EntityID: strconv.FormatInt(ciID, 10), After: map[string]any{"origin": origin, "host": src.Host,
				"host_key_fingerprint": src.HostKeyFingerprint, "insecure_ignore_host_key": src.InsecureIgnoreHostKey}})
	})
	if err != nil {
		return ops.Operation{}, err
	}
	return s.ops.Start(ctx, by, ops.Spec{Kind: KindImport, Entity: "ci", EntityID: strconv.FormatInt(ciID, 10),
		Run: func(ctx context.Context, p *ops.Progress) error {
			ops.Report(p, ImportConnect, 1, "Connecting to "+src.Address)
			stream, err := labs.OpenSSHDisk(ctx, src.disk())
			if err != nil {
				return err
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
