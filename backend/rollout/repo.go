package rollout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/store"
)

// The rollout tables are this package's: rollouts, rollout_targets,
// rollout_locks, rollout_log and target_installs. Writes run on a context
// no caller's cancel ends: what happened on a target is always recorded.

func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
}

func (s *Service) stamp() string { return store.FormatTime(s.now()) }

// insert records a new rollout with its targets and takes their locks; a
// target another rollout holds is refused with that rollout named.
func insert(ctx context.Context, tx *sql.Tx, r *Rollout, now string) error {
	plan, _ := json.Marshal(r.Plan)
	if _, err := tx.ExecContext(ctx, `INSERT INTO rollouts (id, release_id, digest, plan, status, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.ReleaseID, r.Digest, string(plan), string(r.Status), r.CreatedBy, now, now); err != nil {
		return err
	}
	for _, t := range r.Targets {
		var holder string
		err := tx.QueryRowContext(ctx, `SELECT rollout_id FROM rollout_locks WHERE ci_id = ?`, t.CIID).Scan(&holder)
		if err == nil {
			return apperr.Conflict("targets", "%s is already in rollout %s; one rollout at a time per target.", t.Name, holder)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollout_locks (ci_id, rollout_id) VALUES (?, ?)`, t.CIID, r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollout_targets (rollout_id, ci_id, name, kind, host, domain, address, wave, position, state)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, t.CIID, t.Name, string(t.Kind), t.Host, t.Domain, t.Address, t.Wave, t.Position, string(t.State)); err != nil {
			return err
		}
	}
	return nil
}

// saveRollout writes the rollout's own fields (not its targets).
func saveRollout(ctx context.Context, tx *sql.Tx, r *Rollout, now string) error {
	finished := ""
	if r.FinishedAt != nil {
		finished = store.FormatTime(*r.FinishedAt)
	}
	deadline := ""
	if r.Deadline != nil {
		deadline = store.FormatTime(*r.Deadline)
	}
	paused := ""
	if r.PausedAt != nil && r.Status == StatusPaused {
		paused = store.FormatTime(*r.PausedAt)
	}
	_, err := tx.ExecContext(ctx, `UPDATE rollouts SET status = ?, wave = ?, phase = ?, pause_reason = ?, claimed_by = ?, error = ?,
		deadline = ?, deadline_left = ?, updated_at = ?, finished_at = ?, paused_at = ? WHERE id = ?`, string(r.Status), r.Wave, r.Phase, r.PauseReason, r.ClaimedBy, r.Error,
		deadline, r.deadlineLeft.Milliseconds(), now, finished, paused, r.ID)
	return err
}

// saveTargets writes targets' states in the caller's transaction, the
// statement prepared once for all of them.
func saveTargets(ctx context.Context, tx *sql.Tx, id string, ts []*TargetRun, now string) error {
	if len(ts) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `UPDATE rollout_targets SET state = ?, snapshot = ?, paused_ms = ?, command_ms = ?, failed_rounds = ?, unknown_rounds = ?,
		checks = ?, error = ?, started_at = CASE WHEN started_at = '' AND ? NOT IN ('pending','excluded') THEN ? ELSE started_at END,
		ended_at = CASE WHEN ? IN ('healthy','failed','rolled-back','excluded') THEN ? ELSE ended_at END
		WHERE rollout_id = ? AND ci_id = ?`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, t := range ts {
		checks, _ := json.Marshal(t.Checks)
		if _, err := st.ExecContext(ctx, string(t.State), t.Snapshot, t.PausedMS, t.CommandMS, t.Failed, t.Unknown, string(checks), t.Error,
			string(t.State), now, string(t.State), now, id, t.CIID); err != nil {
			return err
		}
	}
	return nil
}

// rolloutColumns are what scanRollout reads, in its order.
const rolloutColumns = `id, release_id, digest, plan, status, wave, phase, pause_reason, claimed_by, error, deadline, deadline_left,
	created_by, created_at, updated_at, finished_at, paused_at`

func scanRollout(row interface{ Scan(...any) error }) (*Rollout, error) {
	r := &Rollout{Targets: []TargetRun{}, Counts: map[TargetState]int{}}
	var plan, created, updated, finished, deadline, paused string
	var left int64
	if err := row.Scan(&r.ID, &r.ReleaseID, &r.Digest, &plan, &r.Status, &r.Wave, &r.Phase, &r.PauseReason, &r.ClaimedBy,
		&r.Error, &deadline, &left, &r.CreatedBy, &created, &updated, &finished, &paused); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(plan), &r.Plan); err != nil {
		return nil, err
	}
	r.CreatedAt, _ = store.ParseTime(created)
	r.UpdatedAt, _ = store.ParseTime(updated)
	if deadline != "" {
		t, _ := store.ParseTime(deadline)
		r.Deadline = &t
	}
	r.deadlineLeft = time.Duration(left) * time.Millisecond
	if finished != "" {
		t, _ := store.ParseTime(finished)
		r.FinishedAt = &t
	}
	if paused != "" {
		t, _ := store.ParseTime(paused)
		r.PausedAt = &t
	}
	return r, nil
}

// load reads a rollout with all its targets.
func load(ctx context.Context, q store.Querier, id string) (*Rollout, error) {
	r, err := scanRollout(q.QueryRowContext(ctx, `SELECT `+rolloutColumns+` FROM rollouts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("rollout", id)
	}
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT ci_id, name, kind, host, domain, address, wave, position, state, snapshot, paused_ms, command_ms, failed_rounds, unknown_rounds, checks, error
		FROM rollout_targets WHERE rollout_id = ? ORDER BY wave, position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t TargetRun
		var checks string
		if err := rows.Scan(&t.CIID, &t.Name, &t.Kind, &t.Host, &t.Domain, &t.Address, &t.Wave, &t.Position, &t.State, &t.Snapshot,
			&t.PausedMS, &t.CommandMS, &t.Failed, &t.Unknown, &checks, &t.Error); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(checks), &t.Checks)
		r.Targets = append(r.Targets, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	n := 0
	for _, t := range r.Targets {
		n = max(n, t.Wave+1)
	}
	r.WaveSizes = make([]int, n)
	for _, t := range r.Targets {
		r.WaveSizes[t.Wave]++
	}
	r.count()
	return r, nil
}

// list reads rollouts (of one release, or every one for 0), newest first,
// with their wave sizes and counts but not their targets: two queries
// whatever their number.
func list(ctx context.Context, q store.Querier, releaseID int64) ([]*Rollout, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+rolloutColumns+` FROM rollouts WHERE ? = 0 OR release_id = ? ORDER BY created_at DESC, id`, releaseID, releaseID)
	if err != nil {
		return nil, err
	}
	out := []*Rollout{}
	byID := map[string]*Rollout{}
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
		byID[r.ID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT t.rollout_id, t.wave, t.state, COUNT(*) FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
		WHERE ? = 0 OR r.release_id = ? GROUP BY t.rollout_id, t.wave, t.state`, releaseID, releaseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var wave, n int
		var st TargetState
		if err := rows.Scan(&id, &wave, &st, &n); err != nil {
			return nil, err
		}
		r := byID[id]
		if r == nil {
			continue
		}
		for len(r.WaveSizes) <= wave {
			r.WaveSizes = append(r.WaveSizes, 0)
		}
		r.WaveSizes[wave] += n
		r.Counts[st] += n
	}
	return out, rows.Err()
}

// Log is one line of a rollout's log.
type Log struct {
	ID      int64     `json:"id"`
	CIID    int64     `json:"ci_id"`
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// logLine is a log line waiting to be written.
type logLine struct {
	ciID int64
	at   time.Time
	msg  string
}

// flushLog writes buffered log lines in one transaction.
func (s *Service) flushLog(ctx context.Context, id string, lines []logLine) error {
	if len(lines) == 0 {
		return nil
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, l := range lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rollout_log (rollout_id, ci_id, at, message) VALUES (?, ?, ?, ?)`,
				id, l.ciID, store.FormatTime(l.at), clip(l.msg)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Logs returns a rollout's log lines after id after (oldest first), for a
// target (ciID) or all (0).
func (s *Service) Logs(ctx context.Context, id string, ciID, after int64, limit int) ([]Log, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ci_id, at, message FROM rollout_log WHERE rollout_id = ? AND id > ? AND (? = 0 OR ci_id = ?)
		ORDER BY id LIMIT ?`, id, after, ciID, ciID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Log{}
	for rows.Next() {
		var l Log
		var at string
		if err := rows.Scan(&l.ID, &l.CIID, &at, &l.Message); err != nil {
			return nil, err
		}
		l.At, _ = store.ParseTime(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// InstallState is what a recorded install did to a target.
type InstallState string

// Install states.
const (
	InstallInstalled  InstallState = "installed"   // the package went in and was verified
	InstallRolledBack InstallState = "rolled-back" // it was undone
)

// EnumValues lists the install states, for the API document.
func (InstallState) EnumValues() []string {
	return []string{string(InstallInstalled), string(InstallRolledBack)}
}

// Install is one line of what runs where: a release's package installed on
// a target by a rollout, or rolled back from it.
type Install struct {
	ReleaseID      int64        `json:"release_id"`
	ReleaseName    string       `json:"release_name"`
	ReleaseVersion string       `json:"release_version"`
	Digest         string       `json:"digest"`
	RolloutID      string       `json:"rollout_id"`
	State          InstallState `json:"state"`
	At             time.Time    `json:"at"`
}

// Installs returns what Shakedown installed on (and rolled back from) a
// target, newest first, at most limit lines.
func (s *Service) Installs(ctx context.Context, ciID int64, limit int) ([]Install, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.release_id, COALESCE(r.name, ''), COALESCE(r.version, ''), i.digest, i.rollout_id, i.state, i.at
		FROM target_installs i LEFT JOIN releases r ON r.id = i.release_id WHERE i.ci_id = ? ORDER BY i.id DESC LIMIT ?`, ciID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Install{}
	for rows.Next() {
		var in Install
		var at string
		if err := rows.Scan(&in.ReleaseID, &in.ReleaseName, &in.ReleaseVersion, &in.Digest, &in.RolloutID, &in.State, &at); err != nil {
			return nil, err
		}
		in.At, _ = store.ParseTime(at)
		out = append(out, in)
	}
	return out, rows.Err()
}

// InstallsOf is Installs for many targets in one query: per CI id, what
// Shakedown installed there and rolled back, newest first, at most perCI
// lines. A target without any has no entry. The ids go in as one JSON
// array, so SQLite's limit on parameters does not apply however many there
// are; each target's lines stop at perCI in the index (ci_id, id), as
// Installs' LIMIT does.
func (s *Service) InstallsOf(ctx context.Context, ciIDs []int64, perCI int) (map[int64][]Install, error) {
	out := map[int64][]Install{}
	if len(ciIDs) == 0 || perCI < 1 {
		return out, nil
	}
	ids, err := json.Marshal(ciIDs)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read(ctx, `SELECT i.ci_id, i.release_id, COALESCE(r.name, ''), COALESCE(r.version, ''), i.digest, i.rollout_id, i.state, i.at
		FROM (SELECT DISTINCT value AS ci FROM json_each(?)) c
		JOIN target_installs i ON i.id IN (SELECT id FROM target_installs WHERE ci_id = c.ci ORDER BY id DESC LIMIT ?)
		LEFT JOIN releases r ON r.id = i.release_id ORDER BY i.ci_id, i.id DESC`, string(ids), perCI)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ci int64
		var in Install
		var at string
		if err := rows.Scan(&ci, &in.ReleaseID, &in.ReleaseName, &in.ReleaseVersion, &in.Digest, &in.RolloutID, &in.State, &at); err != nil {
			return nil, err
		}
		in.At, _ = store.ParseTime(at)
		out[ci] = append(out[ci], in)
	}
	return out, rows.Err()
}
