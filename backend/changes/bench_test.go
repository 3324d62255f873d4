package changes

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/backend/store"
)

// perTarget reads installs as /changes did before InstallsOf: one read per
// target. It is the benchmark's baseline.
type perTarget struct {
	s     *rollout.Service
	reads *int
}

func (p perTarget) InstallsOf(ctx context.Context, cis []int64, perCI int) (map[int64][]rollout.Install, error) {
	out := map[int64][]rollout.Install{}
	for _, ci := range cis {
		*p.reads++
		in, err := p.s.Installs(ctx, ci, perCI)
		if err != nil {
			return nil, err
		}
		if len(in) > 0 {
			out[ci] = in
		}
	}
	return out, nil
}

// batched counts the reads of the rollout service's InstallsOf.
type batched struct {
	s     *rollout.Service
	reads *int
}

func (p batched) InstallsOf(ctx context.Context, cis []int64, perCI int) (map[int64][]rollout.Install, error) {
	*p.reads++
	return p.s.InstallsOf(ctx, cis, perCI)
}

// BenchmarkChangesOf answers a release of 1,000 targets with three install
// lines each (two rollouts, one partly rolled back), reading what runs
// where target by target (the old way) and in one read.
func BenchmarkChangesOf(b *testing.B) {
	const targets = 1000
	ctx := context.Background()
	dir := b.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	bus := events.NewBus()
	rs := release.NewService(db, bus)
	ps, err := packages.NewStore(filepath.Join(dir, "packages"), db, bus, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	put := func(version, script string) string {
		pk, err := packages.Build(packages.Manifest{Name: "webapp", Version: version, Install: "sh install.sh", Verify: "true", Rollback: "true"},
			[]packages.SourceFile{{Path: "install.sh", Content: script}})
		if err != nil {
			b.Fatal(err)
		}
		p, err := ps.Put(ctx, tess, bytes.NewReader(pk), "")
		if err != nil {
			b.Fatal(err)
		}
		return p.Digest
	}
	old, mid, cur := put("1.0", "echo one\n"), put("1.1", "echo two\n"), put("1.2", "echo three\n")
	var cis []int64
	for i := range targets {
		name, kind, env, crit := fmt.Sprintf("web-%04d", i), "vm", "production", "low"
		c, err := rs.CreateCI(ctx, tess, release.CIInput{Name: &name, Kind: &kind, Environment: &env, Criticality: &crit})
		if err != nil {
			b.Fatal(err)
		}
		cis = append(cis, c.ID)
	}
	rn, rv, typ, env, start, end := "Web", "2", release.TypeMinor, "production", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z"
	r, err := rs.Create(ctx, tess, release.Input{Name: &rn, Version: &rv, Type: &typ, Environment: &env, PlannedStart: &start, PlannedEnd: &end, CIIDs: &cis})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := rs.AttachPackage(ctx, tess, r.ID, cur); err != nil {
		b.Fatal(err)
	}
	// The install lines two rollouts left, written straight into the
	// rollout service's tables (running rollouts over 1,000 fake VMs would
	// only slow the set-up): old everywhere, then mid, rolled back on every
	// third target.
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for _, ro := range []struct{ id, digest string }{{"ro1", old}, {"ro2", mid}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rollouts (id, release_id, digest, plan, status, created_by, created_at, updated_at)
				VALUES (?, ?, ?, '{}', 'succeeded', 'adam', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`, ro.id, r.ID, ro.digest); err != nil {
				return err
			}
		}
		ins := func(ci int64, digest, ro, state string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO target_installs (ci_id, release_id, digest, rollout_id, state, at)
				VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00.000Z')`, ci, r.ID, digest, ro, state)
			return err
		}
		for _, ci := range cis {
			if err := ins(ci, old, "ro1", "installed"); err != nil {
				return err
			}
		}
		for i, ci := range cis {
			if err := ins(ci, mid, "ro2", "installed"); err != nil {
				return err
			}
			if i%3 == 0 {
				if err := ins(ci, mid, "ro2", "rolled-back"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ro := rollout.NewService(rollout.Config{DB: db, Bus: bus, Log: slog.New(slog.DiscardHandler), Releases: rs, Packages: ps})
	for _, c := range []struct {
		name string
		in   func(reads *int) Installs
	}{
		{"per-target", func(reads *int) Installs { return perTarget{ro, reads} }},
		{"one-read", func(reads *int) Installs { return batched{ro, reads} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			reads := 0
			s := &Service{Releases: rs, Packages: ps, Installs: c.in(&reads)}
			for b.Loop() {
				ch, err := s.Of(ctx, tess, r.ID)
				if err != nil {
					b.Fatal(err)
				}
				if len(ch.Bases) != 2 || len(ch.NotRunning) != 0 || len(ch.Bases[0].Targets)+len(ch.Bases[1].Targets) != targets {
					b.Fatalf("%d bases, %d not running", len(ch.Bases), len(ch.NotRunning))
				}
			}
			b.ReportMetric(float64(reads)/float64(b.N), "install-reads/op")
		})
	}
}
