package release

// The approvals inbox: the releases awaiting sign-off, as a manager sees them.

import (
	"context"
	"database/sql"
	"math"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

// InboxItem is a release waiting for sign-off, as a manager's inbox shows it.
type InboxItem struct {
	Release            Summary `json:"release"`
	WaitingSince       string  `json:"waiting_since"`
	AgeHours           float64 `json:"age_hours"`
	Required           int     `json:"required"`
	Valid              int     `json:"valid"`
	Void               int     `json:"void"`
	MyDecision         string  `json:"my_decision"`
	CanDecide          bool    `json:"can_decide"`
	CannotDecideReason string  `json:"cannot_decide_reason"`
	PackageDigest      string  `json:"package_digest"`
	// RequestedBy asked for this sign-off; RequestNote is what they wrote
	// to the approvers (may be empty).
	RequestedBy string `json:"requested_by"`
	RequestNote string `json:"request_note"`
	// Evidence counts the records taken with the package awaiting
	// approval; EvidenceEarlier those taken with the release's earlier
	// packages (they do not vouch for this one).
	Evidence        EvidenceCount `json:"evidence"`
	EvidenceEarlier int           `json:"evidence_earlier"`
}

// Inbox is the approvals inbox.
type Inbox struct {
	Items  []InboxItem `json:"items"`
	Counts struct {
		Waiting int `json:"waiting"`
		NeedsMe int `json:"needs_me"`
		Void    int `json:"void"`
	} `json:"counts"`
}

// Inbox lists the releases awaiting approval, oldest first.
func (s *Service) Inbox(ctx context.Context, by auth.Actor) (*Inbox, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, (SELECT max(t.at) FROM release_transitions t WHERE t.release_id = r.id AND t.to_state = ?)
		FROM releases r WHERE r.state = ? ORDER BY 2`, string(StateAwaitingApproval), string(StateAwaitingApproval))
	if err != nil {
		return nil, err
	}
	type waiting struct {
		id    int64
		since sql.NullString
	}
	var ws []waiting
	for rows.Next() {
		var w waiting
		if err := rows.Scan(&w.id, &w.since); err != nil {
			rows.Close()
			return nil, err
		}
		ws = append(ws, w)
	}
	rows.Close()
	in := &Inbox{Items: []InboxItem{}}
	now := s.now()
	for _, w := range ws {
		r, err := s.Get(ctx, by, w.id)
		if err != nil {
			return nil, err
		}
		so, err := s.signOff(ctx, s.db, r, by)
		if err != nil {
			return nil, err
		}
		item := InboxItem{Release: r.Summary, WaitingSince: w.since.String, Required: so.Required, Valid: so.Valid,
			CanDecide: so.CanDecide, CannotDecideReason: so.CannotDecideReason, PackageDigest: so.PackageDigest,
			Evidence: so.PackageEvidence, EvidenceEarlier: so.EvidenceCount - so.PackageEvidence.Count}
		item.Release.Risk.Reasons = nil
		for i := len(r.Transitions) - 1; i >= 0; i-- {
			if t := r.Transitions[i]; t.To == StateAwaitingApproval {
				item.RequestedBy, item.RequestNote = t.Actor, t.Reason
				break
			}
		}
		if t, err := store.ParseTime(w.since.String); err == nil {
			item.AgeHours = math.Round(now.Sub(t).Hours()*10) / 10
		}
		for _, d := range so.Decisions {
			if d.Status == DecisionVoid {
				item.Void++
			}
			if d.Actor == by.Username && d.Decision == DecisionApprove && item.MyDecision == "" && d.Round == so.Round {
				item.MyDecision = map[bool]string{true: DecisionApprove, false: string(DecisionVoid)}[d.Status == DecisionValid]
			}
		}
		in.Items = append(in.Items, item)
		in.Counts.Waiting++
		if item.CanDecide {
			in.Counts.NeedsMe++
		}
		if item.Void > 0 {
			in.Counts.Void++
		}
	}
	return in, nil
}
