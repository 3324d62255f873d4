package release

import (
	"context"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
)

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
	if _, err := s.Apply(ctx, admin, r.ID, Move{To: StateDeploying, Digest: first}); apperr.FieldOf(err) != "digest" {
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
	if _, err := s.Apply(ctx, admin, r.ID, Move{To: StateDeploying, Digest: second}); err != nil {
		t.Fatalf("deploying the approved digest: %v", err)
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
