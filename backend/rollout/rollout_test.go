package rollout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/fakehost"
)

// These fast tests run the engine against labs/fakehost, an in-memory
// libvirt host that keeps guest files and snapshots as libvirt would; the
// real-VM tests run the same engine against the demo production VMs.

var (
	tess  = auth.Actor{UserID: 2, Username: "tess", Roles: []auth.Role{auth.RoleTester}}
	mona  = auth.Actor{UserID: 3, Username: "mona", Roles: []auth.Role{auth.RoleManager}}
	adam  = auth.Actor{UserID: 4, Username: "adam", Roles: []auth.Role{auth.RoleAdmin}}
	alice = auth.Actor{UserID: 5, Username: "alice", Roles: []auth.Role{auth.RoleAdmin}}
)

type env struct {
	t        *testing.T
	db       *store.DB
	releases *release.Service
	pkgs     *packages.Store
	host     *fakehost.Host
	vmHost   rollout.VMHost // the real host of the real-VM tests (else host)
	// manualNames are extra targets Shakedown cannot reach (named lb-…).
	manualNames []string
	svc         *rollout.Service
	bus         *events.Bus // the rollout service's
	release     *release.Release
	digest      string
	cis         []release.CI

	mu       sync.Mutex
	installs map[string]int // domain → install commands run
}

func (e *env) connector() rollout.Connector { return connectFunc(e.connect) }

type connectFunc func(ctx context.Context, t rollout.Target) (rollout.Executor, error)

func (f connectFunc) Connect(ctx context.Context, t rollout.Target) (rollout.Executor, error) {
	return f(ctx, t)
}

func (e *env) connect(ctx context.Context, t rollout.Target) (rollout.Executor, error) {
	if e.vmHost != nil {
		return rollout.NewVMExecutor(e.vmHost, t.Domain, "/var/lib/shakedown/work"), nil
	}
	return rollout.NewVMExecutor(e.host, t.Domain, "/var/lib/shakedown/work"), nil
}

func (e *env) newService() *rollout.Service {
	e.bus = events.NewBus()
	return rollout.NewService(rollout.Config{DB: e.db, Bus: e.bus, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Releases: e.releases, Packages: e.pkgs, Connect: e.connector(),
		Targets: func(ctx context.Context, r *release.Release) ([]rollout.Target, error) {
			var out []rollout.Target
			for _, c := range r.CIs {
				if c.LibvirtDomain != "" {
					out = append(out, rollout.Target{CIID: c.ID, Name: c.Name, Kind: rollout.KindVM, Host: c.LibvirtHost, Domain: c.LibvirtDomain})
				} else {
					out = append(out, rollout.Target{CIID: c.ID, Name: c.Name, Kind: rollout.KindManual})
				}
			}
			return out, nil
		}})
}

// newEnv makes an approved release of n production VMs (web-1…web-n) on a
// fake libvirt host.
func newEnv(t *testing.T, n int, manual ...string) *env {
	t.Helper()
	e := baseEnv(t)
	e.manualNames = manual
	e.host = fakehost.New(labs.HostConfig{Name: "local"})
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		if strings.Contains(strings.Join(argv, " "), "sh install.sh") {
			e.mu.Lock()
			e.installs[domain]++
			e.mu.Unlock()
		}
		return labs.ExecResult{}, nil
	}
	var names []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("web-%d", i)
		e.host.AddProduction(name, 256)
		names = append(names, name)
	}
	names = append(names, e.manualNames...)
	e.approve(names, "2.0", packages.Manifest{Name: "web", Version: "2.0",
		Install: "sh install.sh", Verify: "grep -q 2.0 /srv/www/version.txt", Rollback: "sh rollback.sh",
		Files: []packages.FilePlace{{Src: "version.txt", Dest: "/srv/www/version.txt"}}},
		[]packages.SourceFile{{Path: "version.txt", Content: "2.0\n"}, {Path: "install.sh", Content: "echo installing\n", Mode: "0755"},
			{Path: "rollback.sh", Content: "echo back\n", Mode: "0755"}})
	e.svc = e.newService()
	t.Cleanup(func() { e.svc.Shutdown(context.Background()) })
	return e
}

// baseEnv opens a database with the release and package services.
func baseEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := events.NewBus()
	e := &env{t: t, db: db, releases: release.NewService(db, bus), installs: map[string]int{}}
	if e.pkgs, err = packages.NewStore(filepath.Join(dir, "packages"), db, bus, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return e
}

// approve makes CIs of the domains (once), a release of them with the
// package, and takes it to approved (built and tested by tess, approved by
// mona): e.release and e.digest.
func (e *env) approve(domains []string, version string, m packages.Manifest, files []packages.SourceFile) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	if len(e.cis) == 0 {
		for _, name := range domains {
			in := release.CIInput{Name: p(name), Kind: p("vm"), Environment: p("production"), Criticality: p("high"),
				LibvirtHost: p("local"), LibvirtDomain: p(name)}
			if strings.HasPrefix(name, "lb-") { // a host Shakedown cannot reach: a manual target
				in = release.CIInput{Name: p(name), Kind: p("host"), Environment: p("production"), Criticality: p("high")}
			}
			c, err := e.releases.CreateCI(ctx, adam, in)
			if err != nil {
				t.Fatal(err)
			}
			e.cis = append(e.cis, c)
		}
	}
	var ids []int64
	for _, c := range e.cis {
		ids = append(ids, c.ID)
	}
	r, err := e.releases.Create(ctx, tess, release.Input{Name: p("Web"), Version: p(version), Type: p(release.TypeMinor), Environment: p("production"),
		PlannedStart: p("2030-01-10T10:00:00Z"), PlannedEnd: p("2030-01-10T12:00:00Z"), CIIDs: &ids,
		Changes: &[]release.ChangeInput{{RFC: "RFC-1", Title: "New version", Risk: "low"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []release.State{release.StateBuilding, release.StateTesting, release.StateAwaitingApproval} {
		if _, err := e.releases.Transition(ctx, tess, r.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	pkg, err := e.pkgs.Assemble(ctx, tess, packages.AssembleInput{ReleaseID: r.ID, Manifest: m, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.AttachPackage(ctx, tess, r.ID, pkg.Digest); err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.AddEvidence(ctx, tess, r.ID, release.EvidenceInput{Name: "Smoke", Target: "lab", Checks: []release.ManualCheck{{Name: "home", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.Decide(ctx, mona, r.ID, release.DecisionInput{Decision: release.DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	e.release, _ = e.releases.Get(ctx, tess, r.ID)
	e.digest = pkg.Digest
}

func p[T any](v T) *T { return &v }

// plan is a phased plan: a canary, then the rest; a gate of 2 quick rounds.
// verifyFails answers a guest command whose verify fails as a shell would:
// the install script (which runs verify last) went through the sha256
// check and the install, saying so, before verify failed; the gate's check
// just fails.
func verifyFails(base func(string, []string) (labs.ExecResult, error), domain string, argv []string, stderr string) (labs.ExecResult, error) {
	if _, err := base(domain, argv); err != nil { // counts the install
		return labs.ExecResult{}, err
	}
	res := labs.ExecResult{ExitCode: 1, Stderr: stderr}
	if strings.Contains(strings.Join(argv, " "), "sha256sum -c") {
		res.Stdout = "shakedown:files-ok\nshakedown:installed\n"
	}
	return res, nil
}

func plan(onBreach rollout.OnBreach) rollout.Plan {
	pl := rollout.DefaultPlan()
	pl.Waves = []rollout.Size{{N: 1}, {Percent: 100, Pct: true}}
	pl.Gate = rollout.Gate{IntervalSeconds: 1, Rounds: 2}
	pl.Policy = rollout.FailurePolicy{Trip: rollout.Exceeded, OnBreach: onBreach}
	return pl
}

func (e *env) marker(domain string) (rollout.Marker, bool) {
	b, ok := e.host.File(domain, rollout.MarkerPath)
	if !ok {
		return rollout.Marker{}, false
	}
	var m rollout.Marker
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatalf("marker of %s: %v", domain, err)
	}
	return m, true
}

func (e *env) state() release.State {
	r, err := e.releases.Get(context.Background(), tess, e.release.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.State
}

func wait(t *testing.T, e *env, id string, want ...rollout.Status) *rollout.Rollout {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := e.svc.WaitFor(ctx, id, want...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A phased rollout installs the approved package on every VM, wave by wave
// with a gate after each: the marker with the digest is in each guest, a
// snapshot was taken first, and the release is deployed.
func TestPhasedRolloutSucceeds(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ro.WaveSizes); got != "[1 2]" {
		t.Fatalf("waves %s, want [1 2]", got)
	}
	done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusPaused, rollout.StatusRolledBack)
	if done.Status != rollout.StatusSucceeded {
		t.Fatalf("rollout %s: %s %s", done.Status, done.PauseReason, done.Error)
	}
	for _, c := range e.cis {
		m, ok := e.marker(c.Name)
		if !ok || m.Digest != e.digest || m.RolloutID != ro.ID {
			t.Errorf("%s: marker %+v (%v)", c.Name, m, ok)
		}
		if v, _ := e.host.File(c.Name, "/var/lib/shakedown/work/version.txt"); string(v) != "2.0\n" {
			t.Errorf("%s: the package's file in the guest is %q", c.Name, v)
		}
		if snaps := e.host.Snapshots(c.Name); len(snaps) != 1 || snaps[0] != "shakedown-"+ro.ID {
			t.Errorf("%s: snapshots %v", c.Name, snaps)
		}
		if e.installs[c.Name] != 1 {
			t.Errorf("%s: installed %d times", c.Name, e.installs[c.Name])
		}
	}
	for _, tr := range done.Targets {
		if tr.State != rollout.TargetHealthy {
			t.Errorf("%s is %s", tr.Name, tr.State)
		}
	}
	if st := e.state(); st != release.StateDeployed {
		t.Fatalf("the release is %s, want deployed", st)
	}
	logs, _ := e.svc.Logs(ctx, ro.ID, 0, 0, 1000)
	if len(logs) < 3 {
		t.Fatalf("only %d log lines", len(logs))
	}
}

// A rollout's events carry its counts and only the targets that changed
// since the previous event; merged in order they give what GET gives. A
// list carries counts and wave sizes, not targets.
func TestEventsCarryChangedTargets(t *testing.T) {
	e := newEnv(t, 5)
	ctx := context.Background()
	msgs, stop := e.bus.Subscribe(1000)
	defer stop()
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusPaused, rollout.StatusRolledBack)
	if done.Status != rollout.StatusSucceeded {
		t.Fatalf("rollout %s: %s", done.Status, done.PauseReason)
	}
	if _, err := e.svc.Wait(ctx, ro.ID); err != nil { // the watcher's last event is out
		t.Fatal(err)
	}
	merged := map[int64]rollout.TargetState{}
	var last rollout.Rollout
	n := 0
	for len(msgs) > 0 {
		m := <-msgs
		if m.Type != rollout.Updated || m.ID != ro.ID {
			continue
		}
		var r rollout.Rollout
		if err := json.Unmarshal(m.JSON, &struct{ Data *rollout.Rollout }{&r}); err != nil {
			t.Fatal(err)
		}
		n++
		sum := 0
		for _, c := range r.Counts {
			sum += c
		}
		if sum != 5 {
			t.Fatalf("event %d counts %v: %d targets, want 5", n, r.Counts, sum)
		}
		for _, tr := range r.Targets {
			merged[tr.CIID] = tr.State
		}
		last = r
	}
	if n == 0 || last.Status != rollout.StatusSucceeded || last.Counts[rollout.TargetHealthy] != 5 {
		t.Fatalf("%d events, the last %s with counts %v", n, last.Status, last.Counts)
	}
	for _, tr := range done.Targets {
		if merged[tr.CIID] != tr.State {
			t.Errorf("%s: the merged events say %q, GET says %q", tr.Name, merged[tr.CIID], tr.State)
		}
	}
	list, err := e.svc.List(ctx, e.release.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	if l := list[0]; len(l.Targets) != 0 || l.Counts[rollout.TargetHealthy] != 5 || fmt.Sprint(l.WaveSizes) != fmt.Sprint(done.WaveSizes) || l.Status != done.Status {
		t.Fatalf("list item: %d targets, counts %v, waves %v (want %v), %s", len(l.Targets), l.Counts, l.WaveSizes, done.WaveSizes, l.Status)
	}
}

// Verify failing on a target of the second wave breaches the policy (no
// failure allowed): every changed target is reverted to its snapshot,
// newest first, and the release is rolled back.
func TestGateFailureRollsBack(t *testing.T) {
	e := newEnv(t, 3)
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		if domain == "web-3" && strings.Contains(strings.Join(argv, " "), "grep -q 2.0") {
			return verifyFails(base, domain, argv, "version mismatch")
		}
		return base(domain, argv)
	}
	ro, err := e.svc.Start(context.Background(), alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Rollback)})
	if err != nil {
		t.Fatal(err)
	}
	done := wait(t, e, ro.ID, rollout.StatusRolledBack, rollout.StatusFailed, rollout.StatusSucceeded)
	if done.Status != rollout.StatusRolledBack || !strings.Contains(done.Error, "1 of 2 targets failed in wave 2") {
		t.Fatalf("rollout %s: %s", done.Status, done.Error)
	}
	for _, c := range e.cis {
		if _, ok := e.marker(c.Name); ok {
			t.Errorf("%s still carries the marker after the rollback", c.Name)
		}
		if _, ok := e.host.File(c.Name, "/var/lib/shakedown/work/version.txt"); ok {
			t.Errorf("%s still has the package's files", c.Name)
		}
	}
	if st := e.state(); st != release.StateRolledBack {
		t.Fatalf("the release is %s, want rolled-back", st)
	}
	var order []string
	rows, _ := e.db.Query(`SELECT c.name FROM target_installs i JOIN cis c ON c.id = i.ci_id WHERE i.state = 'rolled-back' ORDER BY i.id`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		order = append(order, n)
	}
	rows.Close()
	if strings.Join(order, ",") != "web-3,web-2,web-1" {
		t.Fatalf("rolled back in the order %v, want newest first", order)
	}
	// What runs where, target by target, newest first: web-1 had the
	// package and lost it; web-3 failed its verify (never installed) and
	// was reverted all the same.
	for _, c := range e.cis {
		got, err := e.svc.Installs(context.Background(), c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, in := range got {
			states = append(states, string(in.State))
			if in.ReleaseID != e.release.ID || in.ReleaseName != e.release.Name || in.ReleaseVersion != e.release.Version ||
				in.Digest != e.digest || in.RolloutID != ro.ID || in.At.IsZero() {
				t.Errorf("%s: install line %+v", c.Name, in)
			}
		}
		want := "rolled-back,installed"
		if c.Name == "web-3" {
			want = "rolled-back"
		}
		if strings.Join(states, ",") != want {
			t.Errorf("%s: installs %v, want %s", c.Name, states, want)
		}
		if one, _ := e.svc.Installs(context.Background(), c.ID, 1); len(one) != 1 || one[0].State != rollout.InstallRolledBack {
			t.Errorf("%s: the newest line alone: %+v", c.Name, one)
		}
	}
}

// A breach that pauses: one admin claims the rollout and decides, others
// are told who holds it; a retry re-runs the install and the gate.
func TestPauseClaimRetry(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	var mu sync.Mutex
	broken := true
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		mu.Lock()
		b := broken
		mu.Unlock()
		if b && domain == "web-1" && strings.Contains(strings.Join(argv, " "), "grep -q 2.0") {
			return verifyFails(base, domain, argv, "")
		}
		return base(domain, argv)
	}
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	paused := wait(t, e, ro.ID, rollout.StatusPaused)
	if !strings.Contains(paused.PauseReason, "1 of 1 targets failed in wave 1") {
		t.Fatalf("pause reason %q", paused.PauseReason)
	}
	if got := paused.Targets[0].Error; !strings.HasPrefix(got, "verify failed on web-1 (exit 1)") {
		t.Fatalf("web-1's error %q, want verify's failure", got)
	}
	if paused.PausedAt == nil {
		t.Fatal("a paused rollout without its paused_at")
	}
	if _, err := e.svc.Act(ctx, adam, ro.ID, rollout.ActionInput{Action: "claim"}); err != nil {
		t.Fatal(err)
	}
	// A claim writes the rollout but is the same pause (notify tells it once).
	claimed, err := e.svc.Get(ctx, ro.ID)
	if err != nil || claimed.ClaimedBy != "adam" || claimed.PausedAt == nil || !claimed.PausedAt.Equal(*paused.PausedAt) {
		t.Fatalf("after the claim: %+v %v, paused at %v", claimed, err, paused.PausedAt)
	}
	recent, err := e.svc.UpdatedSince(ctx, claimed.UpdatedAt)
	if err != nil || len(recent) != 1 || recent[0].ID != ro.ID || recent[0].Status != rollout.StatusPaused {
		t.Fatalf("updated since the claim: %v %v", recent, err)
	}
	if later, _ := e.svc.UpdatedSince(ctx, claimed.UpdatedAt.Add(time.Millisecond)); len(later) != 0 {
		t.Fatalf("updated after the claim: %v", later)
	}
	if _, err := e.svc.Act(ctx, alice, ro.ID, rollout.ActionInput{Action: "continue"}); apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), "adam has claimed") {
		t.Fatalf("another admin deciding: %v", err)
	}
	if _, err := e.svc.Act(ctx, tess, ro.ID, rollout.ActionInput{Action: "pause"}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a tester deciding: %v", err)
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	if _, err := e.svc.Act(ctx, adam, ro.ID, rollout.ActionInput{Action: "retry"}); err != nil {
		t.Fatal(err)
	}
	done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusPaused)
	if done.Status != rollout.StatusSucceeded || done.PausedAt != nil {
		t.Fatalf("after the retry: %s %s %s, paused at %v", done.Status, done.PauseReason, done.Error, done.PausedAt)
	}
	if e.installs["web-1"] != 2 || e.installs["web-2"] != 1 {
		t.Fatalf("installs %v: web-1 twice (the retry), web-2 once", e.installs)
	}
}

// Guards: admins only, the exact approved digest (both named), at least
// one target, one rollout per target; a refused start leaves nothing.
func TestStartGuards(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	in := rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)}
	if _, err := e.svc.Start(ctx, mona, e.release.ID, in); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a manager starting: %v", err)
	}
	bad := in
	bad.Digest = "sha256:" + strings.Repeat("0", 64)
	if _, err := e.svc.Start(ctx, alice, e.release.ID, bad); apperr.FieldOf(err) != "digest" || !strings.Contains(err.Error(), e.digest[:19]) || !strings.Contains(err.Error(), "sha256:0000") {
		t.Fatalf("another digest: %v", err)
	}
	none := in
	none.CIIDs = []int64{9999}
	if _, err := e.svc.Start(ctx, alice, e.release.ID, none); apperr.FieldOf(err) != "ci_ids" {
		t.Fatalf("a CI that is not a target: %v", err)
	}
	// The approver may not promote in production (the release's gate says so): nothing is left.
	monaAdmin := auth.Actor{UserID: mona.UserID, Username: "mona", Roles: []auth.Role{auth.RoleManager, auth.RoleAdmin}}
	if _, err := e.svc.Start(ctx, monaAdmin, e.release.ID, in); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("the approver promoting: %v", err)
	}
	var n int
	e.db.QueryRow(`SELECT (SELECT count(*) FROM rollouts) + (SELECT count(*) FROM rollout_locks) + (SELECT count(*) FROM rollout_targets)`).Scan(&n)
	if n != 0 || e.state() != release.StateApproved {
		t.Fatalf("a refused start left %d rows; release %s", n, e.state())
	}
}

// Shakedown stops mid-wave and starts again: the rollout resumes where it
// was, no target is installed twice (the marker decides) and none skipped.
func TestResumeAfterRestartInstallsOnce(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	gate := make(chan struct{})
	var once sync.Once
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		res, err := base(domain, argv)
		if domain == "web-2" && strings.Contains(strings.Join(argv, " "), "sh install.sh") {
			once.Do(func() { close(gate) })
			time.Sleep(300 * time.Millisecond) // the server stops while web-2 installs
		}
		return res, err
	}
	pl := plan(rollout.Pause)
	pl.Waves = []rollout.Size{{N: 1}, {N: 2}}
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: pl})
	if err != nil {
		t.Fatal(err)
	}
	<-gate
	e.svc.Shutdown(ctx) // as a restart: the watcher stops, the records stay
	mid, _ := e.svc.Get(ctx, ro.ID)
	if mid.Status.Done() {
		t.Fatalf("the rollout ended at the stop: %s", mid.Status)
	}
	e.svc = e.newService()
	if n, err := e.svc.Resume(ctx); err != nil || n != 1 {
		t.Fatalf("resume: %d %v", n, err)
	}
	done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusPaused)
	if done.Status != rollout.StatusSucceeded {
		t.Fatalf("after the restart: %s %s %s", done.Status, done.PauseReason, done.Error)
	}
	for _, c := range e.cis {
		if e.installs[c.Name] != 1 {
			t.Errorf("%s installed %d times", c.Name, e.installs[c.Name])
		}
		if m, ok := e.marker(c.Name); !ok || m.RolloutID != ro.ID {
			t.Errorf("%s: no marker of the rollout", c.Name)
		}
	}
}

// A VM that a lab's live capture holds is not rolled out (a snapshot would
// live in the lab's overlay, merged away at teardown): the start is
// refused with the lab named, and nothing is left.
func TestCapturedTargetWaitsForItsLab(t *testing.T) {
	e := newEnv(t, 2)
	e.svc.CapturedBy = func(ctx context.Context, host, domain string) (string, error) {
		if domain == "web-2" {
			return "lab7", nil
		}
		return "", nil
	}
	_, err := e.svc.Start(context.Background(), alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), "web-2 is captured by lab lab7") {
		t.Fatalf("start with a captured target: %v", err)
	}
	var n int
	e.db.QueryRow(`SELECT count(*) FROM rollouts`).Scan(&n)
	if n != 0 || e.state() != release.StateApproved {
		t.Fatalf("%d rollouts, release %s", n, e.state())
	}
}

// The plain transition route does not deploy a release with targets (a
// rollout does), nor settle its outcome while a rollout is active.
func TestPlainTransitionsLeaveDeploymentToRollouts(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	_, err := e.svc.Transition(ctx, alice, e.release.ID, release.Move{To: release.StateDeploying, Digest: e.digest})
	if apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), "deployed by a rollout") || !strings.Contains(err.Error(), "web-1") {
		t.Fatalf("a plain move to deploying: %v", err)
	}
	if _, err := e.svc.Transition(ctx, tess, e.release.ID, release.Move{To: release.StateDeploying}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a tester: %v, want the role refused first", err)
	}
	gate := make(chan struct{})
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		if strings.Contains(strings.Join(argv, " "), "sh install.sh") {
			<-gate
		}
		return base(domain, argv)
	}
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Transition(ctx, alice, e.release.ID, release.Move{To: release.StateFailed, Reason: "by hand"})
	if apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), ro.ID) {
		t.Fatalf("a plain move to failed during the rollout: %v", err)
	}
	close(gate)
	if done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed); done.Status != rollout.StatusSucceeded {
		t.Fatalf("%s %s", done.Status, done.Error)
	}
}

// A manual target waits for a named person to do the step and mark it
// done with a note; the mark is the step's record, and a failed mark
// fails the target (here: rolled back, the person marking the rollback).
func TestManualTargetWaitsForAPersonsMark(t *testing.T) {
	e := newEnv(t, 1, "lb-1")
	ctx := context.Background()
	var lb int64
	for _, c := range e.cis {
		if c.Name == "lb-1" {
			lb = c.ID
		}
	}
	pl := plan(rollout.Rollback)
	pl.Strategy, pl.Waves = rollout.BigBang, nil
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: pl})
	if err != nil {
		t.Fatal(err)
	}
	waitTarget := func(state rollout.TargetState) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r, _ := e.svc.Get(ctx, ro.ID)
			for _, tr := range r.Targets {
				if tr.CIID == lb && tr.State == state {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("lb-1 never reached %s: %+v", state, r.Targets)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitTarget(rollout.TargetInstalling)
	if _, err := e.svc.MarkStep(ctx, mona, ro.ID, lb, rollout.StepInput{Step: "install", Outcome: "done", Note: "x"}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a manager marking: %v", err)
	}
	if _, err := e.svc.MarkStep(ctx, tess, ro.ID, lb, rollout.StepInput{Step: "install", Outcome: "done"}); apperr.FieldOf(err) != "note" {
		t.Fatalf("a mark without a note: %v", err)
	}
	if _, err := e.svc.MarkStep(ctx, tess, ro.ID, lb, rollout.StepInput{Step: "install", Outcome: "failed", Note: "The HAProxy reload refused the new config"}); err != nil {
		t.Fatal(err)
	}
	waitTarget(rollout.TargetRollingBack)
	if _, err := e.svc.MarkStep(ctx, tess, ro.ID, lb, rollout.StepInput{Step: "rollback", Outcome: "done", Note: "Restored the old config"}); err != nil {
		t.Fatal(err)
	}
	done := wait(t, e, ro.ID, rollout.StatusRolledBack, rollout.StatusFailed)
	if done.Status != rollout.StatusRolledBack {
		t.Fatalf("%s %s", done.Status, done.Error)
	}
	logs, _ := e.svc.Logs(ctx, ro.ID, lb, 0, 100)
	var text []string
	for _, l := range logs {
		text = append(text, l.Message)
	}
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "tess marked the install failed: The HAProxy reload refused") || !strings.Contains(all, "tess marked the rollback done: Restored the old config") {
		t.Fatalf("the marks are not in the target's log:\n%s", all)
	}
	if _, ok := e.marker("web-1"); ok {
		t.Fatal("web-1 kept the package after the rollback")
	}
}

// Once the release is closed, its rollouts' pre-deploy snapshots go.
func TestSnapshotsGoWhenTheReleaseCloses(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	if done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusPaused); done.Status != rollout.StatusSucceeded {
		t.Fatalf("%s", done.Status)
	}
	if n, err := e.svc.SweepSnapshots(ctx); err != nil || n != 0 {
		t.Fatalf("a deployed (not closed) release's snapshots were swept: %d %v", n, err)
	}
	if _, err := e.releases.PutReview(ctx, mona, e.release.ID, release.ReviewInput{Outcome: release.OutcomeSuccessful, Lessons: "fine"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.Transition(ctx, mona, e.release.ID, release.StateClosed, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.SweepSnapshots(ctx); err != nil || n != 2 {
		t.Fatalf("sweep after closing: %d %v, want 2", n, err)
	}
	for _, c := range e.cis {
		if snaps := e.host.Snapshots(c.Name); len(snaps) != 0 {
			t.Errorf("%s keeps %v", c.Name, snaps)
		}
	}
	if n, _ := e.svc.SweepSnapshots(ctx); n != 0 {
		t.Fatalf("a second sweep removed %d", n)
	}
}

// One rollout per target: a second release's rollout over a target the
// first still holds is refused with that rollout named; a release with no
// targets cannot be rolled out.
func TestOneRolloutPerTarget(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	hold := make(chan struct{})
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		if strings.Contains(strings.Join(argv, " "), "sh install.sh") {
			<-hold
		}
		return base(domain, argv)
	}
	first, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	m, files := packages.Manifest{Name: "web", Version: "2.1", Install: "sh install.sh", Verify: "true", Rollback: "true"}, []packages.SourceFile{{Path: "install.sh", Content: "true\n"}}
	e.approve(nil, "2.1", m, files)
	_, err = e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), "web-1 is already in rollout "+first.ID) {
		t.Fatalf("a second rollout over web-1: %v", err)
	}
	close(hold)
	wait(t, e, first.ID, rollout.StatusSucceeded)

	empty, err := e.releases.Create(ctx, tess, release.Input{Name: p("Docs"), Version: p("1"), Type: p(release.TypeMinor), Environment: p("production"),
		PlannedStart: p("2030-02-10T10:00:00Z"), PlannedEnd: p("2030-02-10T12:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Preview(ctx, alice, empty.ID, rollout.StartInput{Plan: plan(rollout.Pause)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Start(ctx, alice, empty.ID, rollout.StartInput{Plan: plan(rollout.Pause)}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("a release that is not approved: %v", err)
	}
}

// A freeze that begins during the rollout holds the next wave: the
// rollout pauses naming it, and goes on only when an admin gives a reason.
func TestFreezeBeginningMidRolloutPausesTheNextWave(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	var once sync.Once
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		if domain == "web-1" && strings.Contains(strings.Join(argv, " "), "sh install.sh") {
			once.Do(func() {
				now := time.Now().UTC()
				if _, err := e.releases.CreateFreeze(ctx, adam, release.FreezeInput{Name: p("Incident freeze"), Reason: p("Major incident"), Environment: p("production"),
					Start: p(now.Add(-time.Minute).Format(time.RFC3339)), End: p(now.Add(time.Hour).Format(time.RFC3339))}); err != nil {
					t.Error(err)
				}
			})
		}
		return base(domain, argv)
	}
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	paused := wait(t, e, ro.ID, rollout.StatusPaused, rollout.StatusSucceeded)
	if paused.Status != rollout.StatusPaused || !strings.Contains(paused.PauseReason, `"Incident freeze"`) || paused.Wave != 1 {
		t.Fatalf("%s wave %d: %q", paused.Status, paused.Wave, paused.PauseReason)
	}
	if _, err := e.svc.Act(ctx, alice, ro.ID, rollout.ActionInput{Action: "continue"}); apperr.FieldOf(err) != "reason" {
		t.Fatalf("continuing through a freeze without a reason: %v", err)
	}
	if _, err := e.svc.Act(ctx, alice, ro.ID, rollout.ActionInput{Action: "continue", Reason: "The fix for the incident itself"}); err != nil {
		t.Fatal(err)
	}
	if done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusPaused, rollout.StatusFailed); done.Status != rollout.StatusSucceeded {
		t.Fatalf("%s %s", done.Status, done.PauseReason)
	}
	var n int
	e.db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'rollout.freeze-override' AND after_json LIKE '%The fix for the incident itself%'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d freeze-override audit entries", n)
	}
}

func eventsBus() *events.Bus { return events.NewBus() }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A wave that does not pass its gate in time pauses, saying so; the time
// a wave spends paused does not count against it.
func TestWaveDeadlinePausesALateWave(t *testing.T) {
	e := newEnv(t, 1)
	e.svc.Minute = 300 * time.Millisecond // the plan's 1-minute deadline lasts 0.3 s here
	ctx := context.Background()
	pl := plan(rollout.Pause)
	pl.WaveDeadlineMinutes = 1
	pl.Gate = rollout.Gate{IntervalSeconds: 1, Rounds: 3} // 2 s of gate: longer than the deadline
	ro, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: pl})
	if err != nil {
		t.Fatal(err)
	}
	paused := wait(t, e, ro.ID, rollout.StatusPaused, rollout.StatusSucceeded)
	if paused.Status != rollout.StatusPaused || !strings.Contains(paused.PauseReason, "did not pass its gate within its deadline of 1 minute") {
		t.Fatalf("%s: %q", paused.Status, paused.PauseReason)
	}
	if paused.Deadline != nil {
		t.Fatalf("a paused wave's deadline still runs: %v", paused.Deadline)
	}
	// Given more time, the same wave passes.
	e.svc.Minute = time.Minute
	if _, err := e.svc.Act(ctx, alice, ro.ID, rollout.ActionInput{Action: "retry"}); err != nil {
		t.Fatal(err)
	}
	if done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusPaused); done.Status != rollout.StatusSucceeded {
		t.Fatalf("%s %q", done.Status, done.PauseReason)
	}
}

// What runs where for many targets at once equals asking target by target:
// two rollouts (one rolled back, one that succeeded) leave lines of two
// releases interleaved across four targets; every per-target limit cuts
// each target's lines the same way, newest first.
func TestInstallsOfEqualsInstallsPerTarget(t *testing.T) {
	e := newEnv(t, 4)
	ctx := context.Background()
	base := e.host.OnExec
	e.host.OnExec = func(domain string, argv []string) (labs.ExecResult, error) {
		if domain == "web-3" && strings.Contains(strings.Join(argv, " "), "grep -q 2.0") {
			return verifyFails(base, domain, argv, "version mismatch")
		}
		return base(domain, argv)
	}
	first, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Rollback)})
	if err != nil {
		t.Fatal(err)
	}
	if done := wait(t, e, first.ID, rollout.StatusRolledBack, rollout.StatusFailed, rollout.StatusSucceeded); done.Status != rollout.StatusRolledBack {
		t.Fatalf("first rollout %s: %s", done.Status, done.Error)
	}
	e.host.OnExec = base
	m, files := packages.Manifest{Name: "web", Version: "2.1", Install: "sh install.sh", Verify: "true", Rollback: "true"}, []packages.SourceFile{{Path: "install.sh", Content: "true\n"}}
	e.approve(nil, "2.1", m, files)
	second, err := e.svc.Start(ctx, alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Rollback)})
	if err != nil {
		t.Fatal(err)
	}
	if done := wait(t, e, second.ID, rollout.StatusRolledBack, rollout.StatusFailed, rollout.StatusSucceeded); done.Status != rollout.StatusSucceeded {
		t.Fatalf("second rollout %s: %s", done.Status, done.Error)
	}
	ids := []int64{}
	for _, c := range e.cis {
		ids = append(ids, c.ID)
	}
	ids = append(ids, ids[0], ids[len(ids)-1]+1000) // a target asked twice, one with nothing installed
	lines := 0
	for _, perCI := range []int{1, 2, 3, 50} {
		got, err := e.svc.InstallsOf(ctx, ids, perCI)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			want, err := e.svc.Installs(ctx, id, perCI)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got[id]) != fmt.Sprint(want) {
				t.Errorf("CI %d, at most %d: InstallsOf gives %v, Installs %v", id, perCI, got[id], want)
			}
		}
		if perCI == 50 {
			for _, in := range got {
				lines += len(in)
			}
		}
		if len(got[ids[len(ids)-1]]) != 0 {
			t.Errorf("a target with nothing installed has lines: %v", got[ids[len(ids)-1]])
		}
	}
	// web-1, web-2 and web-4: installed, rolled back, installed; web-3
	// (whose verify failed): rolled back, installed.
	if lines != 11 {
		t.Fatalf("%d lines in all, want 11", lines)
	}
	if got, _ := e.svc.InstallsOf(ctx, ids, 0); len(got) != 0 {
		t.Errorf("no line per target asked for, got %v", got)
	}
}
