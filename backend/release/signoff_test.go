package release

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

var max = auth.Actor{UserID: 5, Username: "max", Roles: []auth.Role{auth.RoleManager}}

// mkPackage stores a package record (the bytes live in the package store,
// which has its own tests) and attaches it to a release.
func mkPackage(t *testing.T, s *Service, releaseID int64, ch string, by auth.Actor) string {
	t.Helper()
	digest := "sha256:" + strings.Repeat(ch, 64)
	if _, err := s.db.Exec(`INSERT OR IGNORE INTO packages (digest, name, version, format, size, manifest, entries, created_by, created_at)
		VALUES (?, 'webapp', ?, 'tar.gz', 100, '{}', '[]', ?, '2026-11-01T00:00:00Z')`, digest, ch, by.Username); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AttachPackage(context.Background(), by, releaseID, digest); err != nil {
		t.Fatal(err)
	}
	// A passing test run of the package, by a tester who approves nothing.
	tina := auth.Actor{UserID: 8, Username: "tina", Roles: []auth.Role{auth.RoleTester}}
	if _, err := s.AddEvidence(context.Background(), tina, releaseID, EvidenceInput{Name: "Smoke", Target: "lab",
		Checks: []ManualCheck{{Name: "home page", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	return digest
}

func toAwaiting(t *testing.T, s *Service, id int64) {
	t.Helper()
	for _, to := range []State{StateBuilding, StateTesting, StateAwaitingApproval} {
		if _, err := s.Transition(context.Background(), tester, id, to, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func state(t *testing.T, s *Service, id int64) State {
	t.Helper()
	r, err := s.Get(context.Background(), all, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.State
}

func TestSignOffMajorNeedsTwoAndVoidsOnNewPackage(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	in := input("Payments", "3.0", at(1, 8), at(1, 12))
	in.Type = p(TypeMajor)
	r, err := s.Create(ctx, tester, in)
	if err != nil {
		t.Fatal(err)
	}
	toAwaiting(t, s, r.ID)
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), "no package") {
		t.Fatalf("approve without a package: %v", err)
	}
	first := mkPackage(t, s, r.ID, "a", tester)
	if _, err := s.Decide(ctx, tester, r.ID, DecisionInput{Decision: DecisionApprove}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a tester approving: %v", err)
	}
	so, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove})
	if err != nil {
		t.Fatal(err)
	}
	if so.Required != 2 || so.Valid != 1 || so.State != StateAwaitingApproval || so.Decisions[0].PackageDigest != first {
		t.Fatalf("after one of two: %+v", so)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("the same manager twice: %v", err)
	}
	// A new package voids the first approval.
	second := mkPackage(t, s, r.ID, "b", tester)
	so, _ = s.SignOff(ctx, max, r.ID)
	if so.Valid != 0 || so.Decisions[0].Status != DecisionVoid || !strings.Contains(so.Decisions[0].VoidReason, "package changed") || !so.CanDecide {
		t.Fatalf("after a new package: %+v", so)
	}
	// Both managers approve the new package: approved for that digest.
	s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove})
	so, err = s.Decide(ctx, max, r.ID, DecisionInput{Decision: DecisionApprove})
	if err != nil || so.State != StateApproved || so.ApprovedDigest != second || so.Valid != 2 {
		t.Fatalf("after two approvals: %+v %v", so, err)
	}
	// Deploy refuses any other digest, and takes the approved one.
	if _, err := s.TransitionDigest(ctx, admin, r.ID, StateDeploying, "", first); apperr.FieldOf(err) != "digest" {
		t.Fatalf("deploying the wrong digest: %v", err)
	}
	// Evidence after approval voids it: back to awaiting approval, deploy refused.
	if _, err := s.AddEvidence(ctx, tester, r.ID, EvidenceInput{Name: "Smoke", Target: "staging", Checks: []ManualCheck{{Name: "login", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateAwaitingApproval {
		t.Fatalf("approved release after new evidence is %s", st)
	}
	if _, err := s.Transition(ctx, admin, r.ID, StateDeploying, ""); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("deploy with void approvals: %v", err)
	}
	so, _ = s.SignOff(ctx, max, r.ID)
	if so.Valid != 0 || !strings.Contains(so.Decisions[0].VoidReason, "evidence changed after this approval (2 records then, 3 now)") {
		t.Fatalf("void by evidence: %+v", so.Decisions[0])
	}
	s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove})
	s.Decide(ctx, max, r.ID, DecisionInput{Decision: DecisionApprove})
	if _, err := s.TransitionDigest(ctx, admin, r.ID, StateDeploying, "", second); err != nil {
		t.Fatalf("deploying the approved digest: %v", err)
	}
}

func TestSignOffSeparationOfDuties(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	both := auth.Actor{UserID: 9, Username: "bob", Roles: []auth.Role{auth.RoleTester, auth.RoleManager}}
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, r.ID)
	mkPackage(t, s, r.ID, "c", both)
	if _, err := s.Decide(ctx, both, r.ID, DecisionInput{Decision: DecisionApprove}); apperr.KindOf(err) != apperr.KindForbidden || !strings.Contains(err.Error(), "built this release's package") {
		t.Fatalf("the builder approving: %v", err)
	}
	// A manager who attached evidence tested it.
	if _, err := s.AddEvidence(ctx, manager, r.ID, EvidenceInput{Name: "Run", Target: "lab", Checks: []ManualCheck{{Name: "x", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	so, _ := s.SignOff(ctx, manager, r.ID)
	if so.CanDecide || !strings.Contains(so.CannotDecideReason, "You tested this release") {
		t.Fatalf("the tester's sign-off view: %+v", so)
	}
	if _, err := s.Decide(ctx, max, r.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateApproved {
		t.Fatalf("minor release after one approval: %s", st)
	}
}

func TestEmergencyAndPolicies(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	in := input("Hotfix", "1", at(1, 8), at(1, 9))
	in.Type = p(TypeEmergency)
	r, _ := s.Create(ctx, tester, in)
	if _, err := s.Transition(ctx, tester, r.ID, StateBuilding, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, tester, r.ID, StateAwaitingApproval, "CVE in production"); err != nil {
		t.Fatal(err)
	}
	mkPackage(t, s, r.ID, "d", tester)
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); apperr.FieldOf(err) != "reason" {
		t.Fatalf("emergency approval without justification: %v", err)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove, Reason: "Actively exploited"}); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateApproved {
		t.Fatalf("emergency after one justified approval: %s", st)
	}
	// An environment's own policy wins over the default.
	if _, err := s.PutPolicy(ctx, admin, Policy{Environment: "production", Type: TypeMinor, Required: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPolicy(ctx, admin, Policy{Environment: "production", Type: TypeMinor, Required: 9}); apperr.FieldOf(err) != "required" {
		t.Fatalf("9 approvals: %v", err)
	}
	minor, _ := s.Create(ctx, tester, input("Web", "2", at(2, 8), at(2, 9)))
	if so, _ := s.SignOff(ctx, manager, minor.ID); so.Required != 3 || so.Policy.Environment != "production" {
		t.Fatalf("policy: %+v", so.Policy)
	}
	if err := s.DeletePolicy(ctx, admin, "*", TypeMinor); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("deleting a default: %v", err)
	}
	if err := s.DeletePolicy(ctx, admin, "production", TypeMinor); err != nil {
		t.Fatal(err)
	}
	if so, _ := s.SignOff(ctx, manager, minor.ID); so.Required != 1 {
		t.Fatalf("after delete: %+v", so.Policy)
	}
}

func TestReviewNotesAndReadOnly(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, tester, input("Web <b>", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, r.ID)
	digest := mkPackage(t, s, r.ID, "e", tester)
	s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove})
	if _, err := s.PutReview(ctx, manager, r.ID, ReviewInput{Outcome: OutcomeSuccessful}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("review before deployment: %v", err)
	}
	s.Transition(ctx, admin, r.ID, StateDeploying, "")
	s.Transition(ctx, admin, r.ID, StateDeployed, "")
	for _, bad := range []struct {
		in    ReviewInput
		field string
	}{
		{ReviewInput{Outcome: "great"}, "outcome"},
		{ReviewInput{Outcome: OutcomeFailed, Incidents: []Incident{{Title: "Outage", DetectedAt: "yesterday"}}}, "incidents[0].detected_at"},
		{ReviewInput{Outcome: OutcomeFailed, Incidents: []Incident{{Title: "Outage", DetectedAt: "2026-12-01T10:00:00Z", RestoredAt: "2026-12-01T09:00:00Z"}}}, "incidents[0].restored_at"},
		{ReviewInput{Outcome: OutcomeSuccessful, FollowUps: []FollowUp{{Action: "Fix alerting"}}}, "follow_ups[0].owner"},
	} {
		if _, err := s.PutReview(ctx, manager, r.ID, bad.in); apperr.FieldOf(err) != bad.field {
			t.Fatalf("review %+v: %v, want field %s", bad.in, err, bad.field)
		}
	}
	if _, err := s.PutReview(ctx, tester, r.ID, ReviewInput{Outcome: OutcomeSuccessful}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("tester reviewing: %v", err)
	}
	got, err := s.PutReview(ctx, manager, r.ID, ReviewInput{Outcome: OutcomePartial, Lessons: "Warm the cache first",
		Incidents: []Incident{{Title: "Slow logins", DetectedAt: "2026-12-01T10:00:00+01:00", RestoredAt: "2026-12-01T10:30:00+01:00"}},
		FollowUps: []FollowUp{{Action: "Cache warm-up job", Owner: "tess", Due: "2026-12-15"}}})
	if err != nil || got.State != StateReviewed || got.Review.Incidents[0].DetectedAt != "2026-12-01T09:00:00Z" {
		t.Fatalf("review: %+v %v", got, err)
	}
	notes, err := s.Notes(ctx, r.ID)
	if err != nil || !notes.Generated || !strings.Contains(notes.Markdown, digest) || strings.Contains(notes.HTML, "<b>") || !strings.Contains(notes.HTML, "Web &lt;b&gt;") {
		t.Fatalf("generated notes: %+v %v", notes, err)
	}
	if _, err := s.PutNotes(ctx, tester, r.ID, NotesInput{Markdown: "# Web\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"}); err != nil {
		t.Fatal(err)
	}
	notes, _ = s.Notes(ctx, r.ID)
	if notes.Generated || strings.Contains(notes.HTML, "<script>") || strings.Contains(notes.HTML, "javascript:") {
		t.Fatalf("edited notes HTML is unsafe: %s", notes.HTML)
	}
	if _, err := s.PublishNotes(ctx, manager, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutNotes(ctx, tester, r.ID, NotesInput{Markdown: "changed"}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("editing published notes: %v", err)
	}
	report, err := s.Report(ctx, all, r.ID)
	if err != nil || !strings.Contains(string(report), "Slow logins") || !strings.Contains(string(report), digest) || strings.Contains(string(report), "<b>") {
		t.Fatalf("report: %v\n%s", err, report)
	}
	if _, err := s.Transition(ctx, manager, r.ID, StateClosed, ""); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func() error{
		"review": func() error {
			_, err := s.PutReview(ctx, manager, r.ID, ReviewInput{Outcome: OutcomeSuccessful})
			return err
		},
		"evidence": func() error {
			_, err := s.AddEvidence(ctx, tester, r.ID, EvidenceInput{Name: "x", Target: "y", Checks: []ManualCheck{{Name: "z"}}})
			return err
		},
		"package": func() error { _, err := s.AttachPackage(ctx, tester, r.ID, digest); return err },
		"edit":    func() error { _, err := s.Update(ctx, tester, r.ID, Input{Name: p("New")}); return err },
	} {
		if err := write(); apperr.KindOf(err) != apperr.KindConflict {
			t.Fatalf("%s on a closed release: %v", name, err)
		}
	}
}

// Sign-off after a rollback, a re-attached package, a change of mind and a
// policy change: each needs fresh decisions, and nobody gets stuck.
func TestSignOffRoundsAndChangesOfMind(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, r.ID)
	a := mkPackage(t, s, r.ID, "a", tester)
	// A manager who approved may still reject (a change of mind) — here on a major policy of 2.
	if _, err := s.PutPolicy(ctx, admin, Policy{Environment: "production", Type: TypeMinor, Required: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionReject, Reason: "Found a flaw after all"}); err != nil {
		t.Fatalf("reject after approving: %v", err)
	}
	if st := state(t, s, r.ID); st != StateTesting {
		t.Fatalf("after the rejection: %s", st)
	}
	// Back to sign-off: the earlier approval is of an earlier round.
	s.Transition(ctx, tester, r.ID, StateAwaitingApproval, "")
	so, _ := s.SignOff(ctx, max, r.ID)
	if so.Valid != 0 || !so.CanDecide {
		t.Fatalf("a new round: %+v", so)
	}
	s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove})
	s.Decide(ctx, max, r.ID, DecisionInput{Decision: DecisionApprove})
	if st := state(t, s, r.ID); st != StateApproved {
		t.Fatalf("after two approvals: %s", st)
	}
	// Raising the policy sends it back to awaiting approval.
	if _, err := s.PutPolicy(ctx, admin, Policy{Environment: "production", Type: TypeMinor, Required: 3}); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateAwaitingApproval {
		t.Fatalf("after raising the policy: %s", st)
	}
	s.DeletePolicy(ctx, admin, "production", TypeMinor)
	// Re-attaching an older package voids what was approved before.
	b := mkPackage(t, s, r.ID, "b", tester)
	s.AttachPackage(ctx, tester, r.ID, a)
	so, _ = s.SignOff(ctx, max, r.ID)
	if so.Valid != 0 || so.PackageDigest != a || !so.CanDecide {
		t.Fatalf("after re-attaching %s: %+v", a, so)
	}
	for _, d := range so.Decisions {
		if d.Status == DecisionValid {
			t.Fatalf("a decision still counts: %+v", d)
		}
	}
	// Evidence of another package does not count for this one.
	untested := "sha256:" + strings.Repeat("c", 64)
	s.db.Exec(`INSERT INTO packages (digest, name, version, format, size, manifest, entries, created_by, created_at) VALUES (?, 'webapp', 'c', 'tar.gz', 1, '{}', '[]', 'tess', 'x')`, untested)
	if _, err := s.AttachPackage(ctx, tester, r.ID, untested); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); err == nil || !strings.Contains(err.Error(), "no test evidence") {
		t.Fatalf("approving a package nobody tested: %v", err)
	}
	s.AttachPackage(ctx, tester, r.ID, b)
	if _, err := s.Decide(ctx, max, r.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	// Deploy, roll back, rebuild: the old approval does not carry over.
	s.Transition(ctx, admin, r.ID, StateDeploying, "")
	s.Transition(ctx, admin, r.ID, StateRolledBack, "health gate failed")
	for _, to := range []State{StateBuilding, StateTesting, StateAwaitingApproval} {
		if _, err := s.Transition(ctx, tester, r.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	so, _ = s.SignOff(ctx, max, r.ID)
	if so.Valid != 0 || so.ApprovedDigest != "" || !so.CanDecide {
		t.Fatalf("after a rollback and rebuild: %+v", so)
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
