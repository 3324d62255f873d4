package release

import (
	"context"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
)

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

// Deleting an environment's own policy puts the default back, and an
// approval that no longer meets it stops counting as approved: the release
// goes back to awaiting approval, as when a policy is raised.
func TestDeletingALowerPolicyRechecksApprovedReleases(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.PutPolicy(ctx, admin, Policy{Environment: "*", Type: TypeMinor, Required: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPolicy(ctx, admin, Policy{Environment: "production", Type: TypeMinor, Required: 1}); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, r.ID)
	mkPackage(t, s, r.ID, "a", tester)
	if _, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateApproved {
		t.Fatalf("one approval under production's policy of 1: %s", st)
	}
	if err := s.DeletePolicy(ctx, admin, "production", TypeMinor); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, r.ID); st != StateAwaitingApproval {
		t.Fatalf("after the policy of 1 was deleted (default 2): %s, want awaiting-approval", st)
	}
}
