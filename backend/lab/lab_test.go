package lab_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/fakehost"
)

// The fast tier of the lab service: the real store (SQLite files), the
// real release, package and operation services, and an in-memory libvirt
// host (labs/fakehost). The real-VM tier is labs/vm_test.go and
// backend/server/vm_test.go.

var (
	tess = auth.Actor{UserID: 2, Username: "tess", Roles: []auth.Role{auth.RoleTester}}
	adam = auth.Actor{UserID: 4, Username: "adam", Roles: []auth.Role{auth.RoleAdmin}} // links CIs to libvirt domains
)

type env struct {
	t        *testing.T
	db       *store.DB
	host     *fakehost.Host
	labs     *lab.Service
	releases *release.Service
	ops      *ops.Manager
	stages   *stageLog
	release  int64
}

func p[T any](v T) *T { return &v }

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := events.NewBus()
	log := slog.New(slog.DiscardHandler)
	e := &env{t: t, db: db, host: fakehost.New(labs.HostConfig{Name: lab.LocalHost})}
	e.releases = release.NewService(db, bus)
	_, err = packages.NewStore(filepath.Join(dir, "packages"), db, bus, log)
	if err != nil {
		t.Fatal(err)
	}
	e.stages = &stageLog{Publisher: bus, byOp: map[string]*opStages{}}
	t.Cleanup(func() { e.stages.check(t) }) // after the operations have ended (cleanups run last first)
	e.ops = ops.NewManager(db, e.stages, log)
	t.Cleanup(func() { e.ops.Shutdown(context.Background()) })
	reg, err := lab.NewRegistry(ctx, db, "qemu:///system", "/fake/pool", func(labs.HostConfig) lab.Host { return e.host })
	if err != nil {
		t.Fatal(err)
	}
	e.labs = e.newService(reg)
	for _, name := range []string{"prod-web-1", "prod-web-2"} {
		e.host.AddProduction(name, 256)
	}
	var cis []int64
	for _, name := range []string{"prod-web-1", "prod-web-2"} {
		c, err := e.releases.CreateCI(ctx, adam, release.CIInput{Name: p(name), Kind: p("vm"), Environment: p("production"),
			Criticality: p("high"), LibvirtHost: p(lab.LocalHost), LibvirtDomain: p(name)})
		if err != nil {
			t.Fatal(err)
		}
		cis = append(cis, c.ID)
	}
	start, end := time.Now().Add(24*time.Hour).Format(time.RFC3339), time.Now().Add(26*time.Hour).Format(time.RFC3339)
	r, err := e.releases.Create(ctx, tess, release.Input{Name: p("Web"), Version: p("1.0"), Type: p(release.TypeMinor), Environment: p("production"),
		PlannedStart: &start, PlannedEnd: &end, CIIDs: &cis, Changes: &[]release.ChangeInput{{RFC: "RFC-1", Title: "Patch", Risk: "medium"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.release = r.ID
	return e
}

// stageTypes are the stage enums of the kinds of operation the lab service
// starts, by kind.
var stageTypes = map[string][]string{}

func init() {
	for _, s := range []interface {
		EnumValues() []string
		OperationKind() string
	}{lab.CreateStage(""), lab.TeardownStage(""), lab.PeriodStage(""), lab.ImportStage("")} {
		stageTypes[s.OperationKind()] = s.EnumValues()
	}
}

// stageLog records the stages every operation reports (from its events)
// and checks, as the test ends, that each is a value of its kind's stage
// enum, reported in the enum's order: what the API document lists is what
// the code reports.
type stageLog struct {
	events.Publisher
	mu    sync.Mutex
	byOp  map[string]*opStages
	order []string
}

type opStages struct {
	kind   string
	stages []string // each change of stage, in order
}

func (l *stageLog) Publish(typ, id string, data any) {
	if op, ok := data.(ops.Operation); ok && typ == events.OperationUpdated && op.Stage != "" {
		l.mu.Lock()
		o := l.byOp[op.ID]
		if o == nil {
			o = &opStages{kind: op.Kind}
			l.byOp[op.ID] = o
			l.order = append(l.order, op.ID)
		}
		if n := len(o.stages); n == 0 || o.stages[n-1] != op.Stage {
			o.stages = append(o.stages, op.Stage)
		}
		l.mu.Unlock()
	}
	l.Publisher.Publish(typ, id, data)
}

// of returns the stages an operation reported, in order.
func (l *stageLog) of(opID string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if o := l.byOp[opID]; o != nil {
		return slices.Clone(o.stages)
	}
	return nil
}

func (l *stageLog) check(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range l.order {
		o := l.byOp[id]
		enum, ok := stageTypes[o.kind]
		if !ok {
			t.Errorf("operation %s (%s) reports stages %q, but its kind has no stage type", id, o.kind, o.stages)
			continue
		}
		last := -1
		for _, st := range o.stages {
			i := slices.Index(enum, st)
			if i < 0 {
				t.Errorf("operation %s (%s) reports stage %q, not one of %q", id, o.kind, st, enum)
			} else if i < last {
				t.Errorf("operation %s (%s) reports its stages %q out of the order of %q", id, o.kind, o.stages, enum)
			}
			last = max(last, i)
		}
	}
}

func (e *env) newService(reg *lab.Registry) *lab.Service {
	s, err := lab.NewService(context.Background(), lab.Config{DB: e.db, Ops: e.ops, Bus: events.NewBus(), Log: slog.New(slog.DiscardHandler),
		Hosts: reg, Releases: e.releases, Packages: nopPackages{}})
	if err != nil {
		e.t.Fatal(err)
	}
	s.MaxBooting = 2
	return s
}

type nopPackages struct{}

func (nopPackages) InstallPlan(ctx context.Context, digest string, max int64) (*packages.InstallPlan, error) {
	return nil, apperr.NotFound("package", digest)
}

// spec is a lab of both CIs with an inline package and a 2-round period.
func spec() lab.LabInput {
	return lab.LabInput{Package: &lab.PackageInput{Name: "webapp 2.0", Install: "sh install.sh", Verify: "sh verify.sh",
		Files: []lab.PackageFile{{Path: "install.sh", Content: "echo 2.0 > /srv/www/version"}}},
		TestPeriod: &lab.PeriodInput{IntervalSeconds: 1, DurationSeconds: 1, Checks: []lab.CheckInput{{Name: "http", Command: "true"}}}}
}

// run creates a lab and waits for its build to end.
func (e *env) run(in lab.LabInput) (lab.Lab, ops.Operation) {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.labs.Create(ctx, tess, e.release, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.wait(st)
}

func (e *env) wait(st lab.Started) (lab.Lab, ops.Operation) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	op, err := e.ops.Wait(ctx, st.Operation.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := e.labs.Get(context.Background(), st.Lab.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return l, op
}

func TestBuildMakesTheLabAndRecordsEvidenceThroughTheRelease(t *testing.T) {
	e := newEnv(t)
	l, op := e.run(spec())
	if op.Status != ops.StatusSuccess || l.Status != lab.StatusPassed {
		t.Fatalf("op %s (%s), lab %s (%s)", op.Status, op.Error, l.Status, l.Error)
	}
	if got := e.stages.of(op.ID); !slices.Equal(got, lab.CreateStage("").EnumValues()) {
		t.Fatalf("the build reported stages %q, want every stage of lab.create", got)
	}
	// At 100 % it says how the period ended, not what its last round did.
	if want := fmt.Sprintf("Test period ended after %d round(s): %d checks passed, 0 failed", l.Summary.Rounds, l.Summary.ChecksPassed); op.Percent != 100 || op.Message != want {
		t.Fatalf("the build ended at %v %% saying %q, want %q", op.Percent, op.Message, want)
	}
	want := []string{"domain sd-lab-" + l.ID + "-prod-web-1", "domain sd-lab-" + l.ID + "-prod-web-2", "network sd-lab-" + l.ID,
		"volume sd-lab-" + l.ID + "-prod-web-1.mem", "volume sd-lab-" + l.ID + "-prod-web-1.qcow2",
		"volume sd-lab-" + l.ID + "-prod-web-2.mem", "volume sd-lab-" + l.ID + "-prod-web-2.qcow2"}
	if got := e.host.Objects(l.ID); !slices.Equal(got, want) {
		t.Fatalf("objects on the host %v, want %v", got, want)
	}
	// Running production VMs resume: each clone from its memory image, its
	// clock corrected, and the lab says so per VM.
	for _, vm := range l.VMs {
		if vm.Start != lab.StartResume || vm.StartNote != "" || !e.host.Resumed(vm.Domain) || vm.ClockSkewMS != 1500 ||
			vm.Base == nil || vm.Base.Memory == nil || vm.Base.Memory.PauseMS != 42 || vm.Base.Memory.Bytes != 64<<20 {
			t.Fatalf("VM %s: start %q (%q), resumed %v, skew %d, base %+v", vm.Domain, vm.Start, vm.StartNote, e.host.Resumed(vm.Domain), vm.ClockSkewMS, vm.Base)
		}
	}
	if e.host.Overlay("prod-web-1") == "" {
		t.Fatal("production was not captured")
	}
	if b, ok := e.host.File("sd-lab-"+l.ID+"-prod-web-1", lab.PackageDir+"/install.sh"); !ok || string(b) != "echo 2.0 > /srv/www/version" {
		t.Fatalf("package file in the guest: %q %v", b, ok)
	}
	// 2 installs, then 2 VMs × 2 checks (verify, http) in each round.
	rounds := l.Summary.Rounds
	ev, total, err := e.releases.ListEvidence(context.Background(), release.EvidenceFilter{ReleaseID: e.release, LabID: l.ID, Limit: 100})
	if err != nil || rounds < 1 || total != 2+4*rounds || len(ev) != total {
		t.Fatalf("evidence %d over %d rounds (%v)", total, rounds, err)
	}
	if l.Summary != (lab.Summary{InstallsPassed: 2, ChecksPassed: 4 * rounds, Rounds: rounds}) {
		t.Fatalf("summary %+v", l.Summary)
	}
	// Every batch of evidence is in the audit trail.
	entries, _, err := audit.List(context.Background(), e.db, audit.Filter{Entity: "release", EntityID: fmt.Sprint(e.release), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
	}
	if n := strings.Count(strings.Join(actions, " "), "release.evidence"); n != 2+rounds {
		t.Fatalf("audit has %d evidence entries, want %d (two installs, one per round): %v", n, 2+rounds, actions)
	}
	if !slices.Contains(actions, "lab.create") || !slices.Contains(actions, "lab.status") {
		t.Fatalf("audit actions %v", actions)
	}
}

// Each stage's failure undoes what the earlier stages made: no domain,
// network or volume of the lab is left, production's overlays are merged
// back, and the lab says what failed.
func TestEveryFailedStageUndoesTheEarlierOnes(t *testing.T) {
	// Clones resume by default; the methods only a booted clone calls are
	// failed in a lab that boots fresh.
	resumed := []string{"Capture", "CreateIsolatedNetwork", "LinkedClone", "SavedDefinition", "Define", "WaitAgent", "WriteFile", "Exec"}
	for _, c := range append(stageCases(resumed, false), stageCases([]string{"DomainXML", "Start"}, true)...) {
		method := c.method
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			boom := errors.New("injected " + method + " failure")
			// DomainXML is also read by the capacity check: fail the one in the build.
			if method == "DomainXML" {
				e.host.Before("Capture", func() { e.host.Fail("DomainXML", boom) })
			} else {
				e.host.Fail(method, boom)
			}
			in := spec()
			in.BootFresh = c.bootFresh
			l, op := e.run(in)
			if op.Status != ops.StatusFailure || l.Status != lab.StatusError || !strings.Contains(l.Error, boom.Error()) {
				t.Fatalf("op %s (%s), lab %s (%q)", op.Status, op.Error, l.Status, l.Error)
			}
			if left := e.host.Objects(l.ID); len(left) != 0 {
				t.Fatalf("left on the host: %v", left)
			}
			for _, vm := range []string{"prod-web-1", "prod-web-2"} {
				if o := e.host.Overlay(vm); o != "" {
					t.Fatalf("%s still writes to the capture overlay %s", vm, o)
				}
			}
			for _, vm := range l.VMs {
				if vm.Base != nil && vm.Base.State == lab.BaseInUse {
					t.Fatalf("base of %s still in use", vm.CIName)
				}
			}
		})
	}
}

func TestCancelDuringBootRemovesEverything(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	started := make(chan lab.Started, 1)
	e.host.Before("WaitAgent", func() {
		st := <-started
		if _, err := e.ops.Cancel(ctx, tess, st.Operation.ID); err != nil {
			t.Error(err)
		}
		time.Sleep(10 * time.Millisecond)
	})
	st, err := e.labs.Create(ctx, tess, e.release, spec())
	if err != nil {
		t.Fatal(err)
	}
	started <- st
	l, op := e.wait(st)
	if op.Status != ops.StatusCancelled || l.Status != lab.StatusError || !strings.Contains(l.Error, "Cancelled") {
		t.Fatalf("op %s, lab %s %q", op.Status, l.Status, l.Error)
	}
	if op.Message != "Cancelled at the request of tess." {
		t.Fatalf("the cancelled build says %q", op.Message)
	}
	if left := e.host.Objects(l.ID); len(left) != 0 {
		t.Fatalf("left on the host: %v", left)
	}
}

func TestTeardownRemovesTheLabAndMergesProductionBack(t *testing.T) {
	e := newEnv(t)
	l, _ := e.run(spec())
	// While the lab lives, its capture holds prod-web-1 (a rollout waits for it).
	if by, err := e.labs.CapturedBy(context.Background(), lab.LocalHost, "prod-web-1"); err != nil || by != l.ID {
		t.Fatalf("captured by %q (%v), want %s", by, err, l.ID)
	}
	st, err := e.labs.Teardown(context.Background(), tess, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	l, op := e.wait(st)
	if by, _ := e.labs.CapturedBy(context.Background(), lab.LocalHost, "prod-web-1"); by != "" {
		t.Fatalf("after the teardown prod-web-1 is still captured by %q", by)
	}
	if op.Status != ops.StatusSuccess || l.Status != lab.StatusTornDown {
		t.Fatalf("op %s %q, lab %s", op.Status, op.Error, l.Status)
	}
	if got, want := e.stages.of(op.ID), []string{"remove-vms", "network", "bases", "done"}; !slices.Equal(got, want) {
		t.Fatalf("teardown stages %q, want %q (nothing to cancel)", got, want)
	}
	if op.Percent != 100 || op.Message != "The lab is gone; production's overlays are merged back" {
		t.Fatalf("the teardown ended at %v %% saying %q", op.Percent, op.Message)
	}
	if left := e.host.Objects(l.ID); len(left) != 0 {
		t.Fatalf("left: %v", left)
	}
	if o := e.host.Overlay("prod-web-1"); o != "" {
		t.Fatalf("production still on overlay %s", o)
	}
	for _, vm := range l.VMs {
		if vm.State != lab.VMRemoved || vm.Base.State != lab.BaseMerged {
			t.Fatalf("vm %+v base %+v", vm, vm.Base)
		}
	}
	if _, err := e.labs.Teardown(context.Background(), tess, l.ID); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("second teardown: %v", err)
	}
}

// Another test period runs on a ready lab as an operation of its own kind;
// a teardown while it runs cancels it first.
func TestTeardownCancelsARunningTestPeriod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := spec()
	in.TestPeriod = nil
	l, op := e.run(in)
	if op.Status != ops.StatusSuccess {
		t.Fatalf("build %s %q", op.Status, op.Error)
	}
	checking := make(chan struct{})
	e.host.Before("Exec", func() { close(checking) })
	period, err := e.labs.RunPeriod(ctx, tess, l.ID, lab.PeriodInput{IntervalSeconds: 1, DurationSeconds: 600,
		Checks: []lab.CheckInput{{Name: "http", Command: "true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if period.Operation.Kind != lab.KindTestPeriod {
		t.Fatalf("test period kind %q", period.Operation.Kind)
	}
	select {
	case <-checking:
	case <-time.After(10 * time.Second):
		t.Fatal("the test period never ran a check")
	}
	st, err := e.labs.Teardown(ctx, tess, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	l, op = e.wait(st)
	if op.Status != ops.StatusSuccess || l.Status != lab.StatusTornDown {
		t.Fatalf("teardown %s %q, lab %s", op.Status, op.Error, l.Status)
	}
	if got := e.stages.of(op.ID); !slices.Equal(got, lab.TeardownStage("").EnumValues()) {
		t.Fatalf("teardown stages %q, want every stage of lab.teardown", got)
	}
	if p, err := e.ops.Get(ctx, period.Operation.ID); err != nil || p.Status != ops.StatusCancelled {
		t.Fatalf("test period %+v, %v", p, err)
	}
	if got, want := e.stages.of(period.Operation.ID), lab.PeriodStage("").EnumValues(); !slices.Equal(got, want) {
		t.Fatalf("test period stages %q, want %q", got, want)
	}
}

type stageCase struct {
	name, method string
	bootFresh    bool
}

func stageCases(methods []string, bootFresh bool) []stageCase {
	var out []stageCase
	for _, m := range methods {
		c := stageCase{name: m, method: m, bootFresh: bootFresh}
		if bootFresh {
			c.name += "/boot-fresh"
		}
		out = append(out, c)
	}
	return out
}

// Reconciliation running while labs are being built (at every step of
// the build) must never remove what a build makes. Today's race: it read
// the labs table, then deleted every object not in that read.
func TestReconcileRacingLabCreationNeverRemovesIt(t *testing.T) {
	steps := []string{"Capture", "CreateIsolatedNetwork", "LinkedClone", "SavedDefinition", "Define", "Resume", "WaitAgent", "SyncClock", "WriteFile", "Exec"}
	for round := 0; round < 5; round++ {
		for _, step := range steps {
			e := newEnv(t)
			var wg sync.WaitGroup
			reports := make(chan lab.ReconcileReport, 1)
			e.host.Before(step, func() {
				wg.Add(1)
				go func() { defer wg.Done(); reports <- e.labs.Reconcile(context.Background()) }()
				time.Sleep(time.Millisecond) // let it list the world mid-step
			})
			in := spec()
			in.TestPeriod = nil // the install runs Exec; the period adds nothing here but time
			l, op := e.run(in)
			wg.Wait()
			rep := <-reports
			if op.Status != ops.StatusSuccess || l.Status != lab.StatusPassed {
				t.Fatalf("reconcile at %s: op %s %q, lab %s %q", step, op.Status, op.Error, l.Status, l.Error)
			}
			if op.Status == ops.StatusSuccess && l.Status != lab.StatusPassed {
				t.Fatalf("lab %s", l.Status)
			}
			if got := len(e.host.Objects(l.ID)); got != 7 {
				t.Fatalf("reconcile at %s left %d of 7 objects: %v", step, got, e.host.Objects(l.ID))
			}
			for _, h := range rep.Hosts {
				if len(h.Removed) > 0 {
					t.Fatalf("reconcile at %s removed %v", step, h.Removed)
				}
			}
		}
	}
}

// After a crash mid-build (the process gone, its operation with it), the
// next start's reconciliation removes what the lab had made, merges
// production back, ends the lab's record and says all of it in its report.
func TestReconcileCleansUpAfterACrashMidBuildAndReportsIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	crash, resume := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(resume) }) // runs before the ops manager's shutdown waits for the build
	// The build stops here as if the process had died: it resumes only
	// once the test is over.
	e.host.Before("WaitAgent", func() { close(crash); <-resume })
	st, err := e.labs.Create(ctx, tess, e.release, spec())
	if err != nil {
		t.Fatal(err)
	}
	<-crash
	// A new process on the same database and host: nothing is owned.
	reg, err := lab.NewRegistry(ctx, e.db, "", "", func(labs.HostConfig) lab.Host { return e.host })
	if err != nil {
		t.Fatal(err)
	}
	restarted := e.newService(reg)
	rep := restarted.Reconcile(ctx)
	var removed []string
	for _, h := range rep.Hosts {
		removed = append(removed, h.Removed...)
	}
	id := st.Lab.ID
	for _, want := range []string{"domain sd-lab-" + id + "-prod-web-1", "domain sd-lab-" + id + "-prod-web-2", "network sd-lab-" + id,
		"volume sd-lab-" + id + "-prod-web-1.qcow2", "volume sd-lab-" + id + "-prod-web-2.qcow2",
		"volume sd-lab-" + id + "-prod-web-1.mem", "volume sd-lab-" + id + "-prod-web-2.mem"} {
		if !slices.Contains(removed, want) {
			t.Errorf("report does not say it removed %q: %v", want, removed)
		}
	}
	if n := len(removed); n != 9 { // 7 objects (2 of them memory images) and 2 overlays merged back
		t.Errorf("report lists %d removals, want 9: %v", n, removed)
	}
	if left := e.host.Objects(id); len(left) != 0 {
		t.Fatalf("left: %v", left)
	}
	if o := e.host.Overlay("prod-web-1"); o != "" {
		t.Fatalf("production still on overlay %s", o)
	}
	l, _ := restarted.Get(ctx, id)
	if l.Status != lab.StatusError || !strings.Contains(l.Error, "stopped") || len(rep.Records) != 1 {
		t.Fatalf("lab %s %q, records %v", l.Status, l.Error, rep.Records)
	}
	// A second pass finds nothing more to do.
	rep = restarted.Reconcile(ctx)
	for _, h := range rep.Hosts {
		if len(h.Removed) > 0 {
			t.Fatalf("second pass removed %v", h.Removed)
		}
	}
}

// Without a word about the package, a lab installs the release's current
// one; no_package installs nothing.
func TestLabDefaultsToTheReleasesPackage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	digest := "sha256:" + strings.Repeat("a", 64)
	if _, err := e.db.Exec(`INSERT INTO packages (digest, name, version, format, size, manifest, entries, created_by, created_at)
		VALUES (?, 'webapp', '2', 'tar.gz', 1, '{}', '[]', 'tess', '2026-11-01T00:00:00Z')`, digest); err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.AttachPackage(ctx, tess, e.release, digest); err != nil {
		t.Fatal(err)
	}
	// nopPackages cannot resolve it: the refusal proves the lab asked for it.
	_, err := e.labs.Create(ctx, tess, e.release, lab.LabInput{})
	var nf *apperr.NotFoundError
	if !errors.As(err, &nf) || nf.ID != digest {
		t.Fatalf("lab without package: %v", err)
	}
	l, op := e.run(lab.LabInput{NoPackage: true})
	if op.Status != ops.StatusSuccess || l.Spec.PackageDigest != "" || l.Summary.InstallsPassed != 0 {
		t.Fatalf("no_package lab: %s %+v", op.Status, l)
	}
}

// A closed release takes no more labs; the rule lives in the release.
func TestClosedReleaseTakesNoLab(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.releases.Transition(ctx, auth.Actor{Username: "mona", Roles: auth.AllRoles}, e.release, release.StateCancelled, "not needed"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.labs.Create(ctx, tess, e.release, spec()); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("lab for a cancelled release: %v", err)
	}
}

// One query lists labs with their VMs and bases, page by page.
func TestListPagesLabsWithTheirVMs(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 3; i++ {
		l, _ := e.run(lab.LabInput{NoPackage: true, CIIDs: nil})
		ids = append(ids, l.ID)
		st, err := e.labs.Teardown(context.Background(), tess, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.wait(st)
	}
	page, total, err := e.labs.List(context.Background(), lab.Filter{ReleaseID: e.release, Limit: 2, Offset: 1})
	if err != nil || total != 3 || len(page) != 2 {
		t.Fatalf("page of %d, total %d, %v", len(page), total, err)
	}
	for _, l := range page {
		if len(l.VMs) != 2 || l.VMs[0].Base == nil || l.VMs[0].CIName != "prod-web-1" {
			t.Fatalf("lab %s VMs %+v", l.ID, l.VMs)
		}
	}
	if page[0].ID != ids[1] || page[1].ID != ids[0] {
		t.Fatalf("order %s %s, want %s %s", page[0].ID, page[1].ID, ids[1], ids[0])
	}
	empty, total, err := e.labs.List(context.Background(), lab.Filter{ReleaseID: e.release, Limit: 2, Offset: 10})
	if err != nil || total != 3 || len(empty) != 0 || empty == nil {
		t.Fatalf("past the end: %v total %d %v", empty, total, err)
	}
	// Those written since a time (what notify catches up on).
	last, err := e.labs.Get(context.Background(), ids[2])
	if err != nil {
		t.Fatal(err)
	}
	recent, _, err := e.labs.List(context.Background(), lab.Filter{UpdatedSince: last.UpdatedAt})
	if err != nil || len(recent) == 0 || recent[0].ID != ids[2] {
		t.Fatalf("updated since the last teardown: %d labs %v", len(recent), err)
	}
	if later, _, _ := e.labs.List(context.Background(), lab.Filter{UpdatedSince: last.UpdatedAt.Add(time.Millisecond)}); len(later) != 0 {
		t.Fatalf("%d labs updated after the last write", len(later))
	}
}
