package labs

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
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
	HostKeyFingerprint    string `json:"host_key_fingerprint"`
	InsecureIgnoreHostKey bool   `json:"insecure_ignore_host_key"`
	Host                  string `json:"host"` // libvirt host to import into
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
	return nil
}

func (src *SSHSource) config() (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: src.User, Timeout: 15 * time.Second}
	if src.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(src.PrivateKey))
		if err != nil {
			return nil, apperr.Invalid("private_key", "The private key cannot be read: %v", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if src.Password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(src.Password))
	}
	if src.InsecureIgnoreHostKey {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	} else {
		want := src.HostKeyFingerprint
		cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
			sum := sha256.Sum256(key.Marshal())
			got := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
			if got != want {
				return fmt.Errorf("host key %s does not match the pinned %s", got, want)
			}
			return nil
		}
	}
	return cfg, nil
}

// ImportCIImageSSH streams a physical machine's disk over SSH (dd) into the
// host's pool as an operation with progress and cancel.
func (s *Service) ImportCIImageSSH(ctx context.Context, by auth.Actor, ciID int64, src SSHSource) (ops.Operation, error) {
	if err := src.validate(); err != nil {
		return ops.Operation{}, err
	}
	if _, err := s.catalog.CI(ctx, ciID); err != nil {
		return ops.Operation{}, err
	}
	cfg, err := src.config()
	if err != nil {
		return ops.Operation{}, err
	}
	origin := fmt.Sprintf("dd over ssh from %s@%s:%s", src.User, src.Address, src.Device)
	if src.InsecureIgnoreHostKey {
		origin += " (host key not checked)"
	}
	return s.ops.Start(ctx, by, ops.Spec{Kind: "ci.import", Entity: "ci", EntityID: strconv.FormatInt(ciID, 10),
		Run: func(ctx context.Context, p *ops.Progress) error {
			p.Update("connect", 1, "Connecting to "+src.Address)
			client, err := ssh.Dial("tcp", src.Address, cfg)
			if err != nil {
				return fmt.Errorf("ssh to %s: %w", src.Address, err)
			}
			defer client.Close()
			go func() { <-ctx.Done(); client.Close() }() // a cancel ends the stream
			size, err := remoteSize(client, src.Device)
			if err != nil {
				return err
			}
			sess, err := client.NewSession()
			if err != nil {
				return err
			}
			defer sess.Close()
			out, err := sess.StdoutPipe()
			if err != nil {
				return err
			}
			if err := sess.Start("dd if=" + shellQuote(src.Device) + " bs=4M status=none"); err != nil {
				return fmt.Errorf("start dd on %s: %w", src.Address, err)
			}
			p.Update("stream", 2, fmt.Sprintf("Streaming %s (%.1f GiB) from %s", src.Device, float64(size)/(1<<30), src.Address))
			start := time.Now()
			rd := &progressReader{r: out, fn: func(n int64) {
				rate := float64(n) / time.Since(start).Seconds() / (1 << 20)
				p.Update("stream", 2+95*float64(n)/float64(size), fmt.Sprintf("%d of %d MiB at %.0f MiB/s", n>>20, size>>20, rate))
			}}
			img, err := s.ImportCIImage(ctx, by, ciID, src.Host, rd, size, origin)
			if err != nil {
				return err
			}
			p.Update("done", 100, fmt.Sprintf("Imported %s as %s (%s)", src.Device, img.Volume, img.Format))
			return nil
		}})
}

func remoteSize(client *ssh.Client, device string) (int64, error) {
	sess, err := client.NewSession()
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	q := shellQuote(device)
	out, err := sess.Output("blockdev --getsize64 " + q + " 2>/dev/null || stat -L -c %s " + q)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", device, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size of %s: %q is not a size", device, out)
	}
	return n, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

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
