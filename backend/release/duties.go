package release

// Separation of duties (ITIL: the change requester does not authorise the
// change, and whoever authorised it does not carry it out alone), as a
// policy per environment. Who built or tested a package never approves it
// (mayDecide, in signoff.go); these rules add the requester and the
// deployer.

import (
	"context"
	"database/sql"
	"errors"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

// ApproverDeploy says whether a manager who approved a release may also
// move it to deploying.
type ApproverDeploy string

// Whether approvers may deploy.
const (
	ApproverDeployYes       ApproverDeploy = "yes"
	ApproverDeployNo        ApproverDeploy = "no"
	ApproverDeployEmergency ApproverDeploy = "emergency" // only emergency releases; recorded when it happens
)

// EnumValues lists the values, for the API document.
func (ApproverDeploy) EnumValues() []string {
	return []string{string(ApproverDeployYes), string(ApproverDeployNo), string(ApproverDeployEmergency)}
}

// DutyPolicy is an environment's separation-of-duties rules ("*" is every
// environment without its own).
type DutyPolicy struct {
	Environment string `json:"environment"`
	// RequesterMayApprove lets the release's creator or owner approve it.
	RequesterMayApprove bool `json:"requester_may_approve"`
	// ApproverMayDeploy says whether a manager who approved the release
	// may move it to deploying.
	ApproverMayDeploy ApproverDeploy `json:"approver_may_deploy"`
}

func dutiesFor(ctx context.Context, q store.Querier, env string) (DutyPolicy, error) {
	var p DutyPolicy
	err := q.QueryRowContext(ctx, `SELECT environment, requester_may_approve, approver_may_deploy FROM duty_policies
		WHERE environment IN (?, '*') ORDER BY environment = '*' LIMIT 1`, env).Scan(&p.Environment, &p.RequesterMayApprove, &p.ApproverMayDeploy)
	if errors.Is(err, sql.ErrNoRows) {
		return DutyPolicy{Environment: "*", RequesterMayApprove: true, ApproverMayDeploy: ApproverDeployYes}, nil
	}
	return p, err
}

// ListDutyPolicies returns the separation-of-duties policies, the default first.
func (s *Service) ListDutyPolicies(ctx context.Context) ([]DutyPolicy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT environment, requester_may_approve, approver_may_deploy FROM duty_policies
		ORDER BY environment <> '*', environment`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []DutyPolicy{}
	for rows.Next() {
		var p DutyPolicy
		if err := rows.Scan(&p.Environment, &p.RequesterMayApprove, &p.ApproverMayDeploy); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutDutyPolicy sets an environment's separation-of-duties rules. They
// apply to decisions and deployments from now on; approvals already given
// stay as they are.
func (s *Service) PutDutyPolicy(ctx context.Context, by auth.Actor, p DutyPolicy) (DutyPolicy, error) {
	env, err := text("environment", p.Environment, true, 50, false)
	if err != nil {
		return p, err
	}
	p.Environment = env
	switch p.ApproverMayDeploy {
	case ApproverDeployYes, ApproverDeployNo, ApproverDeployEmergency:
	default:
		return p, apperr.Invalid("approver_may_deploy", "Whether an approver may deploy is yes, no or emergency (only emergency releases).")
	}
	now := s.now().UTC()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := dutiesFor(ctx, tx, p.Environment)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO duty_policies (environment, requester_may_approve, approver_may_deploy) VALUES (?, ?, ?)
			ON CONFLICT (environment) DO UPDATE SET requester_may_approve = excluded.requester_may_approve, approver_may_deploy = excluded.approver_may_deploy`,
			p.Environment, p.RequesterMayApprove, string(p.ApproverMayDeploy)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "duty-policy.put", Entity: "duty_policy",
			EntityID: p.Environment, Before: before, After: p})
	})
	return p, err
}

// DeleteDutyPolicy removes an environment's own rules; the default ("*")
// applies again.
func (s *Service) DeleteDutyPolicy(ctx context.Context, by auth.Actor, env string) error {
	if env == "*" {
		return apperr.Conflict("environment", "The default rules (*) can be changed but not deleted.")
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := dutiesFor(ctx, tx, env)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM duty_policies WHERE environment = ?`, env)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("duty policy", env)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "duty-policy.delete", Entity: "duty_policy", EntityID: env, Before: before})
	})
}
