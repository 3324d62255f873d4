package lab

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

// The lab service is the one owner of the labs, lab_vms, lab_bases,
// lab_hosts and ci_images tables. Its writes run on a context that a
// cancelled operation cannot abort half-way (a record of what was made,
// or undone, must land), and return their errors.

// write runs fn in a transaction on a context that cannot be cancelled.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
}

// exec runs one statement in its own transaction.
func (s *Service) exec(ctx context.Context, q string, args ...any) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// auditLab appends an audit record about a lab, inside tx.
func (s *Service) auditLab(ctx context.Context, tx *sql.Tx, actor, action string, lab Lab, after any) error {
	return audit.Append(ctx, tx, s.now(), audit.Record{Actor: actor, Action: action, Entity: "release",
		EntityID: fmt.Sprint(lab.ReleaseID), After: map[string]any{"lab": lab.ID, "detail": after}})
}

func (s *Service) insertLab(ctx context.Context, l Lab, actor string) error {
	spec, err := json.Marshal(l.Spec)
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO labs (id, release_id, host, status, spec, expires_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, l.ReleaseID, l.Host, string(l.Status), string(spec), store.FormatTime(l.ExpiresAt),
			l.CreatedBy, store.FormatTime(l.CreatedAt), store.FormatTime(l.CreatedAt)); err != nil {
			return err
		}
		for _, vm := range l.VMs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO lab_vms (lab_id, ci_id, ci_name, domain, state) VALUES (?, ?, ?, ?, ?)`,
				l.ID, vm.CIID, vm.CIName, vm.Domain, string(vm.State)); err != nil {
				return err
			}
		}
		return s.auditLab(ctx, tx, actor, "lab.create", l, map[string]any{"host": l.Host, "cis": len(l.VMs), "ttl_minutes": l.Spec.TTLMinutes,
			"package_digest": l.Spec.PackageDigest})
	})
}

// setStatus records a lab's status (and message), audited when the lab
// reaches an end of its build or test period, and tells clients.
func (s *Service) setStatus(ctx context.Context, labID string, status Status, msg string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var from string
		var releaseID int64
		if err := tx.QueryRowContext(ctx, `SELECT status, release_id FROM labs WHERE id = ?`, labID).Scan(&from, &releaseID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE labs SET status = ?, error = ?, updated_at = ? WHERE id = ?`,
			string(status), msg, store.FormatTime(s.now()), labID); err != nil {
			return err
		}
		switch status {
		case StatusReady, StatusPassed, StatusFailed, StatusTornDown, StatusError:
			if Status(from) == status {
				return nil
			}
			return s.auditLab(ctx, tx, "system", "lab.status", Lab{ID: labID, ReleaseID: releaseID}, map[string]any{"from": from, "to": status, "message": msg})
		}
		return nil
	})
	s.publish(ctx, labID)
	return err
}

func (s *Service) setOperation(ctx context.Context, labID, opID string) error {
	return s.exec(ctx, `UPDATE labs SET operation_id = ?, updated_at = ? WHERE id = ?`, opID, store.FormatTime(s.now()), labID)
}

func (s *Service) setNetwork(ctx context.Context, labID, network string) error {
	return s.exec(ctx, `UPDATE labs SET network = ?, updated_at = ? WHERE id = ?`, network, store.FormatTime(s.now()), labID)
}

func (s *Service) setSummary(ctx context.Context, labID string, sum Summary) error {
	b, _ := json.Marshal(sum)
	return s.exec(ctx, `UPDATE labs SET summary = ?, updated_at = ? WHERE id = ?`, string(b), store.FormatTime(s.now()), labID)
}

// setVM records a lab VM's state; a volume or base of "" / 0 keeps the old one.
func (s *Service) setVM(ctx context.Context, labID string, ciID int64, state VMState, volume string, baseID int64) error {
	err := s.exec(ctx, `UPDATE lab_vms SET state = ?, volume = CASE WHEN ? = '' THEN volume ELSE ? END,
		base_id = CASE WHEN ? = 0 THEN base_id ELSE ? END WHERE lab_id = ? AND ci_id = ?`, string(state), volume, volume, baseID, baseID, labID, ciID)
	s.publish(ctx, labID)
	return err
}

// setStart records how a lab VM starts and why.
func (s *Service) setStart(ctx context.Context, labID string, ciID int64, start VMStart, note string) error {
	err := s.exec(ctx, `UPDATE lab_vms SET start = ?, start_note = ? WHERE lab_id = ? AND ci_id = ?`, string(start), note, labID, ciID)
	s.publish(ctx, labID)
	return err
}

// setReady records a running lab VM's time to agent-ready and the clock
// skew a resume corrected.
func (s *Service) setReady(ctx context.Context, labID string, ciID int64, ready, skew time.Duration) error {
	return s.exec(ctx, `UPDATE lab_vms SET state = ?, ready_ms = ?, clock_skew_ms = ? WHERE lab_id = ? AND ci_id = ?`,
		string(VMRunning), ready.Milliseconds(), skew.Milliseconds(), labID, ciID)
}

func (s *Service) insertBase(ctx context.Context, labID string, kind BaseKind, origin string, c labs.Capture) (int64, error) {
	var id int64
	var memVol, capturedAt string
	var memBytes uint64
	var pauseUS int64
	var pauseBound bool
	if m := c.Memory; m != nil {
		memVol, memBytes, capturedAt = m.Volume, m.Bytes, store.FormatTime(m.At)
		pauseUS, pauseBound = m.Pause.Microseconds(), !m.PauseKnown
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO lab_bases (lab_id, domain, disk, kind, base_path, base_format, capacity, overlay_path, live, quiesced, origin, state, created_at,
			memory_volume, memory_bytes, captured_at, pause_us, pause_bound)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, labID, c.Domain, c.Disk, string(kind), c.BasePath, c.BaseFormat, c.Capacity,
			c.OverlayPath, c.Live, c.Quiesced, origin, string(BaseInUse), store.FormatTime(s.now()), memVol, memBytes, capturedAt, pauseUS, pauseBound)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// baseRow is a base still in use, with what merging it back needs.
type baseRow struct {
	id      int64
	labID   string
	capture labs.Capture
}

// basesInUse returns the bases still marked in use, of one lab or (labID
// "") of every lab.
func (s *Service) basesInUse(ctx context.Context, labID string) ([]baseRow, error) {
	return s.bases(ctx, `WHERE state = ? AND (? = '' OR lab_id = ?) ORDER BY id`, string(BaseInUse), labID, labID)
}

// unmergedBases returns the released bases of a production domain on a
// host whose overlay was not merged back (another lab's capture sat on top
// of it then), newest first.
func (s *Service) unmergedBases(ctx context.Context, host, domain string) ([]baseRow, error) {
	return s.bases(ctx, `WHERE state = ? AND kind = ? AND domain = ? AND overlay_path <> ''
		AND lab_id IN (SELECT id FROM labs WHERE host = ?) ORDER BY id DESC`, string(BaseReleased), string(BaseSnapshot), domain, host)
}

func (s *Service) bases(ctx context.Context, where string, args ...any) ([]baseRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, lab_id, domain, disk, base_path, base_format, capacity, overlay_path
		FROM lab_bases `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []baseRow
	for rows.Next() {
		var b baseRow
		c := &b.capture
		if err := rows.Scan(&b.id, &b.labID, &c.Domain, &c.Disk, &c.BasePath, &c.BaseFormat, &c.Capacity, &c.OverlayPath); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Service) markBase(ctx context.Context, id int64, state BaseState) error {
	return s.exec(ctx, `UPDATE lab_bases SET state = ?, released_at = ? WHERE id = ?`, string(state), store.FormatTime(s.now()), id)
}

// labQuery selects labs with their VMs and bases in one statement: the
// labs of a page (with the total count of the filter) joined to their VMs.
const labQuery = `SELECT l.id, l.release_id, l.host, l.network, l.status, l.spec, l.summary, l.expires_at, l.operation_id, l.error,
		l.created_by, l.created_at, l.updated_at, l.total,
		v.ci_id, v.ci_name, v.domain, v.volume, v.state, v.start, v.start_note, v.ready_ms, v.clock_skew_ms,
		b.id, b.kind, b.base_path, b.base_format, b.live, b.quiesced, b.state, b.origin,
		b.memory_volume, b.memory_bytes, b.captured_at, b.pause_us, b.pause_bound
	FROM (SELECT *, count(*) OVER () AS total FROM labs %s ORDER BY created_at DESC, id LIMIT ? OFFSET ?) l
	LEFT JOIN lab_vms v ON v.lab_id = l.id
	LEFT JOIN lab_bases b ON b.id = v.base_id
	ORDER BY l.created_at DESC, l.id, v.ci_name`

// queryLabs runs labQuery with a WHERE clause and folds the rows into labs.
func (s *Service) queryLabs(ctx context.Context, where string, args []any, limit, offset int) ([]Lab, int, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(labQuery, where), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Lab{}
	total := 0
	for rows.Next() {
		var l Lab
		var spec, summary, exp, ca, ua string
		var ciID, bid sql.NullInt64
		var ciName, domain, volume, vmState, start, startNote, kind, path, format, bstate, origin, memVol, capturedAt sql.NullString
		var readyMS, skewMS, memBytes, pauseUS sql.NullInt64
		var live, quiesced, pauseBound sql.NullBool
		if err := rows.Scan(&l.ID, &l.ReleaseID, &l.Host, &l.Network, &l.Status, &spec, &summary, &exp, &l.OperationID, &l.Error,
			&l.CreatedBy, &ca, &ua, &total, &ciID, &ciName, &domain, &volume, &vmState, &start, &startNote, &readyMS, &skewMS,
			&bid, &kind, &path, &format, &live, &quiesced, &bstate, &origin, &memVol, &memBytes, &capturedAt, &pauseUS, &pauseBound); err != nil {
			return nil, 0, err
		}
		if n := len(out); n == 0 || out[n-1].ID != l.ID {
			if err := json.Unmarshal([]byte(spec), &l.Spec); err != nil {
				return nil, 0, fmt.Errorf("lab %s spec: %w", l.ID, err)
			}
			if err := json.Unmarshal([]byte(summary), &l.Summary); err != nil {
				return nil, 0, fmt.Errorf("lab %s summary: %w", l.ID, err)
			}
			l.ExpiresAt, _ = store.ParseTime(exp)
			l.CreatedAt, _ = store.ParseTime(ca)
			l.UpdatedAt, _ = store.ParseTime(ua)
			l.VMs = []VM{}
			out = append(out, l)
		}
		if !ciID.Valid {
			continue
		}
		cur := &out[len(out)-1]
		vm := VM{CIID: ciID.Int64, CIName: ciName.String, Domain: domain.String, Volume: volume.String, State: VMState(vmState.String),
			Start: VMStart(start.String), StartNote: startNote.String, ReadyMS: readyMS.Int64, ClockSkewMS: skewMS.Int64}
		vm.source = sourceOf(cur.ID, vm.Domain)
		if bid.Valid {
			vm.Base = &Base{ID: bid.Int64, Kind: BaseKind(kind.String), Path: path.String, Format: format.String, Live: live.Bool,
				Quiesced: quiesced.Bool, State: BaseState(bstate.String), Origin: origin.String}
			if memVol.String != "" {
				at, _ := store.ParseTime(capturedAt.String)
				vm.Base.Memory = &BaseMemory{Bytes: uint64(memBytes.Int64), CapturedAt: at, PauseMS: float64(pauseUS.Int64) / 1000, PauseBound: pauseBound.Bool}
			}
		}
		cur.VMs = append(cur.VMs, vm)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) == 0 && offset > 0 {
		// A page past the end: count on its own.
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM labs `+where, args...).Scan(&total)
	}
	return out, total, err
}

// Get returns a lab with its VMs and summary.
func (s *Service) Get(ctx context.Context, id string) (Lab, error) {
	list, _, err := s.queryLabs(ctx, `WHERE id = ?`, []any{id}, 1, 0)
	if err != nil {
		return Lab{}, err
	}
	if len(list) == 0 {
		return Lab{}, apperr.NotFound("lab", id)
	}
	return list[0], nil
}

// List returns labs newest first, in one query.
func (s *Service) List(ctx context.Context, f Filter) ([]Lab, int, error) {
	var w store.Where
	if f.ReleaseID != 0 {
		w.Add("release_id = ?", f.ReleaseID)
	}
	w.Equal("status", string(f.Status))
	if f.Live {
		w.Add("status <> ?", string(StatusTornDown))
	}
	if !f.UpdatedSince.IsZero() {
		w.Add("updated_at >= ?", store.FormatTime(f.UpdatedSince))
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	return s.queryLabs(ctx, w.SQL(), w.Args(), f.Limit, f.Offset)
}

// labRow is a lab's id, status and host, as reconciliation and expiry read them.
type labRow struct {
	id     string
	status Status
	host   string
}

func (s *Service) labRows(ctx context.Context, where string, args ...any) ([]labRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, status, host FROM labs `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []labRow
	for rows.Next() {
		var r labRow
		if err := rows.Scan(&r.id, &r.status, &r.host); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CapturedBy names the lab whose live capture holds a production domain
// (its disk writes go to the lab's overlay until the lab is torn down and
// the overlay merged back), or "" if none does.
func (s *Service) CapturedBy(ctx context.Context, host, domain string) (string, error) {
	var labID string
	err := s.db.QueryRowContext(ctx, `SELECT b.lab_id FROM lab_bases b JOIN labs l ON l.id = b.lab_id
		WHERE b.domain = ? AND l.host = ? AND b.kind = 'snapshot' AND b.state = ? LIMIT 1`, domain, host, string(BaseInUse)).Scan(&labID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return labID, err
}
