package rollout

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

// Updated is the event published when a rollout or one of its targets changes.
const Updated = events.RolloutUpdated

// Releases is what the engine needs of the release service: the release,
// its moves (deploying when a rollout starts, then its outcome), and the
// freezes each wave checks.
type Releases interface {
	Get(ctx context.Context, by auth.Actor, id int64) (*release.Release, error)
	Apply(ctx context.Context, by auth.Actor, id int64, m release.Move) (*release.Release, error)
	ActiveFreeze(ctx context.Context, env string, at time.Time) (*release.Occurrence, error)
}

// Packages gives the install plan of a stored package.
type Packages interface {
	InstallPlan(ctx context.Context, digest string, maxBytes int64) (*packages.InstallPlan, error)
}

// Config is what the service is built from.
type Config struct {
	DB       *store.DB
	Bus      events.Publisher
	Log      *slog.Logger
	Releases Releases
	Packages Packages
	// Targets says which targets a release's CIs are and how to reach them.
	Targets func(ctx context.Context, r *release.Release) ([]Target, error)
	Connect Connector
	// CapturedBy names the lab whose live capture holds a VM target ("" if
	// none): a snapshot taken then would live in the lab's overlay, which
	// is merged away when the lab is torn down, so such a target waits.
	CapturedBy func(ctx context.Context, host, domain string) (string, error)
	// Minute is how long a plan's minute lasts (its wave deadline is in
	// minutes); zero is a real minute. Tests shorten it.
	Minute time.Duration
}

// Service starts rollouts and runs one watcher per active rollout.
type Service struct {
	Config
	db  *store.DB
	now func() time.Time

	manual manualWaits

	mu       sync.Mutex
	watchers map[string]*watcher
	closing  bool
	wg       sync.WaitGroup
}

// maxPackageBytes bounds the unpacked package held in memory for a rollout.
const maxPackageBytes = 512 << 20

// NewService returns the rollout service. Call Resume to pick up the
// rollouts a previous run left active.
func NewService(cfg Config) *Service {
	return &Service{Config: cfg, db: cfg.DB, now: time.Now, watchers: map[string]*watcher{}}
}

// StartInput starts a rollout.
type StartInput struct {
	// Digest must be the release's approved package digest.
	Digest string `json:"digest"`
	Plan   Plan   `json:"plan"`
	// CIIDs limits the rollout to some of the release's targets (all if empty).
	CIIDs []int64 `json:"ci_ids,omitempty"`
	// Reason is needed to override a freeze (OverrideFreeze).
	Reason         string `json:"reason,omitempty"`
	OverrideFreeze bool   `json:"override_freeze,omitempty"`
}

// Start promotes a release's approved package to its targets: admins only,
// the exact approved digest, one rollout per target. The release moves to
// deploying in the same breath (its gate checks sign-off, the separation of
// duties and freezes); if it refuses, nothing of the rollout is left.
func (s *Service) Start(ctx context.Context, by auth.Actor, releaseID int64, in StartInput) (*Rollout, error) {
	if !by.Has(auth.RoleAdmin) {
		return nil, apperr.Forbidden("Only an admin starts a rollout.")
	}
	if err := in.Plan.Validate(); err != nil {
		return nil, err
	}
	r, err := s.Releases.Get(ctx, by, releaseID)
	if err != nil {
		return nil, err
	}
	if r.State != release.StateApproved {
		return nil, apperr.Conflict("", "%s %s is %s: only an approved release is rolled out.", r.Name, r.Version, r.State)
	}
	digest := strings.TrimSpace(strings.ToLower(in.Digest))
	if digest != r.ApprovedDigest {
		return nil, apperr.Conflict("digest", "Package %s is not the approved package %s of %s %s: only the approved digest is rolled out.", short(digest), short(r.ApprovedDigest), r.Name, r.Version)
	}
	targets, err := s.targetsOf(ctx, r, in.CIIDs)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, apperr.Invalid("targets", "%s %s has no targets: link its configuration items to libvirt domains or give them addresses.", r.Name, r.Version)
	}
	if s.CapturedBy != nil {
		for _, t := range targets {
			if t.Kind != KindVM {
				continue
			}
			lab, err := s.CapturedBy(ctx, t.Host, t.Domain)
			if err != nil {
				return nil, err
			}
			if lab != "" {
				return nil, apperr.Conflict("targets", "%s is captured by lab %s: its disk writes go to the lab's overlay until the lab is torn down, so a snapshot taken now could not be reverted to. Tear the lab down (or wait for it to expire) first.", t.Name, lab)
			}
		}
	}
	if _, err := s.Packages.InstallPlan(ctx, digest, maxPackageBytes); err != nil {
		return nil, err
	}
	ro := &Rollout{ID: newID(), ReleaseID: releaseID, Digest: digest, Plan: in.Plan, Status: StatusRunning, CreatedBy: by.Username}
	sizes := in.Plan.WaveSizes(len(targets))
	i := 0
	for w, n := range sizes {
		for p := 0; p < n; p++ {
			ro.Targets = append(ro.Targets, TargetRun{Target: targets[i], Wave: w, Position: p, State: TargetPending})
			i++
		}
	}
	now := s.stamp()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := insert(ctx, tx, ro, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "rollout.start", Entity: "release", EntityID: events.ID(releaseID),
			After: map[string]any{"rollout": ro.ID, "digest": digest, "targets": len(targets), "waves": sizes, "plan": in.Plan, "policy": in.Plan.Policy.Describe()}})
	})
	if err != nil {
		return nil, err
	}
	move := release.Move{To: release.StateDeploying, Digest: digest, Reason: in.Reason, OverrideFreeze: in.OverrideFreeze}
	if move.Reason == "" {
		move.Reason = "Rollout " + ro.ID
	}
	if _, err := s.Releases.Apply(ctx, by, releaseID, move); err != nil {
		// The release refused (sign-off, duties, a freeze): nothing is left.
		if derr := s.discard(ctx, ro.ID); derr != nil {
			s.Log.Error("discard a refused rollout", "rollout", ro.ID, "err", derr)
		}
		return nil, err
	}
	if err := s.launch(ro.ID); err != nil {
		return nil, err
	}
	return s.Get(ctx, ro.ID)
}

// discard removes a rollout that never started.
func (s *Service) discard(ctx context.Context, id string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM rollout_locks WHERE rollout_id = ?`, `DELETE FROM rollout_targets WHERE rollout_id = ?`,
			`DELETE FROM rollout_log WHERE rollout_id = ?`, `DELETE FROM rollouts WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Get returns a rollout with its targets.
func (s *Service) Get(ctx context.Context, id string) (*Rollout, error) {
	r, err := load(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// List returns a release's rollouts, newest first (0: every release),
// each with its counts and without its targets (Get has them).
func (s *Service) List(ctx context.Context, releaseID int64) ([]*Rollout, error) {
	return list(ctx, s.db, releaseID)
}

// UpdatedSince returns the rollouts written at or after since, newest
// first, without their targets or counts (what notify catches up on).
func (s *Service) UpdatedSince(ctx context.Context, since time.Time) ([]*Rollout, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+rolloutColumns+` FROM rollouts WHERE updated_at >= ? ORDER BY updated_at DESC, id LIMIT 1000`,
		store.FormatTime(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Rollout{}
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Resume starts a watcher for every rollout a previous run left active:
// running ones go on exactly where they were, paused ones stay paused.
func (s *Service) Resume(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM rollouts WHERE status IN (?, ?, ?)`, string(StatusRunning), string(StatusPaused), string(StatusRollingBack))
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.launch(id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Shutdown stops every watcher (their rollouts stay as recorded, to be
// resumed) and waits for them or ctx.
func (s *Service) Shutdown(ctx context.Context) {
	s.mu.Lock()
	s.closing = true
	for _, w := range s.watchers {
		w.stop()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	if d == "" {
		return "(none)"
	}
	return d
}

// ActionInput is an admin's decision on a rollout.
type ActionInput struct {
	// Action: pause, claim, continue, retry, exclude, rollback, abort.
	Action string `json:"action"`
	// CIID names the target to exclude.
	CIID int64 `json:"ci_id,omitempty"`
	// Reason says why; overriding a freeze and aborting need one.
	Reason string `json:"reason,omitempty"`
}

// Act passes an admin's decision to the rollout's watcher. A paused
// rollout is decided by whoever claimed it.
func (s *Service) Act(ctx context.Context, by auth.Actor, id string, in ActionInput) (*Rollout, error) {
	if !by.Has(auth.RoleAdmin) {
		return nil, apperr.Forbidden("Only an admin pauses, resumes, aborts or rolls back a rollout.")
	}
	switch in.Action {
	case "pause", "claim", "continue", "retry", "exclude", "rollback", "abort":
	default:
		return nil, apperr.Invalid("action", "The action is pause, claim, continue, retry, exclude, rollback or abort.")
	}
	if len(in.Reason) > 2000 {
		return nil, apperr.Invalid("reason", "A reason is at most 2000 characters.")
	}
	s.mu.Lock()
	w := s.watchers[id]
	s.mu.Unlock()
	if w == nil {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return nil, apperr.Conflict("action", "Rollout %s is %s: there is nothing to decide.", id, r.Status)
	}
	reply := make(chan error, 1)
	select {
	case w.cmds <- command{by: by, in: in, reply: reply}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case err := <-reply:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Get(ctx, id)
}

// Wait blocks until the rollout's watcher ends (it is final) or ctx is done.
func (s *Service) Wait(ctx context.Context, id string) (*Rollout, error) {
	s.mu.Lock()
	w := s.watchers[id]
	s.mu.Unlock()
	if w != nil {
		select {
		case <-w.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Get(ctx, id)
}

// WaitFor polls until the rollout's status is one of want or ctx is done.
func (s *Service) WaitFor(ctx context.Context, id string, want ...Status) (*Rollout, error) {
	for {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, st := range want {
			if r.Status == st {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("rollout %s is %s (%s), not %v: %w", id, r.Status, r.PauseReason, want, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Preview says which of the release's targets a plan puts in which wave.
func (s *Service) Preview(ctx context.Context, by auth.Actor, releaseID int64, in StartInput) ([][]Target, error) {
	if err := in.Plan.Validate(); err != nil {
		return nil, err
	}
	r, err := s.Releases.Get(ctx, by, releaseID)
	if err != nil {
		return nil, err
	}
	targets, err := s.targetsOf(ctx, r, in.CIIDs)
	if err != nil {
		return nil, err
	}
	out := [][]Target{}
	i := 0
	for _, n := range in.Plan.WaveSizes(len(targets)) {
		out = append(out, targets[i:i+n])
		i += n
	}
	return out, nil
}

// Transition is the plain transition route's move of a release: a release
// with targets is deployed by a rollout only (which moves it to deploying
// and to its outcome), and while a rollout is active its outcome is the
// rollout's to decide. Other moves go to the release service as they are.
func (s *Service) Transition(ctx context.Context, by auth.Actor, releaseID int64, m release.Move) (*release.Release, error) {
	if release.ValidState(m.To) {
		if err := release.MayMoveTo(by, m.To); err != nil {
			return nil, err
		}
	}
	switch m.To {
	case release.StateDeploying, release.StateDeployed:
		r, err := s.Releases.Get(ctx, by, releaseID)
		if err != nil {
			return nil, err
		}
		targets, err := s.Targets(ctx, r)
		if err != nil {
			return nil, err
		}
		if len(targets) > 0 && r.State != m.To {
			names := make([]string, 0, 3)
			for _, t := range targets[:min(3, len(targets))] {
				names = append(names, t.Name)
			}
			more := ""
			if len(targets) > 3 {
				more = ", …"
			}
			return nil, apperr.Conflict("to", "%s %s has %d target(s) (%s%s): it is deployed by a rollout, which moves it to deploying and then to its outcome. Start one with Roll out (POST /api/v1/releases/%d/rollouts).",
				r.Name, r.Version, len(targets), strings.Join(names, ", "), more, r.ID)
		}
	case release.StateFailed, release.StateRolledBack:
		var id string
		err := s.db.QueryRowContext(ctx, `SELECT id FROM rollouts WHERE release_id = ? AND status IN (?, ?, ?) LIMIT 1`,
			releaseID, string(StatusRunning), string(StatusPaused), string(StatusRollingBack)).Scan(&id)
		if err == nil {
			return nil, apperr.Conflict("to", "Rollout %s is active for this release: pause it, roll it back or abort it on its page; the release follows its outcome.", id)
		}
		if err != sql.ErrNoRows {
			return nil, err
		}
	}
	return s.Releases.Apply(ctx, by, releaseID, m)
}

// targetsOf returns the release's targets, or those of ciIDs when given
// (each must be one of them).
func (s *Service) targetsOf(ctx context.Context, r *release.Release, ciIDs []int64) ([]Target, error) {
	targets, err := s.Targets(ctx, r)
	if err != nil || len(ciIDs) == 0 {
		return targets, err
	}
	keep := map[int64]bool{}
	for _, id := range ciIDs {
		keep[id] = true
	}
	var picked []Target
	for _, t := range targets {
		if keep[t.CIID] {
			picked = append(picked, t)
			delete(keep, t.CIID)
		}
	}
	for id := range keep {
		return nil, apperr.Invalid("ci_ids", "Configuration item %d is not a target of %s %s.", id, r.Name, r.Version)
	}
	return picked, nil
}
