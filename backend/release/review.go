package release

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// ReviewOutcome is how a deployment went, as its review judges it.
type ReviewOutcome string

// Review outcomes.
const (
	OutcomeSuccessful ReviewOutcome = "successful"
	OutcomePartial    ReviewOutcome = "partially-successful"
	OutcomeFailed     ReviewOutcome = "failed"
	OutcomeRolledBack ReviewOutcome = "rolled-back"
)

// Incident is one incident the release caused, with when it was detected and
// when service was restored (empty while it is not).
type Incident struct {
	Title      string `json:"title"`
	DetectedAt string `json:"detected_at"`
	RestoredAt string `json:"restored_at"`
}

// FollowUp is an action the review assigns to an owner.
type FollowUp struct {
	Action string `json:"action"`
	Owner  string `json:"owner"`
	Due    string `json:"due"`
}

// ReviewInput is the post-implementation review form.
type ReviewInput struct {
	Outcome    ReviewOutcome `json:"outcome"`
	Incidents  []Incident    `json:"incidents"`
	Deviations string        `json:"deviations"`
	Lessons    string        `json:"lessons"`
	FollowUps  []FollowUp    `json:"follow_ups"`
}

// Review is a release's post-implementation review.
type Review struct {
	ReviewInput
	Reviewer   string `json:"reviewer"`
	ReviewedAt string `json:"reviewed_at"`
}

// reviewable lists the states a review can be written in: after a
// deployment, or to edit it before closure.
var reviewable = []State{StateDeployed, StateFailed, StateRolledBack, StateReviewed}

func loadReview(ctx context.Context, q store.Querier, id int64) (*Review, error) {
	var r Review
	var incidents, followUps string
	err := q.QueryRowContext(ctx, `SELECT outcome, incidents, deviations, lessons, follow_ups, reviewer, reviewed_at FROM release_reviews WHERE release_id = ?`, id).
		Scan(&r.Outcome, &incidents, &r.Deviations, &r.Lessons, &followUps, &r.Reviewer, &r.ReviewedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(incidents), &r.Incidents); err != nil {
		return nil, err
	}
	return &r, json.Unmarshal([]byte(followUps), &r.FollowUps)
}

func (in *ReviewInput) validate() error {
	if !slices.Contains(ReviewOutcome("").EnumValues(), string(in.Outcome)) {
		return apperr.Invalid("outcome", "The outcome is successful, partially-successful, failed or rolled-back.")
	}
	var err error
	if in.Deviations, err = text("deviations", in.Deviations, false, 10000, true); err != nil {
		return err
	}
	if in.Lessons, err = text("lessons", in.Lessons, false, 10000, true); err != nil {
		return err
	}
	if len(in.Incidents) > 50 || len(in.FollowUps) > 50 {
		return apperr.Invalid("incidents", "At most 50 incidents and 50 follow-up actions.")
	}
	if in.Incidents == nil {
		in.Incidents = []Incident{}
	}
	if in.FollowUps == nil {
		in.FollowUps = []FollowUp{}
	}
	for i := range in.Incidents {
		inc := &in.Incidents[i]
		if inc.Title, err = text(fieldAt("incidents", i, "title"), inc.Title, true, 200, false); err != nil {
			return err
		}
		detected, err := time.Parse(time.RFC3339, inc.DetectedAt)
		if err != nil {
			return apperr.Invalid(fieldAt("incidents", i, "detected_at"), "When was the incident detected? Give a date and time (RFC 3339).")
		}
		inc.DetectedAt = detected.UTC().Format(time.RFC3339)
		if inc.RestoredAt != "" {
			restored, err := time.Parse(time.RFC3339, inc.RestoredAt)
			if err != nil {
				return apperr.Invalid(fieldAt("incidents", i, "restored_at"), "Give the restore time as a date and time (RFC 3339), or leave it empty.")
			}
			if restored.Before(detected) {
				return apperr.Invalid(fieldAt("incidents", i, "restored_at"), "Service cannot be restored before the incident was detected.")
			}
			inc.RestoredAt = restored.UTC().Format(time.RFC3339)
		}
	}
	for i := range in.FollowUps {
		f := &in.FollowUps[i]
		if f.Action, err = text(fieldAt("follow_ups", i, "action"), f.Action, true, 500, false); err != nil {
			return err
		}
		if f.Owner, err = text(fieldAt("follow_ups", i, "owner"), f.Owner, true, 100, false); err != nil {
			return err
		}
		if f.Due != "" {
			if _, err := time.Parse(time.DateOnly, f.Due); err != nil {
				return apperr.Invalid(fieldAt("follow_ups", i, "due"), "The due date is YYYY-MM-DD, or empty.")
			}
		}
	}
	return nil
}

// PutReview records the post-implementation review of a deployed, failed or
// rolled-back release, which moves it to reviewed; a reviewed release's
// review can be edited until it is closed.
func (s *Service) PutReview(ctx context.Context, by auth.Actor, id int64, in ReviewInput) (*Release, error) {
	if !by.Has(auth.RoleManager, auth.RoleAdmin) {
		return nil, apperr.Forbidden("The post-implementation review needs the manager or admin role.")
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	incidents, _ := json.Marshal(in.Incidents)
	followUps, _ := json.Marshal(in.FollowUps)
	var touched []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := writable(r); err != nil {
			return err
		}
		if !slices.Contains(reviewable, r.State) {
			return apperr.Conflict("", "%s is %s: a post-implementation review follows a deployment (deployed, failed or rolled back).", r.label(), r.State)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_reviews (release_id, outcome, incidents, deviations, lessons, follow_ups, reviewer, reviewed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (release_id) DO UPDATE SET outcome = excluded.outcome, incidents = excluded.incidents,
			deviations = excluded.deviations, lessons = excluded.lessons, follow_ups = excluded.follow_ups, reviewer = excluded.reviewer, updated_at = excluded.updated_at`,
			id, in.Outcome, string(incidents), in.Deviations, in.Lessons, string(followUps), by.Username, store.FormatTime(now), store.FormatTime(now)); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release.review", Entity: "release", EntityID: events.ID(id),
			Before: r.Review, After: in}); err != nil {
			return err
		}
		if r.State != StateReviewed {
			touched, err = s.move(ctx, tx, by, r, StateReviewed, "Post-implementation review: "+string(in.Outcome)+".", false, now)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.finishMove(ctx, by, id, touched)
}
