package kpi

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

// BenchmarkCompute works out the dashboard over 10,000 deployed releases
// (one every 50 minutes for a year, each with two changes, every fifth
// failed and rolled back, a review each), for the whole year and for the
// last 90 days, by week: every read done afresh (what the first dashboard
// after a write costs).
func BenchmarkCompute(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	err = db.Tx(context.Background(), func(tx *sql.Tx) error {
		for i := 0; i < 10000; i++ {
			at := base.Add(time.Duration(i) * 50 * time.Minute)
			ts := func(d time.Duration) string { return store.FormatTime(at.Add(d)) }
			stmts := []string{
				fmt.Sprintf(`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at)
					VALUES (%d, 'R', '%d', 'minor', 'production', 'reviewed', '%s', '%s', 't', 'x', 'x')`, i+1, i, ts(0), ts(time.Hour)),
				fmt.Sprintf(`INSERT INTO release_changes (release_id, position, rfc, title, risk, created_at) VALUES (%d, 0, 'R', 'x', 'low', '%s'), (%d, 1, 'R', 'y', 'low', '%s')`,
					i+1, ts(-48*time.Hour), i+1, ts(-24*time.Hour)),
				fmt.Sprintf(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (%d, '', 'deploying', 'a', '%s')`, i+1, ts(0)),
			}
			if i%5 == 0 {
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (%d, '', 'failed', 'a', '%s'), (%d, '', 'rolled-back', 'a', '%s')`,
					i+1, ts(10*time.Minute), i+1, ts(40*time.Minute)))
			} else {
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (%d, '', 'deployed', 'a', '%s')`, i+1, ts(20*time.Minute)))
			}
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO release_reviews (release_id, outcome, reviewer, reviewed_at, updated_at) VALUES (%d, 'successful', 'm', '%s', 'x')`, i+1, ts(24*time.Hour)))
			for _, s := range stmts {
				if _, err := tx.Exec(s); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	now := base.AddDate(1, 0, 0)
	for _, days := range []int{365, 90} {
		b.Run(fmt.Sprintf("%dd", days), func(b *testing.B) {
			q, _ := ParseQuery("", "", "", "week", now)
			q.From = now.AddDate(0, 0, -days)
			for i := 0; i < b.N; i++ {
				rep, err := Compute(context.Background(), db, q, now)
				if err != nil {
					b.Fatal(err)
				}
				// The change failure rate counts every finished deployment
				// (deployment frequency only those that finished deployed).
				if want := days * 20; i == 0 && rep.Figures[2].N < want {
					b.Fatalf("only %d deployments in %d days, want at least %d", rep.Figures[2].N, days, want)
				}
			}
		})
	}
}
