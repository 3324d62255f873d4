package release

// Where approvals are voided: judge gives each recorded decision its status
// (valid, void, superseded or a rejection) and the reason, and revalidate
// sends an approved release whose approvals no longer hold back to awaiting
// approval. It runs when a package is attached (attach.go), when evidence
// is recorded, by hand or by a lab's test run (evidence.go), and when a
// policy is set (revalidatePolicy).

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
)

// judge sets a decision's status: does it still count?
func (so *SignOff) judge(d *Decision) {
	switch {
	case d.Decision == DecisionReject:
		d.Status = DecisionRejection
	case d.PackageDigest != so.PackageDigest:
		d.Status, d.VoidReason = DecisionVoid, fmt.Sprintf("The package changed after this approval (%s → %s).", short(d.PackageDigest), short(so.PackageDigest))
	case d.At < so.attachedAt:
		d.Status, d.VoidReason = DecisionVoid, "The package was attached again after this approval."
	case d.EvidenceDigest != so.EvidenceDigest:
		d.Status, d.VoidReason = DecisionVoid, fmt.Sprintf("The evidence changed after this approval (%d records then, %d now).", d.EvidenceCount, so.EvidenceCount)
	case d.Round < so.Round:
		d.Status, d.VoidReason = DecisionSuperseded, "The release went back to testing or deployment after this approval and came to sign-off again."
	case slices.Contains(so.Builders, d.Actor) || slices.Contains(so.Testers, d.Actor):
		d.Status, d.VoidReason = DecisionVoid, fmt.Sprintf("%s has since built or tested this release; separation of duties says someone else approves it.", d.Actor)
	case slices.Contains(so.validBy, d.Actor):
		d.Status, d.VoidReason = DecisionSuperseded, "A later approval by the same manager counts instead."
	default:
		d.Status = DecisionValid
	}
}

// revalidate runs after a release's package or evidence changed inside tx:
// an approved release whose approvals no longer hold goes back to awaiting
// approval, and its approved digest is cleared.
func (s *Service) revalidate(ctx context.Context, tx *sql.Tx, by auth.Actor, r *Release, why string, now time.Time) ([]int64, error) {
	if r.State != StateApproved {
		return nil, nil
	}
	so, err := s.signOff(ctx, tx, r, by)
	if err != nil {
		return nil, err
	}
	if so.Valid >= so.Required && so.ApprovedDigest == so.PackageDigest {
		return nil, nil
	}
	return s.move(ctx, tx, by, r, StateAwaitingApproval, why+" The approval is void; the release needs sign-off again.", false, now)
}

// revalidateWhy is revalidate in its own transaction, for changes made
// outside one (a policy put or deleted), telling clients what moved.
func (s *Service) revalidateWhy(ctx context.Context, by auth.Actor, id int64, why string) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	var touched []int64
	moved := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		before := r.State
		touched, err = s.revalidate(ctx, tx, by, r, why, now)
		moved = r.State != before
		return err
	})
	if err != nil || !moved {
		if err == nil {
			_, err = s.publishSignOff(ctx, by, id)
		}
		return err
	}
	if _, err := s.finishMove(ctx, by, id, touched); err != nil {
		return err
	}
	_, err = s.publishSignOff(ctx, by, id)
	return err
}

// revalidatePolicy re-checks the approved releases a policy change touches:
// one that no longer has enough approvals goes back to awaiting approval.
func (s *Service) revalidatePolicy(ctx context.Context, by auth.Actor, env string, t Type) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM releases WHERE state = ? AND type = ? AND (? = '*' OR environment = ?)`,
		string(StateApproved), string(t), env, env)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.revalidateWhy(ctx, by, id, "The approval policy changed after the approval."); err != nil {
			return err
		}
	}
	return nil
}
