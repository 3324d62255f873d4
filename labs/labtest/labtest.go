// Package labtest helps the real-VM tests: it makes test production VMs
// and sweeps every test object (names starting with sdtest-) away.
package labtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs"
)

// Prefix starts the name of every object a test makes.
const Prefix = "sdtest-"

// Host returns the local libvirt host for real-VM tests and the test
// guest image, or skips when they are not enabled.
func Host(t *testing.T) (*labs.Host, labs.GuestImage) {
	t.Helper()
	if os.Getenv("SHAKEDOWN_VM_TESTS") == "" {
		t.Skip("real-VM test: set SHAKEDOWN_VM_TESTS=1 after scripts/libvirt.sh start and scripts/build-guest.sh (make test does)")
	}
	dir := os.Getenv("SHAKEDOWN_GUEST_DIR")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "build", "guest")
	}
	g, err := labs.LoadGuestImage(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := labs.NewHost(labs.HostConfig{Name: "local", URI: "qemu:///system", PoolDir: "/var/lib/shakedown/pool"})
	t.Cleanup(func() { h.Close() })
	return h, g
}

// RepoRoot finds the repository root from the test's directory.
func RepoRoot(t testing.TB) string {
	dir, _ := os.Getwd()
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("no go.mod above " + dir)
	return ""
}

// Sweep removes test domains, networks and volumes: those whose names
// start with prefix (a test's own sdtest-… prefix), and those match says.
func Sweep(t *testing.T, h *labs.Host, prefix string, match func(name string) bool) {
	ours := func(name string) bool { return strings.HasPrefix(name, prefix) || (match != nil && match(name)) }
	if _, err := h.Sweep(context.Background(), ours); err != nil {
		t.Errorf("sweep: %v", err)
	}
}

// SSHD is a real OpenSSH server on loopback for P2V and SSH target tests.
type SSHD struct {
	Addr        string
	Fingerprint string // of its host key, SHA256:…
	PrivateKey  string // a client key it accepts for root
	Dir         string
	PID         int // the listening sshd; connections are its children

	// With SSHDOptions.User: an unprivileged account that signs in with
	// Password (or PrivateKey) and may sudo with the same password.
	User     string
	Password string
	UID      int
	Home     string
}

// SSHDOptions changes the test sshd's own configuration.
type SSHDOptions struct {
	// MaxStartups and MaxSessions raise sshd's limits for tests that open
	// many connections or channels at once; zero keeps sshd's defaults
	// (10:30:100 unauthenticated connections, 10 channels per connection).
	MaxStartups int
	MaxSessions int
	// User adds an unprivileged account that exists only for this sshd:
	// sshd runs in a private mount namespace where copies of /etc/passwd,
	// /etc/group, /etc/shadow and /etc/sudoers hold it, so that the
	// machine's own files are never changed.
	User bool
}

// StartSSHD runs /usr/sbin/sshd -D on a free loopback port with its own
// host key and one authorised client key, until the test ends.
func StartSSHD(t testing.TB) SSHD { return StartSSHDWith(t, SSHDOptions{}) }

// StartSSHDWith is StartSSHD with options. It skips the test when
// openssh-server is missing (or, for User, when mount namespaces are not
// allowed), with the reason.
func StartSSHDWith(t testing.TB, o SSHDOptions) SSHD {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		t.Skip("openssh-server is not installed (scripts/install-deps.sh installs it)")
	}
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "hostkey"))
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "client"))
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	write("authorized_keys", string(pub), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cfg := fmt.Sprintf("Port %s\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nPidFile %s\nSubsystem sftp internal-sftp\n",
		port, filepath.Join(dir, "hostkey"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	if o.MaxStartups > 0 {
		cfg += fmt.Sprintf("MaxStartups %d\n", o.MaxStartups)
	}
	if o.MaxSessions > 0 {
		cfg += fmt.Sprintf("MaxSessions %d\n", o.MaxSessions)
	}
	s := SSHD{Addr: addr, Dir: dir}
	var mounts []string // "copy target" pairs bound over /etc in sshd's own mount namespace
	if o.User {
		if err := exec.Command("unshare", "--mount", "--propagation", "private", "true").Run(); err != nil {
			t.Skipf("a test account needs a private mount namespace (unshare --mount, as root): %v", err)
		}
		s.User, s.Password, s.UID = "sdtest", randomHex(t, 12), freeUID(t)
		home, err := os.MkdirTemp("", "sdtest-home-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(home) })
		if err := os.Chmod(home, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(home, s.UID, s.UID); err != nil {
			t.Fatal(err)
		}
		s.Home = home
		// The client key signs the account in too (sshd reads a user's
		// keys as that user: a copy in its home).
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), pub, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(home, ".ssh"), filepath.Join(home, ".ssh", "authorized_keys")} {
			if err := os.Chown(p, s.UID, s.UID); err != nil {
				t.Fatal(err)
			}
		}
		cfg = strings.Replace(cfg, "AuthorizedKeysFile "+filepath.Join(dir, "authorized_keys"), "AuthorizedKeysFile "+filepath.Join(dir, "authorized_keys")+" .ssh/authorized_keys", 1)
		hash := strings.TrimSpace(run("openssl", "passwd", "-6", s.Password))
		appendTo := func(etc, line string, mode os.FileMode) {
			old, err := os.ReadFile(etc)
			if err != nil {
				t.Fatal(err)
			}
			if len(old) > 0 && old[len(old)-1] != '\n' {
				old = append(old, '\n')
			}
			mounts = append(mounts, write(filepath.Base(etc), string(old)+line+"\n", mode), etc)
		}
		appendTo("/etc/passwd", fmt.Sprintf("%s:x:%d:%d:Shakedown test:%s:/bin/sh", s.User, s.UID, s.UID, home), 0o644)
		appendTo("/etc/group", fmt.Sprintf("%s:x:%d:", s.User, s.UID), 0o644)
		appendTo("/etc/shadow", fmt.Sprintf("%s:%s:19000:0:99999:7:::", s.User, hash), 0o640)
		if _, err := os.Stat("/etc/sudoers"); err == nil {
			// A password at every sudo, so that tests see the prompt each time.
			appendTo("/etc/sudoers", fmt.Sprintf("Defaults:%s timestamp_timeout=0, lecture=never\n%s ALL=(ALL:ALL) ALL", s.User, s.User), 0o440)
		}
		cfg += "PasswordAuthentication yes\n"
	} else {
		cfg += "PasswordAuthentication no\n"
	}
	cfgPath := write("sshd_config", cfg, 0o600)
	os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	sshd := "exec /usr/sbin/sshd -D -e -f " + cfgPath
	var cmd *exec.Cmd
	if len(mounts) > 0 {
		script := ""
		for i := 0; i < len(mounts); i += 2 {
			script += fmt.Sprintf("mount --bind %s %s && ", mounts[i], mounts[i+1])
		}
		cmd = exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script+sshd)
	} else {
		cmd = exec.Command("sh", "-c", sshd)
	}
	// A file, not a pipe: Wait would wait for every connection's sshd,
	// which inherits it.
	logs, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.PID = cmd.Process.Pid // unshare and sh exec, so this is sshd itself
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	up := false
	for i := 0; i < 100 && !up; i++ {
		select {
		case <-exited:
			out, _ := os.ReadFile(logs.Name())
			t.Fatalf("sshd exited at start: %s", out)
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			up = true
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !up {
		t.Fatalf("sshd does not listen on %s after 5 s", addr)
	}
	s.Fingerprint = strings.Fields(run("ssh-keygen", "-lf", filepath.Join(dir, "hostkey.pub")))[1]
	key, err := os.ReadFile(filepath.Join(dir, "client"))
	if err != nil {
		t.Fatal(err)
	}
	s.PrivateKey = string(key)
	return s
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// freeUID returns a uid no account of the machine uses.
func freeUID(t testing.TB) int {
	for uid := 64100; uid < 65000; uid++ {
		if _, err := user.LookupId(strconv.Itoa(uid)); err != nil {
			return uid
		}
	}
	t.Fatal("no free uid in 64100–64999")
	return 0
}
