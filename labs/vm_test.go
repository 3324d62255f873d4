package labs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"
)

// Real-VM tests: real libvirtd, QEMU (TCG) guests, qcow2 linked clones,
// isolated networks and Debian's qemu-guest-agent in the guest. make test
// starts libvirtd, builds the guest and sets SHAKEDOWN_VM_TESTS=1.

// Every object these tests make starts with testPrefix; other test
// packages use other sdtest- prefixes, so sweeps do not collide.
const testPrefix = "sdtest-l-"

func vmHost(t *testing.T) (*Host, GuestImage) {
	t.Helper()
	if os.Getenv("SHAKEDOWN_VM_TESTS") == "" {
		t.Skip("real-VM test: set SHAKEDOWN_VM_TESTS=1 after scripts/libvirt.sh start and scripts/build-guest.sh (make test does)")
	}
	dir := os.Getenv("SHAKEDOWN_GUEST_DIR")
	if dir == "" {
		dir = "../build/guest"
	}
	g, err := LoadGuestImage(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHost(HostConfig{Name: "local", URI: "qemu:///system", PoolDir: "/var/lib/shakedown/pool"})
	t.Cleanup(func() { h.Close() })
	sweep(t, h)
	t.Cleanup(func() { sweep(t, h) })
	return h, g
}

// sweep removes every test object (domains, volumes, networks) a previous
// or the current run left behind.
func sweep(t *testing.T, h *Host) {
	ours := func(name string) bool {
		return strings.HasPrefix(name, testPrefix) || strings.HasPrefix(name, "sd-lab-"+testPrefix[:len(testPrefix)-1])
	}
	if _, err := h.Sweep(context.Background(), ours); err != nil {
		t.Errorf("sweep: %v", err)
	}
}

func randID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func mustExec(t *testing.T, h *Host, vm string, script string) ExecResult {
	t.Helper()
	res, err := h.Exec(context.Background(), vm, []string{"/bin/sh", "-c", script}, nil)
	if err != nil {
		t.Fatalf("%s: %s: %v", vm, script, err)
	}
	return res
}

// TestLabLifecycleOnRealVMs captures two running production VMs, clones
// them into an isolated lab, proves isolation, applies a package, runs a
// test period, snapshots and reverts, tears down and merges production's
// overlays back — checking libvirt's own view at each step.
func TestLabLifecycleOnRealVMs(t *testing.T) {
	h, g := vmHost(t)
	ctx := context.Background()
	prod := []GuestVM{
		{Name: testPrefix + "web-1", IP: "10.77.0.11/24", MAC: "52:54:00:5d:01:11", Version: "1.0.0"},
		{Name: testPrefix + "web-2", IP: "10.77.0.12/24", MAC: "52:54:00:5d:01:12", Version: "1.0.0"},
		{Name: testPrefix + "db-1", IP: "10.77.0.13/24", MAC: "52:54:00:5d:01:13", Version: "1.0.0"},
	}
	start := time.Now()
	if _, err := h.EnsureGuests(ctx, g, prod, testPrefix+"prod", RoleProduction); err != nil {
		t.Fatal(err)
	}
	t.Logf("3 production VMs booted and configured in %s", time.Since(start).Round(time.Millisecond))
	if out := mustExec(t, h, prod[0].Name, "hostname; cat /srv/www/version").Stdout; out != prod[0].Name+"\n1.0.0\n" {
		t.Fatalf("production web-1 says %q", out)
	}
	if res := mustExec(t, h, prod[0].Name, "ping -c 1 -W 3 10.77.0.13"); res.ExitCode != 0 {
		t.Fatalf("production VMs cannot reach each other: %s", res.Stdout+res.Stderr)
	}

	// Capture both web VMs live.
	labID := testPrefix[:len(testPrefix)-1] + randID()
	var caps []Capture
	for _, vm := range prod[:2] {
		origXML, _ := h.DomainXML(ctx, vm.Name)
		orig, _ := primaryDisk(origXML)
		c, err := h.CaptureDisk(ctx, vm.Name, labID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Live || c.BasePath != orig.Source.File.File || c.Capacity != 1<<30 {
			t.Fatalf("capture = %+v (original disk %s)", c, orig.Source.File.File)
		}
		caps = append(caps, c)
		t.Logf("captured %s (quiesced %v)", vm.Name, c.Quiesced)
	}
	// Production keeps running on its new overlay.
	if active, _ := h.IsActive(ctx, prod[0].Name); !active {
		t.Fatal("capture stopped production")
	}
	if out := mustExec(t, h, prod[0].Name, "echo written-after-capture > /srv/www/after; sync; cat /srv/www/version").Stdout; out != "1.0.0\n" {
		t.Fatalf("production after capture: %q", out)
	}

	// Linked clones on an isolated network.
	net, err := h.CreateIsolatedNetwork(ctx, "sd-lab-"+labID)
	if err != nil {
		t.Fatal(err)
	}
	var clones []string
	for i, c := range caps {
		vol, err := h.LinkedClone(ctx, "sd-lab-"+labID+"-"+prod[i].Name+".qcow2", c.BasePath, c.BaseFormat, c.Capacity)
		if err != nil {
			t.Fatal(err)
		}
		if vol.Allocation >= 1<<20 {
			t.Errorf("linked clone %s allocates %d bytes before boot, want < 1 MiB", vol.Name, vol.Allocation)
		}
		x, _ := h.DomainXML(ctx, prod[i].Name)
		d, err := CloneDefinition(x, CloneSpec{Name: "sd-lab-" + labID + "-" + prod[i].Name, Meta: Meta{LabID: labID, CI: prod[i].Name, Role: "clone"},
			Network: net, Disks: map[string]string{"vda": vol.Path}, ConsoleLog: h.ConsoleLog("sd-lab-" + labID + "-" + prod[i].Name)})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.DefineAndStart(ctx, d); err != nil {
			t.Fatal(err)
		}
		clones = append(clones, d.Name)
	}
	bootStart := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(clones))
	for i, c := range clones {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = h.WaitAgent(ctx, c, 3*time.Minute) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("2 lab VMs booted to agent-ready in %s", time.Since(bootStart).Round(time.Millisecond))

	// The clones keep production's identity: hostname, address, MAC, files.
	if out := mustExec(t, h, clones[0], "hostname; ip -4 -o addr show dev eth0 | awk '{print $4}'; cat /sys/class/net/eth0/address; cat /srv/www/version").Stdout; out != prod[0].Name+"\n10.77.0.11/24\n52:54:00:5d:01:11\n1.0.0\n" {
		t.Fatalf("clone identity: %q", out)
	}
	// The clone is the point in time of the capture: a file production
	// wrote afterwards is not in it.
	if res := mustExec(t, h, clones[0], "cat /srv/www/after"); res.ExitCode == 0 {
		t.Fatal("the clone sees a file production wrote after the capture")
	}

	// Isolation: the two clones reach each other, not production.
	mustExec(t, h, clones[1], "echo lab-"+labID+" > /srv/www/marker")
	if res := mustExec(t, h, clones[0], "wget -q -O - http://10.77.0.12/marker"); res.Stdout != "lab-"+labID+"\n" {
		diag := mustExec(t, h, clones[0], "ip addr; ip route; ping -c 2 -W 2 10.77.0.12; cat /proc/net/arp")
		diag2 := mustExec(t, h, clones[1], "ip addr; ls -la /srv/www; netstat -ltn 2>/dev/null || true")
		t.Fatalf("clone web-1 did not reach clone web-2: %+v\n%s\n%s", res, diag.Stdout+diag.Stderr, diag2.Stdout+diag2.Stderr)
	}
	if res := mustExec(t, h, clones[0], "ping -c 2 -W 2 10.77.0.13"); res.ExitCode == 0 {
		t.Fatal("a lab clone reached production's db-1 at 10.77.0.13")
	}
	if res := mustExec(t, h, prod[1].Name, "wget -q -O - http://10.77.0.12/marker"); res.ExitCode == 0 {
		t.Fatal("production web-2 serves the lab's marker: the lab leaked into production")
	}

	// Apply a package inside the clone: the served version changes there only.
	if err := h.WriteFile(ctx, clones[0], "/tmp/install.sh", []byte("#!/bin/sh\nset -e\necho 2.0.0 > /srv/www/version\necho installed\n")); err != nil {
		t.Fatal(err)
	}
	if res := mustExec(t, h, clones[0], "sh /tmp/install.sh"); res.ExitCode != 0 || res.Stdout != "installed\n" {
		t.Fatalf("install: %+v", res)
	}
	if out := mustExec(t, h, clones[0], "wget -q -O - http://127.0.0.1/version").Stdout; out != "2.0.0\n" {
		t.Fatalf("clone serves %q after install", out)
	}
	if out := mustExec(t, h, prod[0].Name, "wget -q -O - http://127.0.0.1/version").Stdout; out != "1.0.0\n" {
		t.Fatalf("production serves %q after the lab install", out)
	}

	// A short test period: one check passes, one fails; continue and record.
	// Checks through the agent: exit codes are the guest's own.
	if res := mustExec(t, h, clones[0], "test \"$(wget -q -O - http://127.0.0.1/version)\" = 2.0.0"); res.ExitCode != 0 {
		t.Fatalf("serves 2.0.0: %+v", res)
	}
	if res := mustExec(t, h, clones[0], "ping -c 1 -W 1 10.77.0.13"); res.ExitCode == 0 {
		t.Fatal("a lab clone reached the production database")
	}

	// Snapshot and revert a lab VM.
	t0 := time.Now()
	if err := h.Snapshot(ctx, clones[0], "before-upgrade", "test"); err != nil {
		t.Fatal(err)
	}
	snapTook := time.Since(t0)
	mustExec(t, h, clones[0], "echo 3.0.0 > /srv/www/version; sync")
	t0 = time.Now()
	if err := h.Revert(ctx, clones[0], "before-upgrade"); err != nil {
		t.Fatal(err)
	}
	revertTook := time.Since(t0)
	if err := h.WaitAgent(ctx, clones[0], time.Minute); err != nil {
		t.Fatal(err)
	}
	if out := mustExec(t, h, clones[0], "cat /srv/www/version").Stdout; out != "2.0.0\n" {
		t.Fatalf("after revert the clone has version %q", out)
	}
	t.Logf("live snapshot %s, revert %s", snapTook.Round(time.Millisecond), revertTook.Round(time.Millisecond))

	// Teardown: nothing of the lab is left, and production's overlays are
	// merged back so that its chain does not grow.
	for _, c := range clones {
		if _, err := h.RemoveDomain(ctx, c); err != nil {
			t.Fatal(err)
		}
		if _, err := h.DeleteVolume(ctx, c+".qcow2"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.DeleteNetwork(ctx, net); err != nil {
		t.Fatal(err)
	}
	for _, c := range caps {
		merged, err := h.CommitBack(ctx, c)
		if err != nil || !merged {
			t.Fatalf("commit back %s: merged=%v err=%v", c.Domain, merged, err)
		}
		x, _ := h.DomainXML(ctx, c.Domain)
		disk, _ := primaryDisk(x)
		if disk.Source.File.File != c.BasePath {
			t.Fatalf("%s still writes to %s", c.Domain, disk.Source.File.File)
		}
		if _, err := os.Stat(c.OverlayPath); !os.IsNotExist(err) {
			t.Fatalf("overlay %s is still on disk", c.OverlayPath)
		}
	}
	// Production kept what it wrote while the lab existed.
	if out := mustExec(t, h, prod[0].Name, "cat /srv/www/after").Stdout; out != "written-after-capture\n" {
		t.Fatalf("production lost its writes in the merge: %q", out)
	}
	doms, _ := h.Domains(ctx)
	for _, d := range doms {
		if d.Meta.LabID == labID || strings.Contains(d.Name, labID) {
			t.Fatalf("domain %s of the lab is still defined", d.Name)
		}
	}
	vols, _ := h.Volumes(ctx)
	for _, v := range vols {
		if strings.Contains(v.Name, labID) {
			t.Fatalf("volume %s of the lab is still there", v.Name)
		}
	}
	l, _ := h.Conn(ctx)
	if _, err := l.NetworkLookupByName(net); !isNoSuch(err) {
		t.Fatalf("network %s still exists: %v", net, err)
	}
	var _ libvirtxml.Domain
}

// A guest whose agent never answers ends the wait with an error naming
// the VM, at the deadline, not a hang.
func TestAgentTimeoutNamesTheVM(t *testing.T) {
	h, g := vmHost(t)
	ctx := context.Background()
	gold, err := h.golden(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	vol, err := h.LinkedClone(ctx, testPrefix+"mute.qcow2", gold, "qcow2", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	net, err := h.CreateIsolatedNetwork(ctx, "sd-lab-"+testPrefix[:len(testPrefix)-1]+"m")
	if err != nil {
		t.Fatal(err)
	}
	defer h.DeleteNetwork(ctx, net)
	d := GuestDefinition(g, testPrefix+"mute", vol.Path, net, "52:54:00:5d:09:01", h.ConsoleLog(testPrefix+"mute"), Meta{Role: "test"})
	d.Devices.Channels = nil // no agent channel: the agent can never answer
	if err := h.DefineAndStart(ctx, d); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = h.WaitAgent(ctx, d.Name, 6*time.Second)
	var timeout *AgentTimeoutError
	if !errors.As(err, &timeout) || !strings.Contains(err.Error(), testPrefix+"mute") {
		t.Fatalf("WaitAgent = %v, want a timeout naming the VM", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("the wait took %s for a 6 s deadline", took)
	}
}

// A shut-off production VM is captured too: its disk becomes a frozen base
// (production gets an overlay for when it starts), and the overlay is
// merged back once it runs again.
func TestCaptureOfAShutOffVM(t *testing.T) {
	h, g := vmHost(t)
	ctx := context.Background()
	gold, err := h.golden(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	vol, err := h.LinkedClone(ctx, testPrefix+"off.qcow2", gold, "qcow2", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	net, err := h.CreateIsolatedNetwork(ctx, "sd-lab-"+testPrefix[:len(testPrefix)-1]+"o")
	if err != nil {
		t.Fatal(err)
	}
	defer h.DeleteNetwork(ctx, net)
	d := GuestDefinition(g, testPrefix+"off", vol.Path, net, "52:54:00:5d:09:02", h.ConsoleLog(testPrefix+"off"), Meta{Role: "production"})
	if err := h.Define(ctx, d); err != nil {
		t.Fatal(err)
	}
	c, err := h.CaptureDisk(ctx, d.Name, "offcap")
	if err != nil {
		t.Fatal(err)
	}
	if c.Live || c.Quiesced || c.BasePath != vol.Path || c.OverlayPath == "" {
		t.Fatalf("capture of a shut-off VM = %+v", c)
	}
	before, _ := os.ReadFile(c.BasePath)
	// Production starts and writes: the base does not change.
	if err := h.Start(ctx, d.Name); err != nil {
		t.Fatal(err)
	}
	if err := h.WaitAgent(ctx, d.Name, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	mustExec(t, h, d.Name, "echo later > /srv/www/later; sync")
	after, _ := os.ReadFile(c.BasePath)
	if !bytes.Equal(before, after) {
		t.Fatal("production's writes reached the frozen base")
	}
	if merged, err := h.CommitBack(ctx, c); err != nil || !merged {
		t.Fatalf("commit back once running: %v %v", merged, err)
	}
	if out := mustExec(t, h, d.Name, "cat /srv/www/later").Stdout; out != "later\n" {
		t.Fatalf("after the merge production reads %q", out)
	}
}
