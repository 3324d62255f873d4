package release

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
)

// A manager who requested a release (created it) cannot approve it in
// production, where the default rules keep requesters off their own
// approvals; in an environment without such a rule they may.
func TestRequesterCannotApproveInProduction(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	// One person with every role: requests, then tries to approve.
	rita := auth.Actor{UserID: 11, Username: "rita", Roles: auth.AllRoles}
	prod, _ := s.Create(ctx, rita, input("Web", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, prod.ID)
	mkPackage(t, s, prod.ID, "a", tester)
	so, _ := s.SignOff(ctx, rita, prod.ID)
	if so.CanDecide || !strings.Contains(so.CannotDecideReason, "You requested this release") || so.Duties.RequesterMayApprove {
		t.Fatalf("the requester's sign-off view in production: can=%v reason=%q duties=%+v", so.CanDecide, so.CannotDecideReason, so.Duties)
	}
	if _, err := s.Decide(ctx, rita, prod.ID, DecisionInput{Decision: DecisionApprove}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("the requester approving in production: %v, want forbidden", err)
	}
	in := input("Web", "2", at(2, 8), at(2, 9))
	in.Environment = p("staging")
	staging, _ := s.Create(ctx, rita, in)
	toAwaiting(t, s, staging.ID)
	mkPackage(t, s, staging.ID, "b", tester)
	if _, err := s.Decide(ctx, rita, staging.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
		t.Fatalf("the requester approving in staging (default rules allow it): %v", err)
	}
	// An admin can extend the rule to staging.
	if _, err := s.PutDutyPolicy(ctx, admin, DutyPolicy{Environment: "staging", ApproverMayDeploy: ApproverDeployYes}); err != nil {
		t.Fatal(err)
	}
	in.Version = p("3")
	again, _ := s.Create(ctx, rita, in)
	toAwaiting(t, s, again.ID)
	mkPackage(t, s, again.ID, "c", tester)
	if _, err := s.Decide(ctx, rita, again.ID, DecisionInput{Decision: DecisionApprove}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("after staging's own rule: %v, want forbidden", err)
	}
	if _, err := s.PutDutyPolicy(ctx, admin, DutyPolicy{Environment: "staging", ApproverMayDeploy: "sometimes"}); apperr.FieldOf(err) != "approver_may_deploy" {
		t.Fatalf("a bad rule: %v", err)
	}
	if err := s.DeleteDutyPolicy(ctx, admin, "*"); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("deleting the default rules: %v", err)
	}
}

// Approving a package whose evidence failed, or that has no passing
// evidence, needs a written justification, kept on the decision and in the
// audit trail.
func TestApprovalAgainstFailedEvidenceNeedsJustification(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, r.ID)
	mkPackage(t, s, r.ID, "a", tester) // one passing check
	tina := auth.Actor{UserID: 8, Username: "tina", Roles: []auth.Role{auth.RoleTester}}
	if _, err := s.AddEvidence(ctx, tina, r.ID, EvidenceInput{Name: "Load", Target: "lab",
		Checks: []ManualCheck{{Name: "p99 under 200 ms", Passed: false, Output: "p99 840 ms"}, {Name: "no 5xx", Passed: false}}}); err != nil {
		t.Fatal(err)
	}
	so, _ := s.SignOff(ctx, manager, r.ID)
	if !so.NeedsJustification || !so.AgainstEvidence || !strings.Contains(so.JustificationReason, "2 failed and 1 passed") {
		t.Fatalf("sign-off with failed evidence: needs=%v against=%v reason=%q", so.NeedsJustification, so.AgainstEvidence, so.JustificationReason)
	}
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); apperr.FieldOf(err) != "reason" {
		t.Fatalf("approving against failed evidence without a word: %v, want an error on reason", err)
	}
	if st := state(t, s, r.ID); st != StateAwaitingApproval {
		t.Fatalf("after the refused approval: %s", st)
	}
	why := "The load test ran against an undersized lab; production has twice the cores."
	so2, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove, Reason: why})
	if err != nil {
		t.Fatal(err)
	}
	if d := so2.Decisions[0]; !d.AgainstEvidence || d.Reason != why {
		t.Fatalf("the decision kept: %+v", d)
	}
	entries, _, err := audit.List(ctx, db, audit.Filter{Entity: "release", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == "release.approve" && strings.Contains(string(e.After), "against_evidence") && strings.Contains(string(e.After), "undersized") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audit entry of the approval against evidence with its justification in %d entries", len(entries))
	}
	// No evidence at all on an emergency release: the justification is asked for that.
	in := input("Hotfix", "1", at(3, 8), at(3, 9))
	in.Type = p(TypeEmergency)
	e, _ := s.Create(ctx, tester, in)
	s.Transition(ctx, tester, e.ID, StateBuilding, "")
	s.Transition(ctx, tester, e.ID, StateAwaitingApproval, "CVE")
	s.db.Exec(`INSERT INTO packages (digest, name, version, format, size, manifest, entries, created_by, created_at) VALUES (?, 'w', 'e', 'tar.gz', 1, '{}', '[]', 'tess', 'x')`, "sha256:"+strings.Repeat("e", 64))
	s.AttachPackage(ctx, tester, e.ID, "sha256:"+strings.Repeat("e", 64))
	if so, _ := s.SignOff(ctx, manager, e.ID); !strings.Contains(so.JustificationReason, "no passing test evidence") {
		t.Fatalf("emergency without evidence: %q", so.JustificationReason)
	}
}

// approved walks a production release to approved, approved by manager.
func approved(t *testing.T, s *Service, typ Type, version string) *Release {
	t.Helper()
	ctx := context.Background()
	in := input("Web", version, at(1, 8), at(1, 9))
	in.Type = &typ
	r, err := s.Create(ctx, tester, in)
	if err != nil {
		t.Fatal(err)
	}
	if typ == TypeEmergency {
		s.Transition(ctx, tester, r.ID, StateBuilding, "")
		if _, err := s.Transition(ctx, tester, r.ID, StateAwaitingApproval, "CVE"); err != nil {
			t.Fatal(err)
		}
	} else {
		toAwaiting(t, s, r.ID)
	}
	mkPackage(t, s, r.ID, version, tester)
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove, Reason: "fine"}); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateApproved {
		t.Fatalf("%s: %s", version, st)
	}
	return r
}

// In production an approver does not deploy what they approved, except an
// emergency release, which is recorded.
func TestApproverDoesNotDeployInProduction(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	monaAdmin := auth.Actor{UserID: manager.UserID, Username: manager.Username, Roles: []auth.Role{auth.RoleManager, auth.RoleAdmin}}
	minor := approved(t, s, TypeMinor, "a")
	if _, err := s.Transition(ctx, monaAdmin, minor.ID, StateDeploying, ""); apperr.KindOf(err) != apperr.KindForbidden || !strings.Contains(err.Error(), "You approved") {
		t.Fatalf("the approver deploying a minor release: %v, want forbidden", err)
	}
	if _, err := s.Transition(ctx, admin, minor.ID, StateDeploying, ""); err != nil {
		t.Fatalf("another admin deploying it: %v", err)
	}
	emergency := approved(t, s, TypeEmergency, "b")
	if _, err := s.Transition(ctx, monaAdmin, emergency.ID, StateDeploying, ""); err != nil {
		t.Fatalf("the approver deploying an emergency release: %v", err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'release.deploy-by-approver' AND entity_id = ?`, emergency.ID).Scan(&n)
	if n != 1 {
		t.Fatalf("%d audit entries of the approver deploying, want 1", n)
	}
}

// A deployment does not start inside a freeze of its environment; an admin
// may override it with a reason, and the override is audited.
func TestFreezeHoldsDeployments(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	r := approved(t, s, TypeMinor, "a")
	now := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	if _, err := s.CreateFreeze(ctx, admin, FreezeInput{Name: p("Christmas"), Reason: p("Holidays"), Environment: p("production"),
		Start: p("2026-12-23T00:00:00Z"), End: p("2026-12-27T00:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Transition(ctx, admin, r.ID, StateDeploying, "")
	if apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), `"Christmas"`) {
		t.Fatalf("deploying inside the freeze: %v, want a conflict naming it", err)
	}
	if _, err := s.Apply(ctx, all, r.ID, Move{To: StateDeploying, OverrideFreeze: true}); apperr.FieldOf(err) != "reason" {
		t.Fatalf("an override without a reason: %v", err)
	}
	tom := auth.Actor{UserID: 20, Username: "tom", Roles: []auth.Role{auth.RoleManager}}
	if _, err := s.Apply(ctx, tom, r.ID, Move{To: StateDeploying, OverrideFreeze: true, Reason: "x"}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("a manager overriding: %v", err)
	}
	if st := state(t, s, r.ID); st != StateApproved {
		t.Fatalf("after refused moves: %s", st)
	}
	if _, err := s.Apply(ctx, admin, r.ID, Move{To: StateDeploying, OverrideFreeze: true, Reason: "Payment outage fix"}); err != nil {
		t.Fatal(err)
	}
	var after string
	db.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'release.freeze-override' AND entity_id = ?`, r.ID).Scan(&after)
	if !strings.Contains(after, "Christmas") || !strings.Contains(after, "Payment outage fix") {
		t.Fatalf("the override's audit entry: %q", after)
	}
	// Outside the freeze, or in another environment, nothing is held.
	s.SetClock(func() time.Time { return now.AddDate(0, 0, 5) })
	r2 := approved(t, s, TypeMinor, "b")
	if _, err := s.Transition(ctx, admin, r2.ID, StateDeploying, ""); err != nil {
		t.Fatalf("after the freeze: %v", err)
	}
}
