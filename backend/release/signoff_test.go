package release

import (
	"context"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
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
