package release

import (
	"context"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
)

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
