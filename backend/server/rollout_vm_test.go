package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/labtest"
)

// as returns a client of the same server signed in as user (with a token).
func (s *shakedown) as(user, password string) *shakedown {
	s.t.Helper()
	c := &shakedown{t: s.t, cmd: s.cmd, base: s.base, log: s.log}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	resp := c.raw("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, nil)
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	var tok struct{ Secret string }
	r2 := c.raw("POST", "/api/v1/auth/tokens", map[string]any{"name": "vm test", "expires_in_days": 1}, map[string]string{
		"Cookie": resp.Header.Get("Set-Cookie"), "X-CSRF-Token": me.CSRFToken})
	json.NewDecoder(r2.Body).Decode(&tok)
	r2.Body.Close()
	if tok.Secret == "" {
		s.t.Fatalf("no token for %s", user)
	}
	c.token = tok.Secret
	return c
}

type rolloutView struct {
	ID, Status, Error string
	PauseReason       string `json:"pause_reason"`
	Targets           []struct {
		Name, Domain, State, Error string
		PausedMS                   int64 `json:"paused_ms"`
	}
}

// rolloutFixture is an approved release of production VMs on a real
// `shakedown serve`, ready to roll out.
type rolloutFixture struct {
	t      *testing.T
	h      *labs.Host
	prod   []labs.GuestVM
	data   string
	sd     *shakedown
	rel    int64
	digest string
}

// newRolloutFixture boots the production VMs (web-1… on 10.<net>.0.11…),
// makes them CIs of an approved release whose package counts its installs in
// /var/lib/sd-installs (install.sh sleeps installSleep seconds) and serves
// 2.0.0; verify fails on a VM holding /etc/sd-bad.
func newRolloutFixture(t *testing.T, prefix string, net, n, installSleep int) *rolloutFixture {
	h, g := labtest.Host(t)
	ctx := context.Background()
	labtest.Sweep(t, h, prefix, nil)
	t.Cleanup(func() { labtest.Sweep(t, h, prefix, nil) })
	f := &rolloutFixture{t: t, h: h, data: t.TempDir()}
	for i := 1; i <= n; i++ {
		f.prod = append(f.prod, labs.GuestVM{Name: fmt.Sprintf("%sweb-%d", prefix, i), IP: fmt.Sprintf("10.%d.0.1%d/24", net, i),
			MAC: fmt.Sprintf("52:54:00:5d:%02x:1%d", net, i), Version: "1.0.0"})
	}
	if _, err := h.EnsureGuests(ctx, g, f.prod, prefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	for _, vm := range f.prod {
		if err := h.WaitAgent(ctx, vm.Name, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	sd := startShakedown(t, f.data)
	f.sd = sd
	for _, u := range []struct{ name, role string }{{"tess", "tester"}, {"mona", "manager"}} {
		if st := sd.do("POST", "/api/v1/users", map[string]any{"username": u.name, "password": "password-" + u.name, "roles": []string{u.role}}, nil); st != 201 {
			t.Fatalf("user %s: %d", u.name, st)
		}
	}
	ciIDs := sd.vmCIs(f.prod)
	tess, mona := sd.as("tess", "password-tess"), sd.as("mona", "password-mona")
	var rel struct{ ID int64 }
	if st := tess.do("POST", "/api/v1/releases", map[string]any{"name": "Web tier", "version": "2.0.0", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": ciIDs}, &rel); st != 201 {
		t.Fatal(st)
	}
	f.rel = rel.ID
	for _, to := range []string{"building", "testing"} {
		if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", rel.ID), map[string]string{"to": to}, nil); st != 200 {
			t.Fatalf("→ %s: %d", to, st)
		}
	}
	var pkg struct{ Digest string }
	if st := tess.do("POST", "/api/v1/packages/assemble", map[string]any{"release_id": rel.ID, "manifest": map[string]any{
		"name": "web", "version": "2.0.0", "install": "sh install.sh", "rollback": "true",
		"verify": `test ! -e /etc/sd-bad && test "$(wget -q -O - http://127.0.0.1/version)" = 2.0.0`,
		"files":  []map[string]string{{"src": "version", "dest": "/srv/www/version"}},
	}, "files": []map[string]string{{"path": "version", "content": "2.0.0\n"},
		{"path": "install.sh", "content": fmt.Sprintf("set -e\necho x >> /var/lib/sd-installs\nsleep %d\ntest -s /srv/www/version\n", installSleep)}}}, &pkg); st != 201 {
		t.Fatalf("assemble: %d", st)
	}
	f.digest = pkg.Digest
	if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/evidence", rel.ID), map[string]any{"name": "Smoke", "target": "lab",
		"checks": []map[string]any{{"name": "home", "passed": true}}}, nil); st != 201 {
		t.Fatalf("evidence: %d", st)
	}
	if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", rel.ID), map[string]string{"to": "awaiting-approval"}, nil); st != 200 {
		t.Fatal(st)
	}
	if st := mona.do("POST", fmt.Sprintf("/api/v1/releases/%d/approvals", rel.ID), map[string]string{"decision": "approve"}, nil); st != 200 {
		t.Fatalf("approve: %d", st)
	}
	return f
}

// start starts a rollout one target at a time, waves [1, "100%"].
func (f *rolloutFixture) start(onBreach string) rolloutView {
	f.t.Helper()
	plan := map[string]any{"strategy": "phased", "waves": []any{1, "100%"}, "max_parallel": 1, "wave_deadline_minutes": 30,
		"gate":           map[string]any{"interval_seconds": 1, "rounds": 1},
		"failure_policy": map[string]any{"per_wave": 0, "total": 0, "trip": "exceeded", "on_breach": onBreach}}
	var ro rolloutView
	if st := f.sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/rollouts", f.rel), map[string]any{"digest": f.digest, "plan": plan}, &ro); st != 201 {
		f.t.Fatalf("start the rollout: %d %+v\n%s", st, ro, f.sd.log)
	}
	return ro
}

// await polls the rollout until cond holds (or fails the test after d).
func (f *rolloutFixture) await(id string, d time.Duration, cond func(rolloutView) bool) rolloutView {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var cur rolloutView
		f.sd.do("GET", "/api/v1/rollouts/"+id, nil, &cur)
		if cond(cur) {
			return cur
		}
		if time.Now().After(deadline) {
			var logs struct{ Items []struct{ Message string } }
			f.sd.do("GET", "/api/v1/rollouts/"+id+"/logs", nil, &logs)
			f.t.Fatalf("rollout stuck: %+v\n%v\n%s", cur, logs.Items, f.sd.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// served says, per VM, how many times the package was installed and the
// version its web server answers.
func (f *rolloutFixture) served() map[string]string {
	out := map[string]string{}
	for _, vm := range f.prod {
		res, err := f.h.Exec(context.Background(), vm.Name, []string{"/bin/sh", "-c", "echo $(cat /var/lib/sd-installs 2>/dev/null | wc -l) $(wget -q -O - http://127.0.0.1/version)"}, nil)
		if err != nil {
			f.t.Fatal(err)
		}
		out[vm.Name] = strings.TrimSpace(res.Stdout)
	}
	return out
}

// expect checks what every VM serves ("<installs> <version>") and the
// release's state.
func (f *rolloutFixture) expect(served, state string) {
	f.t.Helper()
	for name, got := range f.served() {
		if got != served {
			f.t.Errorf("%s: installs and version %q, want %q", name, got, served)
		}
	}
	var r struct{ State string }
	f.sd.do("GET", fmt.Sprintf("/api/v1/releases/%d", f.rel), nil, &r)
	if r.State != state {
		f.t.Fatalf("release %s, want %s", r.State, state)
	}
}

// A real shakedown serve is killed with kill -9 while a rollout's second
// wave installs on a real VM; the restarted server resumes the rollout
// where it was: every VM ends with the package, installed exactly once
// (the install that was running in the guest is waited for, not redone).
func TestRolloutSurvivesAKilledServer(t *testing.T) {
	f := newRolloutFixture(t, labtest.Prefix+"rk-", 79, 2, 4)
	ro := f.start("pause")
	// Kill the server while web-2 (wave 2) installs.
	f.await(ro.ID, 4*time.Minute, func(cur rolloutView) bool {
		if cur.Status != "running" {
			t.Fatalf("rollout never reached web-2's install: %+v\n%s", cur, f.sd.log)
		}
		return len(cur.Targets) == 2 && cur.Targets[1].State == "installing"
	})
	time.Sleep(1500 * time.Millisecond) // inside install.sh's sleep
	f.sd.stop(syscall.SIGKILL)

	f.sd = startShakedown(t, f.data)
	end := f.await(ro.ID, 4*time.Minute, func(cur rolloutView) bool { return cur.Status != "running" })
	if end.Status != "succeeded" {
		t.Fatalf("after the restart: %+v", end)
	}
	f.expect("1 2.0.0", "deployed")
}

// Verify fails on web-2 (wave 2), the policy rolls back, and the server is
// killed with kill -9 while the rollback reverts the VMs to their
// snapshots; the restarted server finishes the rollback: both VMs serve
// 1.0.0 again without a trace of the install, the release is rolled back.
func TestRollbackSurvivesAKilledServer(t *testing.T) {
	f := newRolloutFixture(t, labtest.Prefix+"rb-", 78, 2, 0)
	if _, err := f.h.Exec(context.Background(), f.prod[1].Name, []string{"/bin/sh", "-c", "touch /etc/sd-bad"}, nil); err != nil {
		t.Fatal(err)
	}
	ro := f.start("rollback")
	f.await(ro.ID, 4*time.Minute, func(cur rolloutView) bool {
		if cur.Status == "succeeded" || cur.Status == "paused" {
			t.Fatalf("the rollout did not roll back: %+v", cur)
		}
		return cur.Status == "rolling-back" || cur.Status == "rolled-back"
	})
	f.sd.stop(syscall.SIGKILL)
	var mid rolloutView
	f.sd = startShakedown(t, f.data)
	end := f.await(ro.ID, 4*time.Minute, func(cur rolloutView) bool {
		if mid.Status == "" {
			mid = cur
		}
		return cur.Status != "running" && cur.Status != "rolling-back"
	})
	t.Logf("the server was killed while the rollout was %s (%+v)", mid.Status, mid.Targets)
	if end.Status != "rolled-back" {
		t.Fatalf("after the restart: %+v", end)
	}
	for _, tr := range end.Targets {
		if tr.State != "rolled-back" {
			t.Errorf("%s is %s", tr.Name, tr.State)
		}
	}
	f.expect("0 1.0.0", "rolled-back")
}

// libvirtd is restarted while web-1's install runs in its guest: the
// rollout rides it out (the driver reconnects; the install went on in the
// guest) or pauses with a reason naming libvirt, and a retry finishes it.
// Either way each VM ends with the package installed once, and production
// kept running.
func TestRolloutRidesOutALibvirtdRestart(t *testing.T) {
	root := labtest.RepoRoot(t)
	if out, err := exec.Command(filepath.Join(root, "scripts", "libvirt.sh"), "status").CombinedOutput(); err != nil || !strings.Contains(string(out), "started by scripts/libvirt.sh") {
		t.Skipf("libvirtd was not started by scripts/libvirt.sh here, so this test may not restart it:\n%s", out)
	}
	f := newRolloutFixture(t, labtest.Prefix+"rl-", 77, 2, 5)
	ro := f.start("pause")
	f.await(ro.ID, 4*time.Minute, func(cur rolloutView) bool {
		if cur.Status != "running" {
			t.Fatalf("rollout never reached web-1's install: %+v", cur)
		}
		return len(cur.Targets) == 2 && cur.Targets[0].State == "installing"
	})
	time.Sleep(time.Second) // inside install.sh's sleep
	for _, cmd := range []string{"stop", "start"} {
		if out, err := exec.Command(filepath.Join(root, "scripts", "libvirt.sh"), cmd).CombinedOutput(); err != nil {
			t.Fatalf("libvirt.sh %s: %v\n%s", cmd, err, out)
		}
	}
	end := f.await(ro.ID, 5*time.Minute, func(cur rolloutView) bool { return cur.Status != "running" })
	if end.Status == "paused" {
		t.Logf("paused after the restart: %s", end.PauseReason)
		var failed []string
		for _, tr := range end.Targets {
			if tr.State == "failed" {
				failed = append(failed, tr.Name)
			}
		}
		var why rolloutView
		f.sd.do("GET", "/api/v1/rollouts/"+ro.ID, nil, &why)
		if !strings.Contains(strings.ToLower(fmt.Sprint(why)), "libvirt") {
			t.Errorf("the pause does not say libvirt was lost: %+v", why)
		}
		for _, action := range []map[string]string{{"action": "claim"}, {"action": "retry"}} {
			if st := f.sd.do("POST", "/api/v1/rollouts/"+ro.ID+"/actions", action, nil); st != 200 {
				t.Fatalf("%v: %d", action, st)
			}
		}
		end = f.await(ro.ID, 5*time.Minute, func(cur rolloutView) bool { return cur.Status != "running" && cur.Status != "paused" })
		t.Logf("retried %v", failed)
	}
	if end.Status != "succeeded" {
		t.Fatalf("rollout %+v", end)
	}
	f.expect("1 2.0.0", "deployed")
	for _, vm := range f.prod {
		if active, err := f.h.IsActive(context.Background(), vm.Name); err != nil || !active {
			t.Errorf("%s stopped with libvirtd's restart: %v", vm.Name, err)
		}
	}
}
