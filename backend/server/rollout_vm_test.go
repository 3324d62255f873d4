package server_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	ID, Status, PauseReason, Error string
	Targets                        []struct {
		Name, Domain, State string
		PausedMS            int64 `json:"paused_ms"`
	}
}

// A real shakedown serve is killed with kill -9 while a rollout's second
// wave installs on a real VM; the restarted server resumes the rollout
// where it was: every VM ends with the package, installed exactly once
// (the install that was running in the guest is waited for, not redone).
func TestRolloutSurvivesAKilledServer(t *testing.T) {
	h, g := labtest.Host(t)
	ctx := context.Background()
	const prefix = labtest.Prefix + "rk-"
	labtest.Sweep(t, h, prefix, nil)
	t.Cleanup(func() { labtest.Sweep(t, h, prefix, nil) })
	prod := []labs.GuestVM{
		{Name: prefix + "web-1", IP: "10.79.0.11/24", MAC: "52:54:00:5d:04:11", Version: "1.0.0"},
		{Name: prefix + "web-2", IP: "10.79.0.12/24", MAC: "52:54:00:5d:04:12", Version: "1.0.0"},
	}
	if _, err := h.EnsureGuests(ctx, g, prod, prefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	for _, vm := range prod {
		if err := h.WaitAgent(ctx, vm.Name, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	sd := startShakedown(t, data)
	for _, u := range []struct{ name, role string }{{"tess", "tester"}, {"mona", "manager"}} {
		if st := sd.do("POST", "/api/v1/users", map[string]any{"username": u.name, "password": "password-" + u.name, "roles": []string{u.role}}, nil); st != 201 {
			t.Fatalf("user %s: %d", u.name, st)
		}
	}
	var ciIDs []int64
	for _, vm := range prod {
		var ci struct{ ID int64 }
		if st := sd.do("POST", "/api/v1/cis", map[string]string{"name": vm.Name, "kind": "vm", "environment": "production",
			"criticality": "high", "libvirt_host": "local", "libvirt_domain": vm.Name}, &ci); st != 201 {
			t.Fatal(st)
		}
		ciIDs = append(ciIDs, ci.ID)
	}
	tess, mona := sd.as("tess", "password-tess"), sd.as("mona", "password-mona")
	var rel struct{ ID int64 }
	if st := tess.do("POST", "/api/v1/releases", map[string]any{"name": "Web tier", "version": "2.0.0", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": ciIDs}, &rel); st != 201 {
		t.Fatal(st)
	}
	for _, to := range []string{"building", "testing"} {
		if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", rel.ID), map[string]string{"to": to}, nil); st != 200 {
			t.Fatalf("→ %s: %d", to, st)
		}
	}
	// The install takes a few seconds and counts itself in the guest.
	var pkg struct{ Digest string }
	if st := tess.do("POST", "/api/v1/packages/assemble", map[string]any{"release_id": rel.ID, "manifest": map[string]any{
		"name": "web", "version": "2.0.0", "install": "sh install.sh", "rollback": "true",
		"verify": `test "$(wget -q -O - http://127.0.0.1/version)" = 2.0.0`,
		"files":  []map[string]string{{"src": "version", "dest": "/srv/www/version"}},
	}, "files": []map[string]string{{"path": "version", "content": "2.0.0\n"},
		{"path": "install.sh", "content": "set -e\necho x >> /var/lib/sd-installs\nsleep 4\ntest -s /srv/www/version\n"}}}, &pkg); st != 201 {
		t.Fatalf("assemble: %d", st)
	}
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
	plan := map[string]any{"strategy": "phased", "waves": []any{1, "100%"}, "max_parallel": 1, "wave_deadline_minutes": 30,
		"gate":           map[string]any{"interval_seconds": 1, "rounds": 1},
		"failure_policy": map[string]any{"per_wave": 0, "total": 0, "trip": "exceeded", "on_breach": "pause"}}
	var ro rolloutView
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/rollouts", rel.ID), map[string]any{"digest": pkg.Digest, "plan": plan}, &ro); st != 201 {
		t.Fatalf("start the rollout: %d %+v\n%s", st, ro, sd.log)
	}
	// Kill the server while web-2 (wave 2) installs.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		var cur rolloutView
		sd.do("GET", "/api/v1/rollouts/"+ro.ID, nil, &cur)
		if len(cur.Targets) == 2 && cur.Targets[1].State == "installing" {
			time.Sleep(1500 * time.Millisecond) // inside install.sh's sleep
			break
		}
		if cur.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("rollout never reached web-2's install: %+v\n%s", cur, sd.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sd.stop(syscall.SIGKILL)

	sd = startShakedown(t, data)
	var end rolloutView
	deadline = time.Now().Add(4 * time.Minute)
	for {
		sd.do("GET", "/api/v1/rollouts/"+ro.ID, nil, &end)
		if end.Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed rollout did not end: %+v\n%s", end, sd.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if end.Status != "succeeded" {
		var logs struct{ Items []struct{ Message string } }
		sd.do("GET", "/api/v1/rollouts/"+ro.ID+"/logs", nil, &logs)
		t.Fatalf("after the restart: %+v\n%v", end, logs.Items)
	}
	for _, vm := range prod {
		res, err := h.Exec(ctx, vm.Name, []string{"/bin/sh", "-c", "wc -l < /var/lib/sd-installs; wget -q -O - http://127.0.0.1/version"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := strings.Fields(res.Stdout)
		if len(out) != 2 || out[0] != "1" || out[1] != "2.0.0" {
			t.Errorf("%s: installs and version %q, want 1 install and 2.0.0", vm.Name, res.Stdout)
		}
	}
	var r struct{ State string }
	sd.do("GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), nil, &r)
	if r.State != "deployed" {
		t.Fatalf("release %s, want deployed", r.State)
	}
}
