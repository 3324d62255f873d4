// Package sshtarget drives deployment targets over SSH for the promotion
// engine: one connection per target, reused for every step, commands with
// exit codes and capped output, cancellation that ends the remote process,
// sudo, and atomic SFTP uploads checked by their SHA-256 on the target.
// It knows nothing of releases and imports nothing from backend/.
//
// How it behaves:
//   - Host keys are pinned (a key line or a SHA256 fingerprint, read once
//     with FetchHostKey for an administrator to check); a mismatch is a
//     HostKeyMismatchError before any credential is sent.
//   - A Conn bounds its concurrent channels (DefaultMaxSessions 8, under
//     sshd's MaxSessions 10) and sends keepalives; a peer that stops
//     answering ends the Conn with a LostError.
//   - Commands run through the target's login shell, which must be a
//     POSIX shell (sh, bash, dash, ksh, zsh). Each first prints its process
//     group id on stderr (taken out of the stream), so that a cancel can
//     end the whole group: sshd refuses "signal" requests for root logins.
//   - Sudo: "sudo -n" without a password; with one, "sudo -S" with a
//     random prompt, answered only when sudo asks, and the caller's stdin
//     flows only once the root shell has printed a random token.
//   - Result keeps the last DefaultMaxOutput (1 MiB) of stdout and of
//     stderr; RunOptions writers stream all of it.
//   - Uploads go over SFTP to a temporary name and are renamed into place;
//     with sudo they are staged in a private directory of the user and
//     installed by "sudo install" (see Upload).
package sshtarget

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults for the zero values of Config and RunOptions.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultKeepAlive   = 30 * time.Second
	// DefaultMaxSessions stays under sshd's MaxSessions 10, the channels
	// it allows per connection, leaving two for killing cancelled commands.
	DefaultMaxSessions = 8
	// DefaultMaxOutput caps what a Result keeps of stdout and of stderr.
	DefaultMaxOutput = 1 << 20
)

// Config says how to reach and sign in to one target.
type Config struct {
	Addr string // host:port; the port defaults to 22
	User string
	// Password, PrivateKey or both (the key is tried first). PrivateKey is
	// PEM or OpenSSH format; Passphrase opens an encrypted one.
	Password   string
	PrivateKey []byte
	Passphrase string
	// HostKey pins the target's host key: an authorized_keys or known_hosts
	// line ("ssh-ed25519 AAAA…") or a fingerprint ("SHA256:…", as
	// ssh-keygen -l prints it). Required unless InsecureIgnoreHostKey.
	HostKey               string
	InsecureIgnoreHostKey bool
	// Sudo runs commands (and installs uploads) as root through sudo:
	// "sudo -n" without SudoPassword, else "sudo -S" fed the password
	// only when sudo asks for it.
	Sudo         bool
	SudoPassword string
	DialTimeout  time.Duration // TCP connect plus SSH handshake; 0: DefaultDialTimeout
	KeepAlive    time.Duration // interval of keepalive requests; 0: DefaultKeepAlive, <0: none
	MaxSessions  int           // concurrent channels on the connection; 0: DefaultMaxSessions
}

// Validate checks the configuration without connecting.
func (c Config) Validate() error {
	_, _, err := c.clientConfig()
	return err
}

// addr returns Addr with the default port added.
func (c Config) addr() string {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return net.JoinHostPort(strings.Trim(c.Addr, "[]"), "22")
	}
	return c.Addr
}

func (c Config) dialTimeout() time.Duration {
	if c.DialTimeout > 0 {
		return c.DialTimeout
	}
	return DefaultDialTimeout
}

// pin is a parsed Config.HostKey.
type pin struct {
	fingerprint string
	key         ssh.PublicKey // nil for a fingerprint pin
}

// parsePin reads a host key pin.
func parsePin(s string) (pin, error) {
	s = strings.TrimSpace(s)
	// A fingerprint alone, or ssh-keygen -l's line "256 SHA256:… comment (ED25519)".
	f := strings.Fields(s)
	if len(f) > 1 && strings.HasPrefix(f[1], "SHA256:") {
		if _, err := strconv.Atoi(f[0]); err == nil {
			f = f[1:]
		}
	}
	if len(f) > 0 && strings.HasPrefix(f[0], "SHA256:") {
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(f[0], "SHA256:"))
		if err != nil || len(b) != sha256.Size {
			return pin{}, &ConfigError{Field: "hostKey", Message: "The host key fingerprint " + f[0] + " is not a SHA256 fingerprint as ssh-keygen -l prints it."}
		}
		return pin{fingerprint: f[0]}, nil
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return pin{}, &ConfigError{Field: "hostKey", Message: "The pinned host key is neither a public key line (\"ssh-ed25519 AAAA…\") nor a SHA256:… fingerprint."}
	}
	return pin{fingerprint: Fingerprint(key), key: key}, nil
}

// Fingerprint is the SHA256 fingerprint of a key as ssh-keygen -l prints it.
func Fingerprint(key ssh.PublicKey) string {
	sum := sha256.Sum256(key.Marshal())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// hostKeyAlgorithms makes the server present the pinned key's type when
// it has several host keys.
func hostKeyAlgorithms(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

// clientConfig builds the x/crypto configuration and the pin; mismatch
// receives the host key error, if any, as the handshake cannot return it
// typed.
func (c Config) clientConfig() (*ssh.ClientConfig, *pin, error) {
	if c.Addr == "" {
		return nil, nil, &ConfigError{Field: "addr", Message: "The SSH target needs an address (host:port)."}
	}
	if c.User == "" {
		return nil, nil, &ConfigError{Field: "user", Message: "The SSH target needs a user to sign in as."}
	}
	cfg := &ssh.ClientConfig{User: c.User, Timeout: c.dialTimeout()}
	if len(c.PrivateKey) > 0 {
		signer, err := ssh.ParsePrivateKey(c.PrivateKey)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			if c.Passphrase == "" {
				return nil, nil, &ConfigError{Field: "passphrase", Message: "The private key is encrypted: give its passphrase."}
			}
			signer, err = ssh.ParsePrivateKeyWithPassphrase(c.PrivateKey, []byte(c.Passphrase))
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, nil, &ConfigError{Field: "passphrase", Message: "The passphrase does not open the private key."}
			}
		}
		if err != nil {
			return nil, nil, &ConfigError{Field: "privateKey", Message: "The private key cannot be read (PEM or OpenSSH format expected): " + err.Error()}
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(c.Password))
	}
	if len(cfg.Auth) == 0 {
		return nil, nil, &ConfigError{Field: "password", Message: "The SSH target needs a private key or a password."}
	}
	if c.InsecureIgnoreHostKey {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey()
		return cfg, nil, nil
	}
	if c.HostKey == "" {
		return nil, nil, &ConfigError{Field: "hostKey", Message: "The SSH target's host key must be pinned (read it with a fingerprint request and check it on the machine), or the check skipped explicitly."}
	}
	p, err := parsePin(c.HostKey)
	if err != nil {
		return nil, nil, err
	}
	if p.key != nil {
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(p.key)
	}
	return cfg, &p, nil
}

// check compares a presented key with the pin.
func (p *pin) check(addr string, key ssh.PublicKey) error {
	if p.key != nil && bytes.Equal(p.key.Marshal(), key.Marshal()) {
		return nil
	}
	if got := Fingerprint(key); p.key == nil && got == p.fingerprint {
		return nil
	}
	return &HostKeyMismatchError{Addr: addr, Got: Fingerprint(key), GotType: key.Type(), Want: p.fingerprint}
}
