package labs

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHDisk is a physical machine's block device read over SSH (P2V).
type SSHDisk struct {
	Address    string // host:port
	User       string
	Password   string
	PrivateKey string
	Device     string // e.g. /dev/sda
	// HostKeyFingerprint pins the machine's host key (SHA256:… as
	// ssh-keygen -l prints it); InsecureIgnoreHostKey skips the check.
	HostKeyFingerprint    string
	InsecureIgnoreHostKey bool
	// Dial is the ip:port actually connected to, the address Address was
	// resolved to and checked as (so that no second lookup can lead
	// elsewhere); empty: Address.
	Dial string
}

// Fingerprint is the SHA256 fingerprint of a host key as ssh-keygen -l prints it.
func Fingerprint(key ssh.PublicKey) string {
	sum := sha256.Sum256(key.Marshal())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// HostKey is a machine's SSH host key as it presented it.
type HostKey struct {
	Type        string // e.g. ssh-ed25519
	Fingerprint string // SHA256:…
	// AuthorizedKey is the key as one line of authorized_keys or
	// known_hosts (without a host name): "ssh-ed25519 AAAA…".
	AuthorizedKey string
}

// errGotKey ends a handshake once the host key is known, before any
// authentication.
var errGotKey = errors.New("host key read")

// ReadHostKey connects to dial (ip:port), runs the SSH handshake until the
// machine has presented its host key and returns that key, without
// authenticating. address is the host:port the user named, for messages.
func ReadHostKey(ctx context.Context, address, dial string) (HostKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", cmp.Or(dial, address))
	if err != nil {
		return HostKey{}, fmt.Errorf("ssh to %s: %w", address, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var key HostKey
	cfg := &ssh.ClientConfig{User: "shakedown", HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
		key = HostKey{Type: k.Type(), Fingerprint: Fingerprint(k), AuthorizedKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))}
		return errGotKey
	}}
	_, _, _, err = ssh.NewClientConn(conn, address, cfg)
	if key.Fingerprint != "" {
		return key, nil
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return HostKey{}, fmt.Errorf("ssh to %s: %w", address, err)
}

// HostKeyMismatchError says the machine answered with another host key
// than the pinned one.
type HostKeyMismatchError struct{ Got, Want string }

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key %s does not match the pinned %s", e.Got, e.Want)
}

func (d SSHDisk) config() (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: d.User, Timeout: 15 * time.Second}
	if d.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(d.PrivateKey))
		if err != nil {
			return nil, fmt.Errorf("the private key cannot be read: %w", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if d.Password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(d.Password))
	}
	if d.InsecureIgnoreHostKey {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	} else {
		want := d.HostKeyFingerprint
		cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if got := Fingerprint(key); got != want {
				return &HostKeyMismatchError{Got: got, Want: want}
			}
			return nil
		}
	}
	return cfg, nil
}

// CheckKey parses the private key, if any, so that a bad one is refused
// before anything connects.
func (d SSHDisk) CheckKey() error {
	_, err := d.config()
	return err
}

// DiskStream is an open read of a remote device: Size bytes to read, then Close.
type DiskStream struct {
	io.Reader
	Size   int64
	client *ssh.Client
	sess   *ssh.Session
	stop   func() bool
}

// Close ends the remote dd and the connection.
func (s *DiskStream) Close() error {
	s.stop()
	s.sess.Close()
	return s.client.Close()
}

// OpenSSHDisk connects, measures the device and starts streaming it with
// dd; the stream is never stored on the way. Cancelling ctx ends it.
func OpenSSHDisk(ctx context.Context, d SSHDisk) (*DiskStream, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	dialer := net.Dialer{Timeout: cfg.Timeout}
	conn, err := dialer.DialContext(ctx, "tcp", cmp.Or(d.Dial, d.Address))
	if err != nil {
		return nil, fmt.Errorf("ssh to %s: %w", d.Address, err)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, d.Address, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh to %s: %w", d.Address, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	stop := context.AfterFunc(ctx, func() { client.Close() }) // a cancel ends the stream
	fail := func(err error) (*DiskStream, error) {
		stop()
		client.Close()
		return nil, err
	}
	size, err := remoteSize(client, d.Device)
	if err != nil {
		return fail(err)
	}
	sess, err := client.NewSession()
	if err != nil {
		return fail(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := sess.Start("dd if=" + shellQuote(d.Device) + " bs=4M status=none"); err != nil {
		return fail(fmt.Errorf("start dd on %s: %w", d.Address, err))
	}
	return &DiskStream{Reader: out, Size: size, client: client, sess: sess, stop: stop}, nil
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
