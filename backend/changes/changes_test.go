package changes

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/backend/store"
)

var tess = auth.Actor{UserID: 2, Username: "tess", Roles: []auth.Role{auth.RoleTester, auth.RoleAdmin}}

// installs is a fake of what runs where, per CI newest first.
type installs map[int64][]rollout.Install

func (f installs) InstallsOf(_ context.Context, cis []int64, perCI int) (map[int64][]rollout.Install, error) {
	out := map[int64][]rollout.Install{}
	for _, ci := range cis {
		if in := f[ci]; len(in) > 0 {
			out[ci] = in[:min(perCI, len(in))]
		}
	}
	return out, nil
}

func TestChangesAgainstPreviousAndRunningPackages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := events.NewBus()
	rs := release.NewService(db, bus)
	ps, err := packages.NewStore(filepath.Join(dir, "packages"), db, bus, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	put := func(version, script string) string {
		b, err := packages.Build(packages.Manifest{Name: "webapp", Version: version, Install: "sh install.sh", Verify: "true", Rollback: "true"},
			[]packages.SourceFile{{Path: "install.sh", Content: script}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := ps.Put(ctx, tess, bytes.NewReader(b), "")
		if err != nil {
			t.Fatal(err)
		}
		return p.Digest
	}
	running := put("1.0", "echo one\n")
	prev := put("1.1", "echo one\necho two\n")
	cur := put("1.2", "echo one\necho three\n")
	var cis []int64
	names := map[string]int64{}
	for _, n := range []string{"web-1", "web-2", "web-3", "db-1"} {
		name, kind, env, crit := n, "vm", "production", "low"
		c, err := rs.CreateCI(ctx, tess, release.CIInput{Name: &name, Kind: &kind, Environment: &env, Criticality: &crit})
		if err != nil {
			t.Fatal(err)
		}
		cis = append(cis, c.ID)
		names[n] = c.ID
	}
	rn, rv, typ, env, start, end := "Web", "2", release.TypeMinor, "production", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z"
	r, err := rs.Create(ctx, tess, release.Input{Name: &rn, Version: &rv, Type: &typ, Environment: &env, PlannedStart: &start, PlannedEnd: &end, CIIDs: &cis})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{prev, cur} {
		if _, err := rs.AttachPackage(ctx, tess, r.ID, d); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	s := &Service{Releases: rs, Packages: ps, Installs: installs{
		names["web-1"]: {{Digest: running, RolloutID: "ro1", State: rollout.InstallInstalled, ReleaseName: "Web", ReleaseVersion: "1", At: now}},
		names["web-2"]: {
			{Digest: prev, RolloutID: "ro2", State: rollout.InstallRolledBack, At: now}, // undone: what ran before runs again
			{Digest: prev, RolloutID: "ro2", State: rollout.InstallInstalled, At: now.Add(-time.Minute)},
			{Digest: running, RolloutID: "ro1", State: rollout.InstallInstalled, ReleaseName: "Web", ReleaseVersion: "1", At: now.Add(-time.Hour)},
		},
		names["web-3"]: {{Digest: cur, RolloutID: "ro3", State: rollout.InstallInstalled, At: now}},
	}}
	ch, err := s.Of(ctx, tess, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Package.Digest != cur || len(ch.Bases) != 3 || strings.Join(ch.NotRunning, ",") != "db-1" {
		t.Fatalf("changes: package %s, %d bases, not running %v", ch.Package.Digest, len(ch.Bases), ch.NotRunning)
	}
	p := ch.Bases[0]
	if p.Kind != BasePrevious || p.Package.Digest != prev || p.Diff == nil || p.Diff.Changed != 2 {
		t.Fatalf("previous: %+v", p)
	}
	run := ch.Bases[1]
	if run.Kind != BaseRunning || run.Package.Digest != running || run.Package.Version != "1.0" || strings.Join(run.Targets, ",") != "web-1,web-2" ||
		run.Label != "running on web-1, web-2 now, installed by release Web 1" || run.Diff == nil {
		t.Fatalf("running: %+v", run)
	}
	var script packages.FileChange
	for _, f := range run.Diff.Files {
		if f.Path == "install.sh" {
			script = f
		}
	}
	if len(script.Hunks) != 1 || len(script.Hunks[0].Lines) != 2 || script.Hunks[0].Lines[1].Text != "echo three" {
		t.Errorf("install.sh against what runs: %+v", script)
	}
	if same := ch.Bases[2]; !same.Same || same.Diff != nil || strings.Join(same.Targets, ",") != "web-3" {
		t.Errorf("a target already running the package: %+v", same)
	}
}
