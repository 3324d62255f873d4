package labs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"
)

// TestResumeCloneOnRealVMs captures a running production VM with its
// memory and resumes a clone from it: the clone has production's running
// state (a file only in the guest's tmpfs), its clock is corrected, it
// sits on the lab's isolated network, and production runs on undisturbed.
func TestResumeCloneOnRealVMs(t *testing.T) {
	h, g := vmHost(t)
	ctx := context.Background()
	prod := GuestVM{Name: testPrefix + "mem-1", IP: "10.77.1.11/24", MAC: "52:54:00:5d:02:11", Version: "1.0.0"}
	if _, err := h.EnsureGuests(ctx, g, []GuestVM{prod}, testPrefix+"memprod", RoleProduction); err != nil {
		t.Fatal(err)
	}
	// Running state that no disk holds: a file in tmpfs, and a process.
	marker := "running-" + randID()
	mustExec(t, h, prod.Name, "echo "+marker+" > /run/marker; sleep 100000 </dev/null >/dev/null 2>&1 &")
	if out := mustExec(t, h, prod.Name, "ps").Stdout; !strings.Contains(out, "sleep 100000") {
		t.Fatalf("the running process did not start in production: %s", out)
	}

	labID := testPrefix[:len(testPrefix)-1] + randID()
	clone := "sd-lab-" + labID + "-" + prod.Name
	caps, err := h.Capture(ctx, []CaptureRequest{{Domain: prod.Name, Memory: clone + ".mem"}}, labID)
	if err != nil {
		t.Fatal(err)
	}
	c := caps[0]
	captureEnd := time.Now()
	if c.Memory == nil || c.Memory.Bytes == 0 || c.Memory.Volume != clone+".mem" {
		t.Fatalf("capture memory = %+v", c.Memory)
	}
	t.Logf("captured %s: memory image %d MiB, production paused %s (known %v)", prod.Name, c.Memory.Bytes>>20, c.Memory.Pause, c.Memory.PauseKnown)
	if !c.Memory.PauseKnown {
		t.Errorf("the pause was not seen in libvirt's events")
	}
	if active, _ := h.IsActive(ctx, prod.Name); !active {
		t.Fatal("the capture stopped production")
	}
	// An overlay made ahead of a capture that never happened is stale;
	// production's overlay (its active layer) and its base never are.
	never, err := h.LinkedClone(ctx, prod.Name+".sd-never"+randID()+".qcow2", c.OverlayPath, "qcow2", c.Capacity)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := h.StaleOverlays(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var staleNames []string
	for _, o := range stale {
		staleNames = append(staleNames, o.Volume)
	}
	if !slices.Contains(staleNames, never.Name) || slices.Contains(staleNames, filepath.Base(c.OverlayPath)) {
		t.Fatalf("stale overlays %v: want %s and not production's %s", staleNames, never.Name, filepath.Base(c.OverlayPath))
	}
	h.DeleteVolume(ctx, never.Name)
	// Production goes on: it writes after the capture, into its new overlay.
	mustExec(t, h, prod.Name, "echo after > /run/after; echo after > /srv/www/after; sync")

	net, vol, d := defineResumeClone(t, h, c, labID, clone)
	start := time.Now()
	if err := h.Resume(ctx, *c.Memory, d); err != nil {
		t.Fatal(err)
	}
	restored := time.Since(start)
	t.Logf("restore call %s", restored)
	if err := h.WaitAgent(ctx, clone, time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("resumed clone answered its agent %s after the restore began (%s after the capture ended)",
		time.Since(start).Round(time.Millisecond), time.Since(captureEnd).Round(time.Millisecond))
	skew, err := h.SyncClock(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("clock was %s behind", skew.Round(time.Millisecond))

	// Production's running state is in the clone; what production did
	// after the capture is not.
	out := mustExec(t, h, clone, "cat /run/marker; ps | grep -q \"sleep 10000[0]\" && echo sleeping; cat /run/after /srv/www/after 2>/dev/null; hostname").Stdout
	if out != marker+"\nsleeping\n"+prod.Name+"\n" {
		t.Fatalf("the resumed clone holds %q, want the marker, the sleeping process and production's hostname only", out)
	}
	// Its clock is right.
	guest, _ := strconv.ParseInt(strings.TrimSpace(mustExec(t, h, clone, "date +%s").Stdout), 10, 64)
	if diff := time.Now().Unix() - guest; diff < -2 || diff > 2 {
		t.Errorf("the clone's clock is %d s off after the resume", diff)
	}
	// It sits on the lab's network, with production's MAC.
	live, err := h.DomainXML(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	nic := live.Devices.Interfaces[0]
	if nic.Source.Network == nil || nic.Source.Network.Network != net || nic.MAC.Address != prod.MAC {
		t.Fatalf("clone NIC = %+v / %+v", nic.Source, nic.MAC)
	}
	if res := mustExec(t, h, clone, "ip -4 -o addr show dev eth0 | awk '{print $4}'"); res.Stdout != "10.77.1.11/24\n" {
		t.Errorf("clone address %q", res.Stdout)
	}
	// The clone writes into its own overlay; production does not see it.
	mustExec(t, h, clone, "echo lab > /srv/www/labfile; sync")
	if res := mustExec(t, h, prod.Name, "cat /srv/www/labfile"); res.ExitCode == 0 {
		t.Fatal("production sees a file the clone wrote")
	}
	if out := mustExec(t, h, prod.Name, "cat /run/marker /run/after").Stdout; out != marker+"\nafter\n" {
		t.Fatalf("production's running state after the lab: %q", out)
	}

	// Teardown: the clone, its overlay and the memory image go, and
	// production's overlay merges back.
	for _, step := range []func() (bool, error){
		func() (bool, error) { return h.RemoveDomain(ctx, clone) },
		func() (bool, error) { return h.DeleteVolume(ctx, vol.Name) },
		func() (bool, error) { return h.DeleteVolume(ctx, c.Memory.Volume) },
		func() (bool, error) { return h.DeleteNetwork(ctx, net) },
		func() (bool, error) { return h.CommitBack(ctx, c) },
	} {
		if ok, err := step(); err != nil || !ok {
			t.Fatalf("teardown step: %v %v", ok, err)
		}
	}
	if out := mustExec(t, h, prod.Name, "cat /run/marker /srv/www/after").Stdout; out != marker+"\nafter\n" {
		t.Fatalf("production after the merge: %q", out)
	}
}

// TestMemoryCaptureThatFillsTheDisk saves a running VM's memory into a
// pool on a tmpfs too small for it: the capture fails saying so, nothing
// is left in the pool, and production runs on, on its own disk.
func TestMemoryCaptureThatFillsTheDisk(t *testing.T) {
	h, g := vmHost(t)
	ctx := context.Background()
	prod := GuestVM{Name: testPrefix + "full-1", IP: "10.77.2.11/24", MAC: "52:54:00:5d:03:11", Version: "1.0.0"}
	if _, err := h.EnsureGuests(ctx, g, []GuestVM{prod}, testPrefix+"fullprod", RoleProduction); err != nil {
		t.Fatal(err)
	}
	mustExec(t, h, prod.Name, "echo still-here > /run/marker")
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs: %v %s", err, out)
	}
	small := NewHost(HostConfig{Name: "small", URI: "qemu:///system", PoolDir: dir, Pool: testPrefix + "small"})
	t.Cleanup(func() {
		if l, err := small.Conn(ctx); err == nil {
			if p, err := l.StoragePoolLookupByName(testPrefix + "small"); err == nil {
				l.StoragePoolDestroy(p)
				l.StoragePoolUndefine(p)
			}
		}
		small.Close()
		exec.Command("umount", dir).Run()
	})
	before, _ := h.DomainXML(ctx, prod.Name)
	disk := before.Devices.Disks[0].Source.File.File

	_, err := small.Capture(ctx, []CaptureRequest{{Domain: prod.Name, Memory: "sd-lab-" + testPrefix + "full.mem"}}, "fullcap")
	var full *NoSpaceError
	if !errors.As(err, &full) || !strings.Contains(err.Error(), "filled the disk of "+dir) {
		t.Fatalf("capture into a full disk: %v", err)
	}
	t.Logf("the error: %v", err)
	if active, _ := h.IsActive(ctx, prod.Name); !active {
		t.Fatal("production stopped")
	}
	after, _ := h.DomainXML(ctx, prod.Name)
	if got := after.Devices.Disks[0].Source.File.File; got != disk {
		t.Fatalf("production writes to %s after the failed capture, want its own disk %s", got, disk)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("left in the pool: %v", names)
	}
	if out := mustExec(t, h, prod.Name, "cat /run/marker; echo ok > /srv/www/w && cat /srv/www/w").Stdout; out != "still-here\nok\n" {
		t.Fatalf("production after the failed capture: %q", out)
	}
}

// TestResumeFromABrokenImageLeavesTheCloneStopped: a memory image cut
// short makes the restore fail with a message naming the image, and the
// clone is left defined but not running (the caller boots or removes it).
func TestResumeFromABrokenImageLeavesTheCloneStopped(t *testing.T) {
	h, g := vmHost(t)
	ctx := context.Background()
	prod := GuestVM{Name: testPrefix + "cut-1", IP: "10.77.3.11/24", MAC: "52:54:00:5d:04:11", Version: "1.0.0"}
	if _, err := h.EnsureGuests(ctx, g, []GuestVM{prod}, testPrefix+"cutprod", RoleProduction); err != nil {
		t.Fatal(err)
	}
	labID := testPrefix[:len(testPrefix)-1] + randID()
	clone := "sd-lab-" + labID + "-" + prod.Name
	caps, err := h.Capture(ctx, []CaptureRequest{{Domain: prod.Name, Memory: clone + ".mem"}}, labID)
	if err != nil {
		t.Fatal(err)
	}
	c := caps[0]
	t.Cleanup(func() { h.CommitBack(context.Background(), c) })
	if err := os.Truncate(c.Memory.Path, int64(c.Memory.Bytes/2)); err != nil {
		t.Fatal(err)
	}
	_, _, d := defineResumeClone(t, h, c, labID, clone)
	err = h.Resume(ctx, *c.Memory, d)
	if err == nil || !strings.Contains(err.Error(), c.Memory.Volume) {
		t.Fatalf("resume from a cut image: %v", err)
	}
	t.Logf("the error: %v", err)
	if active, err := h.IsActive(ctx, clone); err != nil || active {
		t.Fatalf("the clone after a failed resume: active %v, %v", active, err)
	}
	if active, _ := h.IsActive(ctx, prod.Name); !active {
		t.Fatal("production stopped")
	}
	// The clone boots from the captured disk instead.
	if err := h.Start(ctx, clone); err != nil {
		t.Fatal(err)
	}
	if err := h.WaitAgent(ctx, clone, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// defineResumeClone makes what a lab build makes for a clone that resumes
// from capture c: the lab's network, the clone's overlay and its
// definition from the memory image's, defined (not yet restored).
func defineResumeClone(t *testing.T, h *Host, c Capture, labID, clone string) (string, Volume, *libvirtxml.Domain) {
	t.Helper()
	ctx := context.Background()
	net, err := h.CreateIsolatedNetwork(ctx, "sd-lab-"+labID)
	if err != nil {
		t.Fatal(err)
	}
	vol, err := h.LinkedClone(ctx, clone+".qcow2", c.BasePath, c.BaseFormat, c.Capacity)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := h.SavedDefinition(ctx, *c.Memory)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Name != c.Domain {
		t.Fatalf("the memory image holds the definition of %q, not %s", saved.Name, c.Domain)
	}
	d, err := ResumeDefinition(saved, CloneSpec{Name: clone, Meta: Meta{LabID: labID, CI: c.Domain, Role: RoleClone},
		Network: net, Disks: map[string]string{"vda": vol.Path}, ConsoleLog: h.ConsoleLog(clone)})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Define(ctx, d); err != nil {
		t.Fatal(err)
	}
	return net, vol, d
}
