package release

// A release's sign-off: the decisions managers record, the SignOff computed
// from them, Decide, and the gate a transition passes. The policies are in
// signoff_policy.go, where approvals are voided in signoff_void.go, and the
// approvals inbox in signoff_inbox.go.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// Decision kinds.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// DecisionStatus says whether a recorded decision counts now.
type DecisionStatus string

// The statuses of a recorded decision.
const (
	DecisionValid      DecisionStatus = "valid"
	DecisionVoid       DecisionStatus = "void"
	DecisionSuperseded DecisionStatus = "superseded"
	DecisionRejection  DecisionStatus = "rejection"
)

// Decision is one manager's recorded sign-off decision, bound to the package
// digest and evidence set it saw.
type Decision struct {
	ID             int64  `json:"id"`
	Decision       string `json:"decision"`
	Actor          string `json:"actor"`
	Reason         string `json:"reason"`
	At             string `json:"at"`
	PackageDigest  string `json:"package_digest"`
	EvidenceDigest string `json:"evidence_digest"`
	EvidenceCount  int    `json:"evidence_count"`
	// PackageEvidenceCount counts the records taken with its package by
	// the time it was made (EvidenceCount counts every package's). Read,
	// not stored: evidence recorded later voids an approval anyway.
	PackageEvidenceCount int `json:"package_evidence_count"`
	Round                int `json:"round"`
	// AgainstEvidence marks an approval given while the package's evidence
	// had failures or no pass: its reason is the manager's justification.
	AgainstEvidence bool           `json:"against_evidence"`
	Status          DecisionStatus `json:"status"`
	VoidReason      string         `json:"void_reason"`
}

// SignOff is a release's approval status as managers see it.
type SignOff struct {
	State          State  `json:"state"`
	Required       int    `json:"required"`
	Policy         Policy `json:"policy"`
	Valid          int    `json:"valid"`
	Round          int    `json:"round"`
	PackageDigest  string `json:"package_digest"`
	ApprovedDigest string `json:"approved_digest"`
	EvidenceDigest string `json:"evidence_digest"`
	EvidenceCount  int    `json:"evidence_count"`
	EvidencePassed int    `json:"evidence_passed"`
	EvidenceFailed int    `json:"evidence_failed"`
	// PackageEvidence counts the evidence taken with the current package.
	PackageEvidence    EvidenceCount `json:"package_evidence"`
	CanDecide          bool          `json:"can_decide"`
	CanReject          bool          `json:"can_reject"`
	CannotDecideReason string        `json:"cannot_decide_reason"`
	// NeedsJustification says an approval needs a written justification,
	// and JustificationReason why: an emergency release, or evidence with
	// failures or without a pass.
	NeedsJustification  bool     `json:"needs_justification"`
	JustificationReason string   `json:"justification_reason"`
	AgainstEvidence     bool     `json:"against_evidence"`
	Builders            []string `json:"builders"`
	Testers             []string `json:"testers"`
	// Requesters are the release's creator and owner; Duties the
	// separation-of-duties rules of its environment.
	Requesters []string   `json:"requesters"`
	Duties     DutyPolicy `json:"duties"`
	Decisions  []Decision `json:"decisions"`
	validBy    []string
	attachedAt string
}

// EvidenceCount is how many evidence records passed and failed.
type EvidenceCount struct {
	Count  int `json:"count"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// DecisionInput is a manager's approve or reject.
type DecisionInput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"` // needed to reject, and to approve an emergency release
}

// evidenceSet fingerprints a release's evidence: any record added, removed
// or changed gives another digest.
type evidenceSet struct {
	digest                string
	count, passed, failed int
	byPackage             map[string]EvidenceCount
}

func loadEvidenceSet(ctx context.Context, q store.Querier, id int64) (evidenceSet, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, passed, exit_code, package_digest FROM evidence WHERE release_id = ? ORDER BY id`, id)
	if err != nil {
		return evidenceSet{}, err
	}
	defer rows.Close()
	h := sha256.New()
	es := evidenceSet{byPackage: map[string]EvidenceCount{}}
	for rows.Next() {
		var eid, exit int64
		var passed bool
		var digest string
		if err := rows.Scan(&eid, &passed, &exit, &digest); err != nil {
			return es, err
		}
		fmt.Fprintf(h, "%d:%t:%d:%s\n", eid, passed, exit, digest)
		es.count++
		pc := es.byPackage[digest]
		pc.Count++
		if passed {
			es.passed++
			pc.Passed++
		} else {
			es.failed++
			pc.Failed++
		}
		es.byPackage[digest] = pc
	}
	es.digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return es, rows.Err()
}

// currentPackage is the digest most recently attached to a release and
// when it was attached ("" if none).
func currentPackage(ctx context.Context, q store.Querier, id int64) (digest, at string, err error) {
	err = q.QueryRowContext(ctx, `SELECT digest, attached_at FROM release_packages WHERE release_id = ? ORDER BY id DESC LIMIT 1`, id).Scan(&digest, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return digest, at, err
}

func distinct(ctx context.Context, q store.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, rows.Err()
}

// signOff computes a release's sign-off from its records, as seen by actor.
func (s *Service) signOff(ctx context.Context, q store.Querier, r *Release, by auth.Actor) (*SignOff, error) {
	so := &SignOff{State: r.State, Decisions: []Decision{}}
	var err error
	if so.PackageDigest, so.attachedAt, err = currentPackage(ctx, q, r.ID); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT approved_digest FROM releases WHERE id = ?`, r.ID).Scan(&so.ApprovedDigest); err != nil {
		return nil, err
	}
	es, err := loadEvidenceSet(ctx, q, r.ID)
	if err != nil {
		return nil, err
	}
	so.EvidenceDigest, so.EvidenceCount, so.EvidencePassed, so.EvidenceFailed = es.digest, es.count, es.passed, es.failed
	so.PackageEvidence = es.byPackage[so.PackageDigest]
	if so.Policy, err = s.policyFor(ctx, q, r.Environment, r.Type); err != nil {
		return nil, err
	}
	so.Required = so.Policy.Required
	if so.Duties, err = dutiesFor(ctx, q, r.Environment); err != nil {
		return nil, err
	}
	so.Requesters = []string{}
	for _, u := range []string{r.CreatedBy, r.Owner} {
		if u != "" && !slices.Contains(so.Requesters, u) {
			so.Requesters = append(so.Requesters, u)
		}
	}
	pe := so.PackageEvidence
	so.AgainstEvidence = so.PackageDigest != "" && (pe.Failed > 0 || pe.Passed == 0)
	switch {
	case so.AgainstEvidence && pe.Count > 0:
		so.JustificationReason = fmt.Sprintf("Package %s has %d failed and %d passed checks: approving against failed evidence needs a written justification.", short(so.PackageDigest), pe.Failed, pe.Passed)
	case so.AgainstEvidence:
		so.JustificationReason = fmt.Sprintf("Package %s has no passing test evidence: approving without it needs a written justification.", short(so.PackageDigest))
	case r.Type == TypeEmergency:
		so.JustificationReason = "An emergency release needs a justification from the approving manager."
	}
	so.NeedsJustification = so.JustificationReason != ""
	// Each time the release comes to sign-off anew (not when an approval
	// went void) is a new round: approvals of earlier rounds no longer count.
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM release_transitions WHERE release_id = ? AND to_state = ? AND from_state <> ?`,
		r.ID, string(StateAwaitingApproval), string(StateApproved)).Scan(&so.Round); err != nil {
		return nil, err
	}
	if so.Builders, err = distinct(ctx, q, `SELECT attached_by FROM release_packages WHERE release_id = ? AND digest = ?
		UNION SELECT created_by FROM packages WHERE digest = ?`, r.ID, so.PackageDigest, so.PackageDigest); err != nil {
		return nil, err
	}
	// Testers are whoever recorded evidence: manual runs, and labs (under
	// the name of whoever built the lab or ran its test period).
	if so.Testers, err = distinct(ctx, q, `SELECT added_by FROM evidence WHERE release_id = ?`, r.ID); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, decision, actor, reason, at, package_digest, evidence_digest, evidence_count, package_evidence_count,
		round, against_evidence
		FROM approvals WHERE release_id = ? ORDER BY id DESC`, r.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d Decision
		if err := rows.Scan(&d.ID, &d.Decision, &d.Actor, &d.Reason, &d.At, &d.PackageDigest, &d.EvidenceDigest, &d.EvidenceCount, &d.PackageEvidenceCount, &d.Round, &d.AgainstEvidence); err != nil {
			return nil, err
		}
		so.judge(&d)
		if d.Status == DecisionValid {
			so.validBy = append(so.validBy, d.Actor)
		}
		so.Decisions = append(so.Decisions, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	so.Valid = len(so.validBy)
	if err := so.mayDecide(r, by, DecisionApprove); err != nil {
		so.CannotDecideReason = err.Error()
	}
	so.CanDecide = so.CannotDecideReason == ""
	so.CanReject = so.mayDecide(r, by, DecisionReject) == nil
	return so, nil
}

// mayDecide says whether actor may take a decision now: nil, or why not
// (forbidden for who they are, a conflict for the state things are in).
func (so *SignOff) mayDecide(r *Release, by auth.Actor, decision string) error {
	approve := decision == DecisionApprove
	switch {
	case !by.Has(auth.RoleManager):
		return apperr.Forbidden("Only managers sign off releases.")
	case r.State != StateAwaitingApproval:
		return apperr.Conflict("decision", "The release is %s; sign-off happens while it awaits approval.", r.State)
	case so.PackageDigest == "":
		return apperr.Conflict("decision", "There is no package to approve yet: a tester attaches one first.")
	case slices.Contains(so.Builders, by.Username):
		return apperr.Forbidden("You built this release's package; separation of duties says another manager approves it.")
	case slices.Contains(so.Testers, by.Username):
		return apperr.Forbidden("You tested this release; separation of duties says another manager approves it.")
	case approve && !so.Duties.RequesterMayApprove && slices.Contains(so.Requesters, by.Username):
		return apperr.Forbidden("You requested this release (its creator or owner); separation of duties in %s says another manager approves it.", r.Environment)
	case approve && slices.Contains(so.validBy, by.Username):
		return apperr.Conflict("decision", "You have approved this package and evidence already.")
	case approve && r.Type != TypeEmergency && so.PackageEvidence.Count == 0:
		return apperr.Conflict("decision", "There is no test evidence for package %s yet: test it in a lab or attach a test run before approving.", short(so.PackageDigest))
	}
	return nil
}

func short(d string) string {
	if d == "" {
		return "none"
	}
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

// SignOff returns a release's sign-off as actor sees it.
func (s *Service) SignOff(ctx context.Context, by auth.Actor, id int64) (*SignOff, error) {
	r, err := s.load(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	return s.signOff(ctx, s.db, r, by)
}

// Decide records a manager's approval or rejection. Enough valid approvals
// make the release approved for that package digest; a rejection sends it
// back to testing.
func (s *Service) Decide(ctx context.Context, by auth.Actor, id int64, in DecisionInput) (*SignOff, error) {
	if in.Decision != DecisionApprove && in.Decision != DecisionReject {
		return nil, apperr.Invalid("decision", "The decision is approve or reject.")
	}
	reason, err := text("reason", in.Reason, false, 2000, true)
	if err != nil {
		return nil, err
	}
	if !by.Has(auth.RoleManager) {
		return nil, apperr.Forbidden("Signing off a release needs the manager role.")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var touched []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		so, err := s.signOff(ctx, tx, r, by)
		if err != nil {
			return err
		}
		if err := so.mayDecide(r, by, in.Decision); err != nil {
			return err
		}
		switch {
		case in.Decision == DecisionReject && reason == "":
			return apperr.Invalid("reason", "Say why the release is rejected; the testers read it.")
		case in.Decision == DecisionApprove && so.NeedsJustification && reason == "":
			return apperr.Invalid("reason", "%s", so.JustificationReason)
		}
		against := in.Decision == DecisionApprove && so.AgainstEvidence
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (release_id, decision, actor, reason, package_digest, evidence_digest, evidence_count, package_evidence_count, round, against_evidence, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, in.Decision, by.Username, reason, so.PackageDigest, so.EvidenceDigest, so.EvidenceCount, so.PackageEvidence.Count, so.Round,
			against, store.FormatTime(now)); err != nil {
			return err
		}
		after := map[string]any{"package_digest": so.PackageDigest, "evidence_digest": so.EvidenceDigest, "evidence_count": so.EvidenceCount, "package_evidence_count": so.PackageEvidence.Count, "reason": reason}
		if against {
			after["against_evidence"] = map[string]int{"passed": so.PackageEvidence.Passed, "failed": so.PackageEvidence.Failed}
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release." + in.Decision, Entity: "release", EntityID: events.ID(id),
			After: after}); err != nil {
			return err
		}
		if in.Decision == DecisionReject {
			t1, err := s.move(ctx, tx, by, r, StateRejected, reason, false, now)
			if err != nil {
				return err
			}
			t2, err := s.move(ctx, tx, by, r, StateTesting, "Returned to testing after the rejection.", false, now)
			touched = append(t1, t2...)
			return err
		}
		if so.Valid+1 < so.Required {
			return nil
		}
		approvers := append(slices.Clone(so.validBy), by.Username)
		slices.Sort(approvers)
		if _, err := tx.ExecContext(ctx, `UPDATE releases SET approved_digest = ? WHERE id = ?`, so.PackageDigest, id); err != nil {
			return err
		}
		touched, err = s.move(ctx, tx, by, r, StateApproved,
			fmt.Sprintf("Signed off by %s (%d of %d) for package %s.", strings.Join(approvers, ", "), len(approvers), so.Required, so.PackageDigest), false, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.finishMove(ctx, by, id, touched); err != nil {
		return nil, err
	}
	return s.publishSignOff(ctx, by, id)
}

// publishSignOff tells clients a release's sign-off changed and returns it.
func (s *Service) publishSignOff(ctx context.Context, by auth.Actor, id int64) (*SignOff, error) {
	so, err := s.SignOff(ctx, by, id)
	if err != nil {
		return nil, err
	}
	s.bus.Publish(events.SignOffChanged, events.ID(id), map[string]any{"valid": so.Valid, "required": so.Required, "state": so.State})
	return so, nil
}

// gate checks what a move needs beyond the state machine: sign-off and
// separation of duties before deploying, no freeze unless an admin
// overrides it. It returns the audit records of the exceptions it allowed.
func (s *Service) gate(ctx context.Context, tx *sql.Tx, r *Release, m Move, by auth.Actor, now time.Time) ([]audit.Record, error) {
	switch m.To {
	case StateApproved, StateRejected:
		return nil, apperr.Conflict("to", "%s is approved or rejected by managers' sign-off, not moved there directly: use Approve or Reject (POST /api/v1/releases/%d/approvals).", r.label(), r.ID)
	case StateReviewed:
		return nil, apperr.Conflict("to", "%s is reviewed by filling in its post-implementation review (PUT /api/v1/releases/%d/review).", r.label(), r.ID)
	case StateDeploying:
		return s.deployGate(ctx, tx, r, m, by, now)
	case StateTesting:
		if r.State == StateAwaitingApproval {
			if err := s.withdrawGate(ctx, tx, r, by); err != nil {
				return nil, err
			}
		}
	}
	if m.OverrideFreeze {
		return nil, apperr.Invalid("override_freeze", "Only a move to deploying is held by freeze windows.")
	}
	return nil, nil
}

// withdrawGate lets only the person who requested approval withdraw the
// request (back to testing); the managers' own way out is Reject.
func (s *Service) withdrawGate(ctx context.Context, tx *sql.Tx, r *Release, by auth.Actor) error {
	var requester string
	err := tx.QueryRowContext(ctx, `SELECT actor FROM release_transitions WHERE release_id = ? AND to_state = ? ORDER BY id DESC LIMIT 1`,
		r.ID, string(StateAwaitingApproval)).Scan(&requester)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if requester != "" && requester != by.Username {
		return apperr.Forbidden("%s's approval was requested by %s: only they may withdraw the request (managers reject instead).", r.label(), requester)
	}
	return nil
}

// deployGate is the gate of a move to deploying: the approved package,
// still validly approved, not deployed by one of its approvers unless the
// environment allows it, and not started inside a freeze unless an admin
// overrides it with a reason.
func (s *Service) deployGate(ctx context.Context, tx *sql.Tx, r *Release, m Move, by auth.Actor, now time.Time) ([]audit.Record, error) {
	so, err := s.signOff(ctx, tx, r, by)
	if err != nil {
		return nil, err
	}
	switch {
	case so.ApprovedDigest == "":
		return nil, apperr.Conflict("to", "%s has no approved package to deploy.", r.label())
	case so.ApprovedDigest != so.PackageDigest:
		return nil, apperr.Conflict("to", "%s's package changed after sign-off (approved %s, now %s): it needs sign-off again.", r.label(), short(so.ApprovedDigest), short(so.PackageDigest))
	case so.Valid < so.Required:
		return nil, apperr.Conflict("to", "%s's approvals are void (%d of %d still count): the evidence or package changed after sign-off.", r.label(), so.Valid, so.Required)
	}
	if m.Digest != "" {
		d := strings.ToLower(strings.TrimSpace(m.Digest))
		if !strings.HasPrefix(d, "sha256:") {
			d = "sha256:" + d
		}
		if d != so.ApprovedDigest {
			return nil, apperr.Conflict("digest", "Package %s is not the approved package of %s (%s); only the approved digest is deployed.", short(d), r.label(), short(so.ApprovedDigest))
		}
	}
	var notes []audit.Record
	if slices.Contains(so.validBy, by.Username) {
		switch so.Duties.ApproverMayDeploy {
		case ApproverDeployNo:
			return nil, apperr.Forbidden("You approved %s; separation of duties in %s says someone else deploys it.", r.label(), r.Environment)
		case ApproverDeployEmergency:
			if r.Type != TypeEmergency {
				return nil, apperr.Forbidden("You approved %s; separation of duties in %s lets an approver deploy only emergency releases.", r.label(), r.Environment)
			}
			notes = append(notes, audit.Record{Actor: by.Username, Action: "release.deploy-by-approver", Entity: "release", EntityID: events.ID(r.ID),
				After: map[string]any{"environment": r.Environment, "rule": "an approver may deploy an emergency release", "reason": m.Reason}})
		}
	}
	freezes, err := s.ListFreezes(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range freezes {
		if !f.appliesTo(r.Environment) {
			continue
		}
		occ := f.Occurrences(now, now.Add(time.Millisecond))
		if len(occ) == 0 {
			continue
		}
		o := occ[0]
		switch {
		case !m.OverrideFreeze:
			return nil, apperr.Conflict("to", "The freeze %q holds %s from %s to %s: no deployment starts inside it. An admin may override it with a reason.",
				f.Name, r.Environment, o.Start.Format(messageTime), o.End.Format(messageTime))
		case !by.Has(auth.RoleAdmin):
			return nil, apperr.Forbidden("Only an admin may deploy during the freeze %q.", f.Name)
		case m.Reason == "":
			return nil, apperr.Invalid("reason", "Say why %s must deploy during the freeze %q.", r.label(), f.Name)
		}
		notes = append(notes, audit.Record{Actor: by.Username, Action: "release.freeze-override", Entity: "release", EntityID: events.ID(r.ID),
			After: map[string]any{"freeze_id": f.ID, "freeze": f.Name, "from": o.Start, "to": o.End, "reason": m.Reason}})
	}
	return notes, nil
}
