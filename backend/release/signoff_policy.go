package release

// Sign-off policies: how many approvals a type of release needs in an
// environment. Setting one re-checks the approved releases it covers
// (revalidatePolicy, in signoff_void.go).

import (
	"context"
	"database/sql"
	"errors"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

// Policy is how many approvals a type of release needs in an environment
// ("*" is every environment without its own policy).
type Policy struct {
	Environment string `json:"environment"`
	Type        Type   `json:"type"`
	Required    int    `json:"required"`
}

func (s *Service) policyFor(ctx context.Context, q store.Querier, env string, t Type) (Policy, error) {
	p := Policy{Type: t}
	err := q.QueryRowContext(ctx, `SELECT environment, required FROM approval_policies WHERE release_type = ? AND environment IN (?, '*')
		ORDER BY environment = '*' LIMIT 1`, string(t), env).Scan(&p.Environment, &p.Required)
	if errors.Is(err, sql.ErrNoRows) {
		return Policy{Environment: "*", Type: t, Required: 1}, nil
	}
	return p, err
}

// ListPolicies returns the approval policies, defaults first.
func (s *Service) ListPolicies(ctx context.Context) ([]Policy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT environment, release_type, required FROM approval_policies
		ORDER BY environment <> '*', environment, CASE release_type WHEN 'minor' THEN 0 WHEN 'major' THEN 1 ELSE 2 END`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Policy{}
	for rows.Next() {
		var p Policy
		if err := rows.Scan(&p.Environment, &p.Type, &p.Required); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutPolicy sets how many approvals a type of release needs in an environment.
func (s *Service) PutPolicy(ctx context.Context, by auth.Actor, p Policy) (Policy, error) {
	env, err := text("environment", p.Environment, true, 50, false)
	if err != nil {
		return p, err
	}
	p.Environment = env
	if p.Type != TypeMajor && p.Type != TypeMinor && p.Type != TypeEmergency {
		return p, apperr.Invalid("type", "Type must be major, minor or emergency.")
	}
	if p.Required < 1 || p.Required > 5 {
		return p, apperr.Invalid("required", "Between 1 and 5 approvals.")
	}
	now := s.now().UTC()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO approval_policies (environment, release_type, required) VALUES (?, ?, ?)
			ON CONFLICT (environment, release_type) DO UPDATE SET required = excluded.required`, p.Environment, string(p.Type), p.Required); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "policy.put", Entity: "approval_policy",
			EntityID: p.Environment + "/" + string(p.Type), After: p})
	})
	if err != nil {
		return p, err
	}
	return p, s.revalidatePolicy(ctx, by, p.Environment, p.Type)
}

// DeletePolicy removes an environment's own policy; the default then
// applies, and approved releases are judged against it.
func (s *Service) DeletePolicy(ctx context.Context, by auth.Actor, env string, t Type) error {
	if env == "*" {
		return apperr.Conflict("environment", "The default policies (*) can be changed but not deleted.")
	}
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM approval_policies WHERE environment = ? AND release_type = ?`, env, string(t))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("approval policy", env+"/"+string(t))
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "policy.delete", Entity: "approval_policy", EntityID: env + "/" + string(t)})
	})
	if err != nil {
		return err
	}
	// The default now applies, which may ask for more approvals.
	return s.revalidatePolicy(ctx, by, env, t)
}
