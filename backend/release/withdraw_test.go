package release

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
)

// Requesting approval may carry a note to the approvers; only the requester
// withdraws the request, back to testing, and the next request is a new
// sign-off round.
func TestRequestApprovalWithNoteAndWithdraw(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	r, err := s.Create(ctx, tester, input("Web", "1.0", at(1, 8), at(1, 12)))
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []State{StateBuilding, StateTesting} {
		if _, err := s.Transition(ctx, tester, r.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Transition(ctx, tester, r.ID, StateAwaitingApproval, "Please look at the DB migration timing.")
	if err != nil {
		t.Fatal(err)
	}
	last := got.Transitions[len(got.Transitions)-1]
	if last.To != StateAwaitingApproval || last.Reason != "Please look at the DB migration timing." {
		t.Fatalf("request note not recorded: %+v", last)
	}
	inbox, err := s.Inbox(ctx, manager)
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox.Items) != 1 || inbox.Items[0].RequestedBy != "tess" || inbox.Items[0].RequestNote != "Please look at the DB migration timing." {
		t.Fatalf("inbox does not show the request's note: %+v", inbox.Items)
	}
	other := auth.Actor{UserID: 9, Username: "tom", Roles: []auth.Role{auth.RoleTester}}
	for _, c := range []struct {
		who  auth.Actor
		want bool
	}{{tester, true}, {other, false}, {manager, false}} {
		seen, err := s.Get(ctx, c.who, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(seen.AllowedTransitions, StateTesting); got != c.want {
			t.Errorf("%s may withdraw: %v, want %v (%v)", c.who.Username, got, c.want, seen.AllowedTransitions)
		}
	}
	if _, err := s.Transition(ctx, other, r.ID, StateTesting, ""); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("withdraw by another tester: %v", err)
	}
	if _, err := s.Transition(ctx, manager, r.ID, StateTesting, ""); apperr.KindOf(err) != apperr.KindForbidden {
		t.Fatalf("withdraw by a manager: %v", err)
	}
	got, err = s.Transition(ctx, tester, r.ID, StateTesting, "Found a bug in the verify script.")
	if err != nil {
		t.Fatalf("requester withdraws: %v", err)
	}
	if got.State != StateTesting {
		t.Fatalf("after withdraw: %s", got.State)
	}
	// Withdrawn is not in sign-off any more; asking again works.
	if _, err := s.Transition(ctx, tester, r.ID, StateAwaitingApproval, ""); err != nil {
		t.Fatal(err)
	}
}

// A recurring freeze lists every occurrence in a calendar range, and a
// monthly one on the 31st falls on the last day of shorter months.
func TestCalendarListsEveryFreezeOccurrence(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.CreateFreeze(ctx, admin, FreezeInput{Name: p("Weekend"), Start: p("2026-01-03T00:00:00Z"), End: p("2026-01-05T00:00:00Z"), Recurrence: p("weekly")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFreeze(ctx, admin, FreezeInput{Name: p("Month end"), Start: p("2026-01-31T18:00:00Z"), End: p("2026-01-31T23:00:00Z"), Recurrence: p("monthly")}); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	cal, err := s.CalendarRange(ctx, from, from.AddDate(0, 0, 42))
	if err != nil {
		t.Fatal(err)
	}
	var weekends, monthEnds []string
	for _, o := range cal.Freezes {
		switch o.Name {
		case "Weekend":
			weekends = append(weekends, o.Start.Format(time.DateOnly))
		case "Month end":
			monthEnds = append(monthEnds, o.Start.Format(time.DateOnly))
		}
	}
	if len(weekends) != 6 || weekends[0] != "2026-12-05" || weekends[5] != "2027-01-09" {
		t.Fatalf("weekend occurrences = %v", weekends)
	}
	if len(monthEnds) != 2 || monthEnds[0] != "2026-11-30" || monthEnds[1] != "2026-12-31" {
		t.Fatalf("month-end occurrences = %v", monthEnds)
	}
	feb := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	cal, err = s.CalendarRange(ctx, feb, feb.AddDate(0, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	monthEnds = nil
	for _, o := range cal.Freezes {
		if o.Name == "Month end" {
			monthEnds = append(monthEnds, o.Start.Format(time.DateOnly))
		}
	}
	if len(monthEnds) != 2 || monthEnds[0] != "2026-02-28" || monthEnds[1] != "2026-03-31" {
		t.Fatalf("February and March month ends = %v", monthEnds)
	}
}
