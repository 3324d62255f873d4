package sshtarget_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

// Kinds as backend/apperr reads them.
type (
	unavailable interface{ Unavailable() bool }
	invalid     interface{ Invalid() bool }
	conflict    interface{ Conflict() bool }
)

func TestDialWithKeyAndPinnedKeyLine(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	c := dial(t, rootConfig(t, s))
	if got := c.HostKeyFingerprint(); got != s.Fingerprint {
		t.Errorf("host key fingerprint %s, ssh-keygen says %s", got, s.Fingerprint)
	}
	if out := strings.TrimSpace(string(run(t, c, "id -un", sshtarget.RunOptions{}).Stdout)); out != "root" {
		t.Errorf("signed in as %q, want root", out)
	}
}

func TestDialWithPinnedFingerprint(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	lf, err := exec.Command("ssh-keygen", "-lf", filepath.Join(s.Dir, "hostkey.pub")).Output()
	if err != nil {
		t.Fatal(err)
	}
	// The fingerprint alone, and ssh-keygen -l's whole line as an admin may paste it.
	for _, p := range []string{s.Fingerprint, strings.TrimSpace(string(lf))} {
		cfg := rootConfig(t, s)
		cfg.HostKey = p
		c := dial(t, cfg)
		run(t, c, "true", sshtarget.RunOptions{})
	}
}

func TestDialWithPassword(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{User: true})
	c := dial(t, userConfig(s))
	out := strings.TrimSpace(string(run(t, c, "id -u; pwd", sshtarget.RunOptions{}).Stdout))
	if want := strconv.Itoa(s.UID) + "\n" + s.Home; out != want {
		t.Errorf("id -u; pwd said %q, want %q", out, want)
	}
}

func TestDialWithEncryptedKey(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "open sesame", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	f, err := os.OpenFile(filepath.Join(s.Dir, "authorized_keys"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(pub)
	f.Close()
	pem, _ := os.ReadFile(key)
	cfg := rootConfig(t, s)
	cfg.PrivateKey, cfg.Passphrase = pem, "open sesame"
	run(t, dial(t, cfg), "true", sshtarget.RunOptions{})

	for _, pass := range []string{"", "wrong"} {
		cfg.Passphrase = pass
		_, err := sshtarget.Dial(context.Background(), cfg)
		var ce *sshtarget.ConfigError
		if !errors.As(err, &ce) || ce.Field != "passphrase" {
			t.Errorf("passphrase %q: %v, want a ConfigError on passphrase", pass, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	good := sshtarget.Config{Addr: "127.0.0.1:22", User: "root", Password: "x", HostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}
	cases := []struct {
		field  string
		change func(*sshtarget.Config)
	}{
		{"addr", func(c *sshtarget.Config) { c.Addr = "" }},
		{"user", func(c *sshtarget.Config) { c.User = "" }},
		{"password", func(c *sshtarget.Config) { c.Password = "" }},
		{"hostKey", func(c *sshtarget.Config) { c.HostKey = "" }},
		{"hostKey", func(c *sshtarget.Config) { c.HostKey = "SHA256:tooshort" }},
		{"hostKey", func(c *sshtarget.Config) { c.HostKey = "ssh-ed25519 notbase64!" }},
		{"privateKey", func(c *sshtarget.Config) { c.PrivateKey = []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n") }},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("the good config: %v", err)
	}
	for _, tc := range cases {
		cfg := good
		tc.change(&cfg)
		err := cfg.Validate()
		var ce *sshtarget.ConfigError
		var inv invalid
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.As(err, &inv) || !inv.Invalid() {
			t.Errorf("%s: %v, want an Invalid ConfigError on %s", tc.field, err, tc.field)
		}
		if _, derr := sshtarget.Dial(context.Background(), cfg); derr == nil || derr.Error() != err.Error() {
			t.Errorf("%s: Dial said %v, Validate %v", tc.field, derr, err)
		}
	}
	insecure := good
	insecure.HostKey, insecure.InsecureIgnoreHostKey = "", true
	if err := insecure.Validate(); err != nil {
		t.Errorf("InsecureIgnoreHostKey without a pin: %v", err)
	}
}

// A wrong pin stops the connection and names both fingerprints.
func TestHostKeyMismatch(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	other := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	lf, _ := exec.Command("ssh-keygen", "-lf", other+".pub").Output()
	otherFP := strings.Fields(string(lf))[1]
	pub, _ := os.ReadFile(other + ".pub")
	for _, p := range []string{strings.TrimSpace(string(pub)), otherFP} {
		cfg := rootConfig(t, s)
		cfg.HostKey = p
		c, err := sshtarget.Dial(context.Background(), cfg)
		if err == nil {
			c.Close()
			t.Fatalf("pin %s: connected to a host with key %s", p, s.Fingerprint)
		}
		var m *sshtarget.HostKeyMismatchError
		if !errors.As(err, &m) {
			t.Fatalf("pin %s: %v, want a HostKeyMismatchError", p, err)
		}
		if m.Got != s.Fingerprint || m.Want != otherFP || m.GotType != "ssh-ed25519" {
			t.Errorf("mismatch says got %s (%s) want %s; the host has %s, the pin is %s", m.Got, m.GotType, m.Want, s.Fingerprint, otherFP)
		}
		msg := err.Error()
		if !strings.Contains(msg, s.Fingerprint) || !strings.Contains(msg, otherFP) || !strings.Contains(msg, "does not match the pinned key") {
			t.Errorf("message does not say it plainly: %s", msg)
		}
		var k conflict
		if !errors.As(err, &k) || !k.Conflict() {
			t.Errorf("a mismatch should be a Conflict for the API")
		}
	}
}

func TestAuthFailures(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{User: true})
	stranger := filepath.Join(t.TempDir(), "stranger")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	unknownKey, _ := os.ReadFile(stranger)
	wrongPassword := userConfig(s)
	wrongPassword.Password = "not-" + s.Password
	unknownRootKey := rootConfig(t, s)
	unknownRootKey.PrivateKey = unknownKey
	rootPassword := rootConfig(t, s) // the test sshd allows root keys only
	rootPassword.PrivateKey, rootPassword.Password = nil, s.Password
	for name, cfg := range map[string]sshtarget.Config{"wrong password": wrongPassword, "unknown key": unknownRootKey, "root by password": rootPassword} {
		start := time.Now()
		_, err := sshtarget.Dial(context.Background(), cfg)
		var ae *sshtarget.AuthError
		if !errors.As(err, &ae) {
			t.Errorf("%s: %v, want an AuthError", name, err)
			continue
		}
		var inv invalid
		if !errors.As(err, &inv) || !inv.Invalid() {
			t.Errorf("%s: an auth failure should be Invalid for the API", name)
		}
		if !strings.Contains(err.Error(), `user "`+cfg.User+`"`) || !strings.Contains(err.Error(), s.Addr) {
			t.Errorf("%s: the message names neither user nor target: %s", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s", name, d)
		}
	}
}

// FetchHostKey reads what ssh-keygen -lf says of the sshd's host key file.
func TestFetchHostKey(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	out, err := exec.Command("ssh-keygen", "-lf", filepath.Join(s.Dir, "hostkey.pub")).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))[1]
	k, err := sshtarget.FetchHostKey(context.Background(), s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if k.Fingerprint != want {
		t.Errorf("fingerprint %s, ssh-keygen -lf says %s", k.Fingerprint, want)
	}
	if line := hostKeyLine(t, s); k.Line != line {
		t.Errorf("line %q, the key file holds %q", k.Line, line)
	}
	// What it returns pins the host.
	cfg := rootConfig(t, s)
	cfg.HostKey = k.Line
	run(t, dial(t, cfg), "true", sshtarget.RunOptions{})
}

// freePort is a loopback port nothing listens on.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachable(t *testing.T) {
	// A port that accepts and hangs up: not sshd, or one past MaxStartups.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	// A port that accepts and says nothing.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	cases := []struct {
		name, addr string
		says       string
		within     time.Duration
	}{
		{"refused", freePort(t), "connection refused", time.Second},
		{"hangs up", ln.Addr().String(), "closed the connection before the SSH handshake", time.Second},
		{"silent", mute.Addr().String(), "did not answer within 500ms", 2 * time.Second},
		{"no such host", "sdtest-no-such-host.invalid:22", "", 5 * time.Second}, // a resolver error or a timeout
	}
	for _, tc := range cases {
		cfg := sshtarget.Config{Addr: tc.addr, User: "root", Password: "x", HostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", DialTimeout: 500 * time.Millisecond}
		start := time.Now()
		_, err := sshtarget.Dial(context.Background(), cfg)
		took := time.Since(start)
		var ue *sshtarget.UnreachableError
		var un unavailable
		if !errors.As(err, &ue) || !errors.As(err, &un) || !un.Unavailable() {
			t.Errorf("%s: %v, want an Unavailable UnreachableError", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.addr) { // "" is in every string
			t.Errorf("%s: message %q should name %s and say %q", tc.name, err, tc.addr, tc.says)
		}
		if took > tc.within {
			t.Errorf("%s: took %s, want under %s", tc.name, took, tc.within)
		}
		t.Logf("%s: %s in %s", tc.name, err, took.Round(time.Millisecond))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err = sshtarget.FetchHostKey(ctx, tc.addr)
		cancel()
		if !errors.As(err, &un) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: FetchHostKey said %v, want Unavailable saying %q", tc.name, err, tc.says)
		}
	}
}

// An unanswered keepalive ends the connection: what waits on it fails
// with a LostError instead of hanging.
func TestKeepaliveDetectsDeadPeer(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	cfg := rootConfig(t, s)
	cfg.KeepAlive = 200 * time.Millisecond
	c := dial(t, cfg)
	run(t, c, "true", sshtarget.RunOptions{})
	time.Sleep(500 * time.Millisecond) // keepalives are answered while the peer lives
	run(t, c, "true", sshtarget.RunOptions{})

	// Freeze this connection's sshd processes (children of our test sshd).
	frozen := descendants(s.PID)
	if len(frozen) == 0 {
		t.Fatal("no sshd process serves the connection")
	}
	for _, p := range frozen {
		syscall.Kill(p, syscall.SIGSTOP)
	}
	t.Cleanup(func() {
		for _, p := range frozen {
			syscall.Kill(p, syscall.SIGCONT)
		}
	})
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Run(ctx, "true", sshtarget.RunOptions{})
	var lost *sshtarget.LostError
	var un unavailable
	if !errors.As(err, &lost) || !errors.As(err, &un) || !un.Unavailable() {
		t.Fatalf("a Run on a frozen peer: %v, want an Unavailable LostError", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the dead peer was noticed after %s", d)
	}
	t.Logf("%s after %s", err, time.Since(start).Round(time.Millisecond))
}

func TestRunAfterClose(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	c := dial(t, rootConfig(t, s))
	c.Close()
	if _, err := c.Run(context.Background(), "true", sshtarget.RunOptions{}); !errors.Is(err, sshtarget.ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
}
