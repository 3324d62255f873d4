package rollout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/packages"
)

// A manual target is one Shakedown cannot reach: a named person does the
// step and marks it done (or failed) with a note, like Octopus's manual
// intervention, so that every deployment is a recorded rollout.

// StepInput is a person's mark on a manual step.
type StepInput struct {
	// Step is install or rollback.
	Step string `json:"step"`
	// Outcome is done or failed.
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

// manualMark is a recorded mark.
type manualMark struct {
	outcome, by, note string
}

// manualWaits wakes the executors waiting on a mark.
type manualWaits struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

func (m *manualWaits) wait(key string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ch == nil {
		m.ch = map[string]chan struct{}{}
	}
	c, ok := m.ch[key]
	if !ok {
		c = make(chan struct{})
		m.ch[key] = c
	}
	return c
}

func (m *manualWaits) wake(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.ch[key]; ok {
		close(c)
		delete(m.ch, key)
	}
}

func manualKey(rollout string, ci int64, step string) string {
	return fmt.Sprintf("%s/%d/%s", rollout, ci, step)
}

// MarkStep records a person's mark on a manual target's step, and wakes
// the rollout waiting on it.
func (s *Service) MarkStep(ctx context.Context, by auth.Actor, rolloutID string, ciID int64, in StepInput) (*Rollout, error) {
	if !by.Has(auth.RoleAdmin, auth.RoleTester) {
		return nil, apperr.Forbidden("Marking a deployment step needs the tester or admin role.")
	}
	if in.Step != "install" && in.Step != "rollback" {
		return nil, apperr.Invalid("step", "The step is install or rollback.")
	}
	if in.Outcome != "done" && in.Outcome != "failed" {
		return nil, apperr.Invalid("outcome", "The outcome is done or failed.")
	}
	note := strings.TrimSpace(in.Note)
	if note == "" || len(note) > 4000 {
		return nil, apperr.Invalid("note", "Say what you did (up to 4000 characters): it is the step's record.")
	}
	r, err := s.Get(ctx, rolloutID)
	if err != nil {
		return nil, err
	}
	var t *TargetRun
	for i := range r.Targets {
		if r.Targets[i].CIID == ciID {
			t = &r.Targets[i]
		}
	}
	if t == nil || t.Kind != KindManual {
		return nil, apperr.Invalid("ci_id", "Configuration item %d is not a manual target of rollout %s.", ciID, rolloutID)
	}
	want := TargetInstalling
	if in.Step == "rollback" {
		want = TargetRollingBack
	}
	if t.State != want {
		return nil, apperr.Conflict("step", "%s is %s: there is no %s step waiting for a person.", t.Name, t.State, in.Step)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollout_manual (rollout_id, ci_id, step, outcome, by_user, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			rolloutID, ciID, in.Step, in.Outcome, by.Username, note, s.stamp()); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "rollout.manual-step", Entity: "release", EntityID: events.ID(r.ReleaseID),
			After: map[string]any{"rollout": rolloutID, "target": t.Name, "step": in.Step, "outcome": in.Outcome, "note": note}})
	})
	if err != nil {
		return nil, err
	}
	s.manual.wake(manualKey(rolloutID, ciID, in.Step))
	return s.Get(ctx, rolloutID)
}

func (s *Service) manualMark(ctx context.Context, rolloutID string, ciID int64, step string) (*manualMark, error) {
	var m manualMark
	err := s.db.QueryRowContext(ctx, `SELECT outcome, by_user, note FROM rollout_manual WHERE rollout_id = ? AND ci_id = ? AND step = ?`,
		rolloutID, ciID, step).Scan(&m.outcome, &m.by, &m.note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &m, err
}

// manualExecutor waits for a person's marks.
type manualExecutor struct {
	s       *Service
	rollout string
	target  Target
	// stopped says the rollout no longer waits (Shakedown stopping, or an
	// admin paused, rolls back or aborts): the wait ends, the step stays
	// where it is, to be waited for again.
	stopped func() bool
}

// errInterrupted ends a wait the rollout no longer needs; the step is not failed.
var errInterrupted = errors.New("the rollout stopped waiting for this step")

// await returns when the step is marked: nil if done, an error if failed.
func (m *manualExecutor) await(ctx context.Context, step string, log func(string)) error {
	key := manualKey(m.rollout, m.target.CIID, step)
	logged := false
	for {
		woken := m.s.manual.wait(key)
		mark, err := m.s.manualMark(ctx, m.rollout, m.target.CIID, step)
		if err != nil {
			return err
		}
		if mark != nil {
			log(fmt.Sprintf("%s marked the %s %s: %s", mark.by, step, mark.outcome, mark.note))
			if mark.outcome == "failed" {
				return fmt.Errorf("%s marked the %s on %s failed: %s", mark.by, step, m.target.Name, mark.note)
			}
			return nil
		}
		if !logged {
			log(fmt.Sprintf("Waiting for a person to do the %s on %s and mark it done", step, m.target.Name))
			logged = true
		}
		if m.stopped() {
			return errInterrupted
		}
		select {
		case <-woken:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond): // a stop, or a mark made by another process
		}
	}
}

func (m *manualExecutor) Marker(ctx context.Context) (Marker, error) { return Marker{}, nil }

// TakeCommandTime is zero: a person's step is not a command.
func (m *manualExecutor) TakeCommandTime() time.Duration { return 0 }

func (m *manualExecutor) Prepare(ctx context.Context, snap string) (time.Duration, error) {
	return 0, nil
}

func (m *manualExecutor) Install(ctx context.Context, plan *packages.InstallPlan, mk Marker, resume bool, log func(string)) error {
	return m.await(ctx, "install", log)
}

// Check: a person's mark is the manual target's health; nothing to run.
func (m *manualExecutor) Check(ctx context.Context, name, command string) CheckResult {
	return CheckResult{Check: name, Outcome: Passed, Output: "manual target: the person's mark stands for the checks"}
}

func (m *manualExecutor) Rollback(ctx context.Context, snap string, plan *packages.InstallPlan, log func(string)) error {
	return m.await(ctx, "rollback", log)
}

func (m *manualExecutor) Forget(ctx context.Context, snap string) error { return nil }

func (m *manualExecutor) Close() error { return nil }
