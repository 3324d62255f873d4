package rollout

import (
	"context"
	"database/sql"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/release"
)

// SweepSnapshots removes the pre-deploy snapshots of ended rollouts whose
// release is closed: once a release is closed nobody rolls it back, and a
// snapshot holds the VM's old disk and memory. It returns how many it
// removed; a target it cannot reach keeps its snapshot for the next sweep.
func (s *Service) SweepSnapshots(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT r.id, r.release_id FROM rollouts r JOIN rollout_targets t ON t.rollout_id = r.id
		WHERE t.snapshot <> '' AND r.status IN (?, ?, ?, ?)`, string(StatusSucceeded), string(StatusFailed), string(StatusRolledBack), string(StatusAborted))
	if err != nil {
		return 0, err
	}
	type ended struct {
		id      string
		release int64
	}
	var list []ended
	for rows.Next() {
		var e ended
		if err := rows.Scan(&e.id, &e.release); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, e)
	}
	rows.Close()
	removed := 0
	for _, e := range list {
		rel, err := s.Releases.Get(ctx, auth.System, e.release)
		if err != nil || rel.State != release.StateClosed {
			continue
		}
		ro, err := load(ctx, s.db, e.id)
		if err != nil {
			return removed, err
		}
		for _, t := range ro.Targets {
			if t.Snapshot == "" || t.Kind != KindVM {
				continue
			}
			ex, err := s.Connect.Connect(ctx, t.Target)
			if err != nil {
				s.Log.Warn("snapshot sweep: target unreachable", "rollout", e.id, "target", t.Name, "err", err)
				continue
			}
			err = ex.Forget(ctx, t.Snapshot)
			ex.Close()
			if err != nil {
				s.Log.Warn("snapshot sweep: remove", "rollout", e.id, "target", t.Name, "err", err)
				continue
			}
			err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE rollout_targets SET snapshot = '' WHERE rollout_id = ? AND ci_id = ?`, e.id, t.CIID)
				return err
			})
			if err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// RunSnapshotSweep sweeps every interval until ctx ends.
func (s *Service) RunSnapshotSweep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.SweepSnapshots(ctx); err != nil {
				s.Log.Error("snapshot sweep", "err", err)
			} else if n > 0 {
				s.Log.Info("removed the snapshots of closed releases", "snapshots", n)
			}
		}
	}
}
