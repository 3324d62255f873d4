// Package labtest helps the real-VM tests: it makes test production VMs
// and sweeps every test object (names starting with sdtest-) away.
package labtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	ctx := context.Background()
	ours := func(name string) bool { return strings.HasPrefix(name, prefix) || (match != nil && match(name)) }
	doms, err := h.Domains(ctx)
	if err != nil {
		t.Errorf("sweep: %v", err)
		return
	}
	for _, d := range doms {
		if ours(d.Name) {
			if err := h.RemoveDomain(ctx, d.Name); err != nil {
				t.Errorf("sweep domain %s: %v", d.Name, err)
			}
		}
	}
	if l, err := h.Conn(ctx); err == nil {
		nets, _, _ := l.ConnectListAllNetworks(1, 0)
		for _, n := range nets {
			if ours(n.Name) {
				h.DeleteNetwork(ctx, n.Name)
			}
		}
	}
	vols, _ := h.Volumes(ctx)
	for _, v := range vols {
		if ours(v.Name) {
			h.DeleteVolume(ctx, v.Name)
		}
	}
}
