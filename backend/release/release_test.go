package release

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

var (
	tester  = auth.Actor{UserID: 2, Username: "tess", Roles: []auth.Role{auth.RoleTester}}
	manager = auth.Actor{UserID: 3, Username: "mona", Roles: []auth.Role{auth.RoleManager}}
	admin   = auth.Actor{UserID: 4, Username: "adam", Roles: []auth.Role{auth.RoleAdmin}}
	all     = auth.Actor{UserID: 1, Username: "root", Roles: auth.AllRoles}
)

func newService(t *testing.T) (*Service, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewService(db, events.NewBus()), db
}

func p[T any](v T) *T { return &v }

func at(day, hour int) string {
	return time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC).Format(time.RFC3339)
}

func mkCI(t *testing.T, s *Service, name, crit string) CI {
	t.Helper()
	c, err := s.CreateCI(context.Background(), tester, CIInput{Name: &name, Kind: p("vm"), Environment: p("production"), Criticality: &crit})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func input(name, version string, start, end string, cis ...int64) Input {
	return Input{Name: &name, Version: &version, Type: p(TypeMinor), Environment: p("production"),
		PlannedStart: &start, PlannedEnd: &end, CIIDs: &cis,
		Changes: &[]ChangeInput{{RFC: "RFC-1", Title: "Patch", Risk: "medium"}}}
}

func TestCreateValidation(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	ci := mkCI(t, s, "web-1", "high")
	base := func() Input { return input("Web", "1.0", at(1, 8), at(1, 12), ci.ID) }
	cases := []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"missing name", func(in *Input) { in.Name = nil }, "name"},
		{"blank name", func(in *Input) { in.Name = p("   ") }, "name"},
		{"bad version", func(in *Input) { in.Version = p("1 0; DROP TABLE releases") }, "version"},
		{"bad type", func(in *Input) { in.Type = p(Type("huge")) }, "type"},
		{"end before start", func(in *Input) { in.PlannedEnd = p(at(1, 6)) }, "planned_end"},
		{"bad date", func(in *Input) { in.PlannedStart = p("tomorrow") }, "planned_start"},
		{"unknown ci", func(in *Input) { in.CIIDs = &[]int64{ci.ID, 999} }, "ci_ids[1]"},
		{"unknown dep", func(in *Input) { in.DependsOn = &[]int64{42} }, "depends_on[0]"},
		{"change without title", func(in *Input) { in.Changes = &[]ChangeInput{{RFC: "RFC-2", Risk: "low"}} }, "changes[0].title"},
		{"duplicate rfc", func(in *Input) {
			in.Changes = &[]ChangeInput{{RFC: "RFC-2", Title: "a", Risk: "low"}, {RFC: "rfc-2", Title: "b", Risk: "low"}}
		}, "changes[1].rfc"},
		{"bad risk", func(in *Input) { in.Changes = &[]ChangeInput{{RFC: "RFC-2", Title: "a", Risk: "extreme"}} }, "changes[0].risk"},
		{"javascript link", func(in *Input) {
			in.Changes = &[]ChangeInput{{RFC: "RFC-2", Title: "a", Risk: "low", Link: "javascript:alert(1)"}}
		}, "changes[0].link"},
		{"control char", func(in *Input) { in.Name = p("bad\x00name") }, "name"},
		{"too long", func(in *Input) { in.Name = p(strings.Repeat("x", 101)) }, "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.edit(&in)
			_, err := s.Create(ctx, tester, in)
			if apperr.FieldOf(err) != c.field {
				t.Fatalf("err = %v (field %q), want field %q", err, apperr.FieldOf(err), c.field)
			}
		})
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM releases`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d releases written by failed creates", n)
	}
	db.QueryRow(`SELECT count(*) FROM release_changes`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d changes written by failed creates", n)
	}

	// HTML and SQL-ish text is stored as text.
	in := base()
	in.Description = p(`<script>alert(1)</script>' OR 1=1 --`)
	r, err := s.Create(ctx, tester, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Description != `<script>alert(1)</script>' OR 1=1 --` || r.Owner != "tess" || r.State != StatePlanned {
		t.Fatalf("release = %+v", r.Summary)
	}
	if _, err := s.Create(ctx, tester, base()); apperr.KindOf(err) != apperr.KindConflict || apperr.FieldOf(err) != "version" {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestLifecycle(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	r, err := s.Create(ctx, tester, input("Web", "1.0", at(1, 8), at(1, 12)))
	if err != nil {
		t.Fatal(err)
	}
	move := func(by auth.Actor, to State, reason string) error {
		_, err := s.Transition(ctx, by, r.ID, to, reason)
		return err
	}
	if err := move(admin, StateDeployed, ""); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("planned → deployed: %v", err)
	}
	// The role is checked before where the release is: a tester asking for
	// deployed hears about the role, not the state.
	if err := move(tester, StateDeployed, ""); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("planned → deployed by a tester: %v", err)
	}
	if err := move(manager, StateBuilding, ""); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("manager → building: %v", err)
	}
	for _, step := range []struct {
		by auth.Actor
		to State
	}{{tester, StateBuilding}, {tester, StateTesting}, {tester, StateAwaitingApproval}} {
		if err := move(step.by, step.to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Update(ctx, tester, r.ID, Input{Name: p("Renamed")}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("edit while awaiting approval: %v", err)
	}
	if err := move(manager, StateRejected, "evidence incomplete"); apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), "sign-off") {
		t.Fatalf("reject by transition instead of sign-off: %v", err)
	}
	mkPackage(t, s, r.ID, "a", tester)
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionReject, Reason: " "}); apperr.FieldOf(err) != "reason" {
		t.Fatalf("reject without reason: %v", err)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionReject, Reason: "evidence incomplete"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, all, r.ID); got.State != StateTesting {
		t.Fatalf("a rejection returns the release to testing, not %s", got.State)
	}
	if err := move(tester, StateAwaitingApproval, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		by auth.Actor
		to State
	}{{admin, StateDeploying}, {admin, StateDeployed}} {
		if err := move(step.by, step.to, ""); err != nil {
			t.Fatalf("→ %s: %v", step.to, err)
		}
	}
	if err := move(manager, StateReviewed, ""); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("reviewed without a review: %v", err)
	}
	if _, err := s.PutReview(ctx, manager, r.ID, ReviewInput{Outcome: OutcomeSuccessful}); err != nil {
		t.Fatal(err)
	}
	if err := move(admin, StateClosed, ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, all, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	// created, building, testing, awaiting, rejected, testing, awaiting, approved, deploying, deployed, reviewed, closed
	if got.State != StateClosed || len(got.Transitions) != 12 || len(got.AllowedTransitions) != 0 || !got.ReadOnly || got.Review == nil {
		t.Fatalf("state %s, %d transitions %+v, allowed %v, read-only %t", got.State, len(got.Transitions), got.Transitions, got.AllowedTransitions, got.ReadOnly)
	}
	if err := move(all, StateBuilding, ""); err == nil || !strings.Contains(err.Error(), "final state") {
		t.Fatalf("closed → building: %v", err)
	}
	v, err := audit.Verify(ctx, s.db)
	// 11 transitions + create + package + evidence + 2 decisions + review
	if err != nil || !v.OK || v.Entries != 17 {
		t.Fatalf("audit = %+v, %v", v, err)
	}
}

func TestEmergencyPathIsRecorded(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	normal, _ := s.Create(ctx, tester, input("Web", "1.0", at(1, 8), at(1, 12)))
	in := input("Hotfix", "1.0.1", at(2, 8), at(2, 9))
	in.Type = p(TypeEmergency)
	em, err := s.Create(ctx, tester, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{normal.ID, em.ID} {
		if _, err := s.Transition(ctx, tester, id, StateBuilding, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Transition(ctx, tester, normal.ID, StateAwaitingApproval, "urgent"); err == nil || !strings.Contains(err.Error(), "only emergency") {
		t.Fatalf("normal release skipped testing: %v", err)
	}
	if _, err := s.Transition(ctx, tester, em.ID, StateAwaitingApproval, ""); apperr.FieldOf(err) != "reason" {
		t.Fatalf("emergency without justification: %v", err)
	}
	r, err := s.Transition(ctx, tester, em.ID, StateAwaitingApproval, "CVE-2026-1234 exploited in the wild")
	if err != nil {
		t.Fatal(err)
	}
	last := r.Transitions[len(r.Transitions)-1]
	if !r.Expedited || !last.Expedited || last.Reason == "" {
		t.Fatalf("expedited not recorded: %+v %+v", r.Summary, last)
	}
	if r.Risk.Level == "" || r.Risk.Score < 10 {
		t.Fatalf("emergency risk = %+v", r.Risk)
	}
}

func TestConflictsAndDependencies(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	db1 := mkCI(t, s, "prod-db-1", "critical")
	web := mkCI(t, s, "prod-web-1", "medium")
	a, _ := s.Create(ctx, tester, input("Payments", "3.1", at(2, 8), at(2, 12), db1.ID, web.ID))
	b, _ := s.Create(ctx, tester, input("Reporting", "1.4", at(2, 10), at(2, 14), db1.ID))
	c, _ := s.Create(ctx, tester, input("Search", "2.0", at(3, 8), at(3, 12), web.ID))

	got, _ := s.Get(ctx, all, b.ID)
	if len(got.Conflicts) != 1 || got.Conflicts[0].Kind != ConflictCIOverlap || got.Conflicts[0].ReleaseID != a.ID ||
		!strings.Contains(got.Conflicts[0].Message, "prod-db-1") {
		t.Fatalf("b conflicts = %+v", got.Conflicts)
	}
	if got, _ := s.Get(ctx, all, c.ID); len(got.Conflicts) != 0 {
		t.Fatalf("c conflicts = %+v", got.Conflicts)
	}

	// A freeze covering day 3 in production flags c.
	if _, err := s.CreateFreeze(ctx, admin, FreezeInput{Name: p("Quarter close"), Start: p(at(3, 0)), End: p(at(4, 0)),
		Recurrence: p("none"), Environment: p("production")}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, all, c.ID)
	if len(got.Conflicts) != 1 || got.Conflicts[0].Kind != ConflictFreeze {
		t.Fatalf("c conflicts after freeze = %+v", got.Conflicts)
	}

	// c depends on b; then b depends on c is a cycle.
	if _, err := s.Update(ctx, tester, c.ID, Input{DependsOn: &[]int64{b.ID}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, all, b.ID); len(got.RequiredBy) != 1 || got.RequiredBy[0].ID != c.ID {
		t.Fatalf("b required by = %+v", got.RequiredBy)
	}
	if _, err := s.Update(ctx, tester, b.ID, Input{DependsOn: &[]int64{c.ID}}); apperr.FieldOf(err) != "depends_on[0]" {
		t.Fatalf("cycle: %v", err)
	}
	// Move b after c: the dependency is scheduled after its dependent.
	if _, err := s.Update(ctx, tester, b.ID, Input{PlannedStart: p(at(5, 8)), PlannedEnd: p(at(5, 10))}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, all, c.ID)
	var kinds []string
	for _, k := range got.Conflicts {
		kinds = append(kinds, string(k.Kind))
	}
	if strings.Join(kinds, ",") != "freeze,dependency" {
		t.Fatalf("c conflicts = %+v", got.Conflicts)
	}
	// Cancelling a stops its overlap conflicts; listing computes the same conflicts.
	if _, err := s.Transition(ctx, manager, a.ID, StateCancelled, "merged into 3.2"); err != nil {
		t.Fatal(err)
	}
	list, total, err := s.List(ctx, Filter{Limit: 50, Sort: "name"})
	if err != nil || total != 3 {
		t.Fatal(total, err)
	}
	for _, r := range list {
		if r.ID == c.ID && len(r.Conflicts) != 2 {
			t.Fatalf("listed c conflicts = %+v", r.Conflicts)
		}
		if r.ID == b.ID && len(r.Conflicts) != 0 {
			t.Fatalf("listed b conflicts = %+v", r.Conflicts)
		}
	}
}

func TestRiskFollowsFailureHistory(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	db1 := mkCI(t, s, "prod-db-1", "critical")
	old, _ := s.Create(ctx, tester, input("Old", "1", at(1, 8), at(1, 9), db1.ID))
	next, _ := s.Create(ctx, tester, input("Next", "2", at(9, 8), at(9, 9), db1.ID))
	before := next.Risk.Score
	for _, st := range []struct {
		by auth.Actor
		to State
	}{{tester, StateBuilding}, {tester, StateTesting}, {tester, StateAwaitingApproval}, {manager, StateApproved}, {admin, StateDeploying}} {
		if st.to == StateApproved {
			mkPackage(t, s, old.ID, "b", tester)
			if _, err := s.Decide(ctx, st.by, old.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := s.Transition(ctx, st.by, old.ID, st.to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Transition(ctx, admin, old.ID, StateRolledBack, "health gate failed"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, all, next.ID)
	if got.Risk.Score != before+pointsPerFailure {
		t.Fatalf("risk after a rollback on the same CI = %d, want %d (%+v)", got.Risk.Score, before+pointsPerFailure, got.Risk.Reasons)
	}
	found := false
	for _, r := range got.Risk.Reasons {
		found = found || (r.Factor == "history" && strings.Contains(r.Detail, "prod-db-1 (1)"))
	}
	if !found {
		t.Fatalf("no history reason: %+v", got.Risk.Reasons)
	}
}

func TestComputeRisk(t *testing.T) {
	r := computeRisk(riskInput{Type: TypeMajor,
		Changes:  []Change{{Risk: "high"}, {Risk: "high"}, {Risk: "low"}},
		CIs:      []CI{{Name: "a", Criticality: "low"}, {Name: "b", Criticality: "critical"}, {Name: "c", Criticality: "medium"}},
		Failures: map[string]int{"b": 2}})
	// changes 12+12+2=26, criticality 25, scope 5, history 16, major 5 = 77
	if r.Score != 77 || r.Level != "high" || len(r.Reasons) != 5 {
		t.Fatalf("risk = %+v", r)
	}
	if z := computeRisk(riskInput{Type: TypeMinor}); z.Score != 0 || z.Level != "low" {
		t.Fatalf("empty risk = %+v", z)
	}
}

func TestFreezeOccurrences(t *testing.T) {
	f := FreezeWindow{ID: 1, Name: "Weekend", Recurrence: "weekly",
		Start: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
	occ := f.Occurrences(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(occ) != 4 || occ[0].Start.Weekday() != time.Saturday {
		t.Fatalf("December weekends = %+v", occ)
	}
	y := FreezeWindow{Recurrence: "yearly", Start: time.Date(2020, 12, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2021, 1, 3, 0, 0, 0, 0, time.UTC)}
	occ = y.Occurrences(time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	if len(occ) != 1 || occ[0].Start.Year() != 2026 {
		t.Fatalf("year-end freeze = %+v", occ)
	}
	if _, err := (&Service{}).CreateFreeze(context.Background(), admin, FreezeInput{Name: p("x"), Start: p(at(1, 0)), End: p(at(10, 0)), Recurrence: p("weekly")}); apperr.FieldOf(err) != "end" {
		t.Fatalf("weekly freeze longer than a week: %v", err)
	}
}

// Saving a release's changes again keeps when each change was first
// recorded (lead time counts from it); a new change gets the time it came.
func TestChangesKeepTheirRecordedTime(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	first := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return first })
	r, err := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return first.Add(48 * time.Hour) })
	if _, err := s.Update(ctx, tester, r.ID, Input{Changes: &[]ChangeInput{{RFC: "RFC-1", Title: "Patch (typo fixed)", Risk: "medium"}, {RFC: "RFC-2", Title: "New", Risk: "low"}}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rows, _ := db.Query(`SELECT rfc, created_at FROM release_changes WHERE release_id = ?`, r.ID)
	for rows.Next() {
		var rfc, at string
		rows.Scan(&rfc, &at)
		got[rfc] = at
	}
	rows.Close()
	if got["RFC-1"] != store.FormatTime(first) || got["RFC-2"] != store.FormatTime(first.Add(48*time.Hour)) {
		t.Fatalf("recorded times %v", got)
	}
}

// A CI's criticality, environment and libvirt link are controlled: only an
// admin changes them, the change is audited, and the releases it moves are
// re-scored with the change in their risk reasons.
func TestCIControlledFields(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	c := mkCI(t, s, "prod-db-1", "critical")
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9), c.ID))
	before, _ := s.Get(ctx, tester, r.ID)
	for field, in := range map[string]CIInput{
		"criticality":  {Criticality: p("low")},
		"environment":  {Environment: p("staging")},
		"libvirt link": {LibvirtHost: p("local"), LibvirtDomain: p("prod-db-1")},
	} {
		if _, err := s.UpdateCI(ctx, tester, c.ID, in); apperr.KindOf(err) != apperr.KindForbidden || !strings.Contains(err.Error(), field) {
			t.Errorf("a tester changing the %s: %v, want forbidden naming it", field, err)
		}
	}
	if _, err := s.CreateCI(ctx, tester, CIInput{Name: p("prod-db-2"), Kind: p("vm"), Environment: p("production"), Criticality: p("high"),
		LibvirtHost: p("local"), LibvirtDomain: p("prod-db-1")}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("a tester creating a CI linked to a libvirt domain: %v, want forbidden", err)
	}
	if _, err := s.UpdateCI(ctx, tester, c.ID, CIInput{Description: p("Primary database")}); err != nil {
		t.Fatalf("a tester changing the description: %v", err)
	}
	if got, _ := s.GetCI(ctx, c.ID); got.Criticality != "critical" || got.LibvirtDomain != "" {
		t.Fatalf("refused changes were kept: %+v", got)
	}
	if _, err := s.UpdateCI(ctx, admin, c.ID, CIInput{Criticality: p("low")}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Get(ctx, tester, r.ID)
	if after.Risk.Score >= before.Risk.Score {
		t.Fatalf("risk %d after lowering the criticality, was %d", after.Risk.Score, before.Risk.Score)
	}
	shown := false
	for _, rr := range after.Risk.Reasons {
		if strings.Contains(rr.Detail, "prod-db-1's criticality was changed from critical to low by adam") {
			shown = true
		}
	}
	if !shown {
		t.Fatalf("the change is not in the risk reasons: %+v", after.Risk.Reasons)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'ci.update' AND before_json LIKE '%"criticality":"critical"%' AND after_json LIKE '%"criticality":"low"%'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d audit entries with the criticality before and after, want 1", n)
	}
}

// CreateCIs writes every CI or none: a bad row or a taken name refuses the
// batch, naming every row at fault.
func TestCreateCIsIsAllOrNothing(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	mkCI(t, s, "web-1", "high")
	in := func(name, env string) CIInput {
		return CIInput{Name: &name, Kind: p("host"), Environment: &env, Criticality: p("low")}
	}
	count := func() (n int) { db.QueryRow(`SELECT count(*) FROM cis`).Scan(&n); return }
	_, err := s.CreateCIs(ctx, tester, []CIInput{in("web-2", "production"), in("web-3", ""), in("web-4", "production")})
	if rows := apperr.RowsOf(err); len(rows) != 1 || rows[0].Row != 2 || rows[0].Field != "environment" || count() != 1 {
		t.Fatalf("an invalid row: %v %+v, %d CIs", err, rows, count())
	}
	_, err = s.CreateCIs(ctx, tester, []CIInput{in("web-2", "production"), in("WEB-1", "production"), in("web-2", "staging")})
	if rows := apperr.RowsOf(err); len(rows) != 2 || rows[0].Row != 2 || rows[1].Row != 3 || rows[0].Field != "name" || count() != 1 {
		t.Fatalf("taken names: %v %+v, %d CIs", err, rows, count())
	}
	if _, err := s.CreateCIs(ctx, tester, []CIInput{{Name: p("vm-9"), Kind: p("vm"), Environment: p("production"), Criticality: p("low"), LibvirtDomain: p("vm-9")}}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a tester links a domain: %v", err)
	}
	made, err := s.CreateCIs(ctx, tester, []CIInput{in("web-2", "production"), in("web-3", "staging")})
	if err != nil || len(made) != 2 || made[0].ID == 0 || made[1].Environment != "staging" || count() != 3 {
		t.Fatalf("create: %+v %v", made, err)
	}
	entries, _, _ := audit.List(ctx, db, audit.Filter{Entity: "ci", Limit: 10})
	if len(entries) != 3 || entries[0].Action != "ci.create" {
		t.Fatalf("trail: %d entries", len(entries))
	}
	found, err := s.CIsNamed(ctx, []string{"WEB-2", "web-3", "nope"})
	if err != nil || len(found) != 2 || found["web-2"].ID != made[0].ID {
		t.Fatalf("CIsNamed: %+v %v", found, err)
	}
}
