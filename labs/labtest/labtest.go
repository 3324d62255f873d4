// Package labtest helps the real-VM tests: it makes test production VMs
// and sweeps every test object (names starting with sdtest-) away.
package labtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
func RepoRoot(t *testing.T) string {
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

// SSHD is a real OpenSSH server on loopback for P2V tests.
type SSHD struct {
	Addr        string
	Fingerprint string // of its host key, SHA256:…
	PrivateKey  string // a client key it accepts for root
	Dir         string
}

// StartSSHD runs /usr/sbin/sshd -D on a free loopback port with its own
// host key and one authorised client key, until the test ends.
func StartSSHD(t *testing.T) SSHD {
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
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "hostkey"))
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "client"))
	pub, _ := os.ReadFile(filepath.Join(dir, "client.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cfg := fmt.Sprintf("Port %s\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nPidFile %s\n",
		port, filepath.Join(dir, "hostkey"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600)
	os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	fp := strings.Fields(run("ssh-keygen", "-lf", filepath.Join(dir, "hostkey.pub")))[1]
	key, _ := os.ReadFile(filepath.Join(dir, "client"))
	return SSHD{Addr: addr, Fingerprint: fp, PrivateKey: string(key), Dir: dir}
}
