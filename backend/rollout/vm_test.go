package rollout_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/labtest"
)

const roPrefix = labtest.Prefix + "ro-"

// served asks a VM's own web server (through its guest agent) what
// version it serves.
func served(t *testing.T, h *labs.Host, domain string) string {
	t.Helper()
	res, err := h.Exec(context.Background(), domain, []string{"/bin/sh", "-c", "wget -q -O - http://127.0.0.1/version"}, nil)
	if err != nil {
		t.Fatalf("ask %s its version: %v", domain, err)
	}
	return strings.TrimSpace(res.Stdout)
}

func webPackage(version, verify string) (packages.Manifest, []packages.SourceFile) {
	return packages.Manifest{Name: "web", Version: version, Install: "sh install.sh", Rollback: "true", Verify: verify,
			Files:        []packages.FilePlace{{Src: "version", Dest: "/srv/www/version"}},
			HealthChecks: []packages.HealthCheck{{Name: "served", Command: "wget -q -O - http://127.0.0.1/version | grep -q " + version}}},
		[]packages.SourceFile{{Path: "version", Content: version + "\n"}, {Path: "install.sh", Content: "set -e\ntest -s /srv/www/version\n"}}
}

// On real TCG guests with Debian's qemu-guest-agent: a phased rollout puts
// 2.0.0 on three production VMs (each snapshotted first, its pause
// measured); then 3.0.0, whose verify fails on the last VM, is rolled back
// by snapshot revert and all three serve 2.0.0 again.
func TestRolloutOnRealVMs(t *testing.T) {
	h, _, names := productionVMs(t, roPrefix, "10.78.0", "03", 3)
	ctx := context.Background()
	e := baseEnv(t)
	e.vmHost = h
	m, files := webPackage("2.0.0", `test "$(wget -q -O - http://127.0.0.1/version)" = 2.0.0`)
	e.approve(names, "2.0.0", m, files)
	e.svc = e.newService()
	t.Cleanup(func() { e.svc.Shutdown(context.Background()) })

	pl := plan(rollout.Rollback)
	pl.Waves = []rollout.Size{{N: 1}, {Percent: 100, Pct: true}}
	pl.MaxParallel = 2
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: pl})
	if err != nil {
		t.Fatal(err)
	}
	done := waitLong(t, e, ro.ID)
	if done.Status != rollout.StatusSucceeded {
		logs, _ := e.svc.Logs(ctx, ro.ID, 0, 0, 200)
		t.Fatalf("rollout %s: %s %s\n%v", done.Status, done.PauseReason, done.Error, logs)
	}
	for _, tr := range done.Targets {
		if v := served(t, h, tr.Domain); v != "2.0.0" {
			t.Errorf("%s serves %q after the rollout, want 2.0.0", tr.Domain, v)
		}
		t.Logf("figure: %s stood still %d ms for its pre-deploy snapshot", tr.Domain, tr.PausedMS)
	}
	if st := e.state(); st != release.StateDeployed {
		t.Fatalf("release %s, want deployed", st)
	}

	// 3.0.0 fails its verify on web-3: everything changed goes back.
	bad, files := webPackage("3.0.0", `! grep -q 52:54:00:5d:03:13 /sys/class/net/*/address && test "$(wget -q -O - http://127.0.0.1/version)" = 3.0.0`)
	e.approve(nil, "3.0.0", bad, files)
	ro2, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: pl})
	if err != nil {
		t.Fatal(err)
	}
	back := waitLong(t, e, ro2.ID)
	if back.Status != rollout.StatusRolledBack {
		logs, _ := e.svc.Logs(ctx, ro2.ID, 0, 0, 200)
		t.Fatalf("second rollout %s: %s %s\n%v", back.Status, back.PauseReason, back.Error, logs)
	}
	for _, tr := range back.Targets {
		if v := served(t, h, tr.Domain); v != "2.0.0" {
			t.Errorf("%s serves %q after the rollback, want 2.0.0 again", tr.Domain, v)
		}
	}
	if st := e.state(); st != release.StateRolledBack {
		t.Fatalf("release %s, want rolled-back", st)
	}
	logs, _ := e.svc.Logs(ctx, ro2.ID, 0, 0, 1000)
	var failedAt, lastBack time.Time
	for _, l := range logs {
		if failedAt.IsZero() && strings.Contains(l.Message, "Rolling back every changed target") {
			failedAt = l.At
		}
		if l.Message == "Rolled back" {
			lastBack = l.At
		}
	}
	t.Logf("figure: from the gate failure to all %d VMs reverted: %s", len(back.Targets), lastBack.Sub(failedAt).Round(time.Millisecond))
}

func waitLong(t *testing.T, e *env, id string) *rollout.Rollout {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	r, err := e.svc.WaitFor(ctx, id, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusRolledBack, rollout.StatusPaused, rollout.StatusAborted)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A target destroyed (powered off) while the package goes in: its step
// fails with the reason, the policy pauses the rollout, nothing is lost;
// the admin's rollback reverts both VMs to their snapshots, the destroyed
// one running again, and both serve the old version.
func TestTargetDestroyedMidInstall(t *testing.T) {
	h, prod, names := productionVMs(t, labtest.Prefix+"rd-", "10.80.0", "05", 2)
	ctx := context.Background()
	e := baseEnv(t)
	e.vmHost = h
	m, files := webPackage("2.0.0", `test "$(wget -q -O - http://127.0.0.1/version)" = 2.0.0`)
	files[1].Content = "set -e\nsleep 3\ntest -s /srv/www/version\n"
	e.approve(names, "2.0.0", m, files)
	e.svc = e.newService()
	t.Cleanup(func() { e.svc.Shutdown(context.Background()) })

	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	// Power web-2 off while its install runs.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		cur, _ := e.svc.Get(ctx, ro.ID)
		if cur.Targets[1].State == rollout.TargetInstalling {
			time.Sleep(time.Second)
			break
		}
		if cur.Status != rollout.StatusRunning || time.Now().After(deadline) {
			t.Fatalf("web-2 never started installing: %s %+v", cur.Status, cur.Targets)
		}
		time.Sleep(100 * time.Millisecond)
	}
	l, err := h.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dom, err := l.DomainLookupByName(prod[1].Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.DomainDestroy(dom); err != nil {
		t.Fatal(err)
	}
	paused := waitLong(t, e, ro.ID)
	if paused.Status != rollout.StatusPaused || paused.Targets[1].State != rollout.TargetFailed || paused.Targets[1].Error == "" {
		t.Fatalf("after the destroy: %s %q %+v", paused.Status, paused.PauseReason, paused.Targets)
	}
	t.Logf("web-2's step failed with: %s", paused.Targets[1].Error)
	if v := served(t, h, prod[0].Name); v != "2.0.0" {
		t.Fatalf("web-1 serves %q (the canary kept its install)", v)
	}
	if _, err := e.svc.Act(ctx, alice, ro.ID, rollout.ActionInput{Action: "rollback", Reason: "web-2 lost power mid-install"}); err != nil {
		t.Fatal(err)
	}
	back := waitLong(t, e, ro.ID)
	if back.Status != rollout.StatusRolledBack {
		t.Fatalf("rollback: %s %s", back.Status, back.Error)
	}
	for _, vm := range prod {
		if err := h.WaitAgent(ctx, vm.Name, 2*time.Minute); err != nil {
			t.Fatalf("%s after the revert: %v", vm.Name, err)
		}
		if v := served(t, h, vm.Name); v != "1.0.0" {
			t.Errorf("%s serves %q after the rollback, want 1.0.0", vm.Name, v)
		}
	}
	if st := e.state(); st != release.StateRolledBack {
		t.Fatalf("release %s", st)
	}
}

// productionVMs boots n tiny production guests named prefix+"web-N" on
// the subnet net (MACs …:5d:mac:1N), waits for their agents, and removes
// them (and anything else of prefix) when the test ends.
func productionVMs(t *testing.T, prefix, net, mac string, n int) (*labs.Host, []labs.GuestVM, []string) {
	t.Helper()
	h, g := labtest.Host(t)
	ctx := context.Background()
	labtest.Sweep(t, h, prefix, nil)
	t.Cleanup(func() { labtest.Sweep(t, h, prefix, nil) })
	var prod []labs.GuestVM
	for i := 1; i <= n; i++ {
		prod = append(prod, labs.GuestVM{Name: fmt.Sprintf("%sweb-%d", prefix, i), IP: fmt.Sprintf("%s.1%d/24", net, i),
			MAC: fmt.Sprintf("52:54:00:5d:%s:1%d", mac, i), Version: "1.0.0"})
	}
	if _, err := h.EnsureGuests(ctx, g, prod, prefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, vm := range prod {
		if err := h.WaitAgent(ctx, vm.Name, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
		names = append(names, vm.Name)
	}
	return h, prod, names
}
