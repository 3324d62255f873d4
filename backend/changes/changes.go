// Package changes answers what a release's package changes, for the
// manager who signs it off: the package's files, and its diff against two
// bases — the package the release had before, and the package running on
// the release's targets now (what rollouts installed there). It owns no
// table: it reads releases, packages and installs through their services.
package changes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
)

// Releases is what changes reads of releases.
type Releases interface {
	Get(ctx context.Context, by auth.Actor, id int64) (*release.Release, error)
	Packages(ctx context.Context, id int64) ([]release.AttachedPackage, error)
	EvidenceGrid(ctx context.Context, by auth.Actor, id int64) (*release.EvidenceGrid, error)
}

// Packages is what changes reads of the package store.
type Packages interface {
	Files(ctx context.Context, digest string) (*packages.FileList, error)
}

// Installs is what runs where (the rollout service).
type Installs interface {
	// InstallsOf answers per CI id its install lines, newest first, at
	// most perCI each: one read for all of a release's targets.
	InstallsOf(ctx context.Context, ciIDs []int64, perCI int) (map[int64][]rollout.Install, error)
}

// installLines is how many of a target's newest install lines are read to
// find what runs there now (past rollbacks included).
const installLines = 50

// Service composes the answer.
type Service struct {
	Releases Releases
	Packages Packages
	Installs Installs
	Labs     Labs
}

// BaseKind says what a base of comparison is.
type BaseKind string

// The bases a package is compared with.
const (
	BasePrevious BaseKind = "previous" // the package the release had before this one
	BaseRunning  BaseKind = "running"  // the package a rollout installed on targets of the release
)

// EnumValues lists the base kinds, for the API document.
func (BaseKind) EnumValues() []string { return []string{string(BasePrevious), string(BaseRunning)} }

// Base is one package the current one is compared with.
type Base struct {
	Kind BaseKind `json:"kind"`
	// Label says in a sentence what the base is ("running on prod-web-1,
	// prod-web-2 since release Storefront 2.4.0").
	Label   string              `json:"label"`
	Package packages.PackageRef `json:"package"`
	Targets []string            `json:"targets"`
	// Same says the base is the current package itself (no change).
	Same bool           `json:"same"`
	Diff *packages.Diff `json:"diff"`
	// Note says why there is no diff (the base's archive is not stored).
	Note string `json:"note,omitempty"`
}

// Changes is what a release's current package holds and changes.
type Changes struct {
	Package *packages.FileList `json:"package"`
	Bases   []Base             `json:"bases"`
	// NotRunning lists the release's targets no rollout has installed
	// anything on (their running package is unknown to Shakedown).
	NotRunning []string `json:"not_running"`
}

// Of answers a release's changes; a release without a package has none.
func (s *Service) Of(ctx context.Context, by auth.Actor, id int64) (*Changes, error) {
	r, err := s.Releases.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	out := &Changes{Bases: []Base{}, NotRunning: []string{}}
	if r.Package == nil {
		return out, nil
	}
	if out.Package, err = s.Packages.Files(ctx, r.Package.Digest); err != nil {
		return nil, err
	}
	attached, err := s.Releases.Packages(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, a := range attached {
		if a.Package.Digest != r.Package.Digest {
			out.Bases = append(out.Bases, s.base(ctx, out.Package, Base{Kind: BasePrevious, Targets: []string{},
				Label:   fmt.Sprintf("the release's previous package, attached by %s", a.AttachedBy),
				Package: packages.PackageRef{Digest: a.Package.Digest, Name: a.Package.Name, Version: a.Package.Version}}))
			break
		}
	}
	installs := map[int64][]rollout.Install{}
	if s.Installs != nil && len(r.CIs) > 0 {
		ids := make([]int64, len(r.CIs))
		for i, ci := range r.CIs {
			ids[i] = ci.ID
		}
		if installs, err = s.Installs.InstallsOf(ctx, ids, installLines); err != nil {
			return nil, err
		}
	}
	running := map[string]*Base{}
	var order []string
	for _, ci := range r.CIs {
		now, ok := runningNow(installs[ci.ID])
		if !ok {
			out.NotRunning = append(out.NotRunning, ci.Name)
			continue
		}
		b := running[now.Digest]
		if b == nil {
			b = &Base{Kind: BaseRunning, Targets: []string{}, Package: packages.PackageRef{Digest: now.Digest}}
			if now.ReleaseName != "" {
				b.Label = fmt.Sprintf("installed by release %s %s", now.ReleaseName, now.ReleaseVersion)
			}
			running[now.Digest] = b
			order = append(order, now.Digest)
		}
		b.Targets = append(b.Targets, ci.Name)
	}
	for _, d := range order {
		b := running[d]
		b.Label = "running on " + strings.Join(b.Targets, ", ") + " now" + map[bool]string{true: ", " + b.Label, false: ""}[b.Label != ""]
		out.Bases = append(out.Bases, s.base(ctx, out.Package, *b))
	}
	return out, nil
}

// runningNow is the newest install on a target that no later rollback undid.
func runningNow(newestFirst []rollout.Install) (rollout.Install, bool) {
	var undone []string
	for _, in := range newestFirst {
		key := in.RolloutID + "|" + in.Digest
		if in.State == rollout.InstallRolledBack {
			undone = append(undone, key)
			continue
		}
		if !slices.Contains(undone, key) {
			return in, true
		}
	}
	return rollout.Install{}, false
}

func (s *Service) base(ctx context.Context, cur *packages.FileList, b Base) Base {
	if b.Package.Digest == cur.Digest {
		b.Same = true
		b.Package = packages.PackageRef{Digest: cur.Digest, Name: cur.Name, Version: cur.Version}
		return b
	}
	old, err := s.Packages.Files(ctx, b.Package.Digest)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			b.Note = "That package is not in this Shakedown's package store, so its files cannot be compared."
		} else {
			b.Note = "Its files could not be read: " + err.Error()
		}
		return b
	}
	b.Package = packages.PackageRef{Digest: old.Digest, Name: old.Name, Version: old.Version}
	b.Diff = packages.DiffFiles(old, cur)
	return b
}

// Labs reads lab records (the lab service).
type Labs interface {
	Get(ctx context.Context, id string) (lab.Lab, error)
}

// LabRef is a lab the evidence came from, as the testing summary names it.
type LabRef struct {
	ID        string `json:"id"`
	Host      string `json:"host"`
	CreatedBy string `json:"created_by"`
	// Gone says the lab's record is no longer there.
	Gone bool `json:"gone"`
}

// Testing is a release's evidence as grids per package, with the labs it
// came from.
type Testing struct {
	release.EvidenceGrid
	Labs []LabRef `json:"labs"`
}

// Testing answers a release's evidence grid and the labs behind it.
func (s *Service) Testing(ctx context.Context, by auth.Actor, id int64) (*Testing, error) {
	g, err := s.Releases.EvidenceGrid(ctx, by, id)
	if err != nil {
		return nil, err
	}
	out := &Testing{EvidenceGrid: *g, Labs: []LabRef{}}
	seen := map[string]bool{}
	for _, p := range g.Packages {
		for _, l := range p.Labs {
			if seen[l] {
				continue
			}
			seen[l] = true
			ref := LabRef{ID: l}
			if s.Labs == nil {
				ref.Gone = true
			} else if lb, err := s.Labs.Get(ctx, l); err == nil {
				ref.Host, ref.CreatedBy = lb.Host, lb.CreatedBy
			} else if apperr.KindOf(err) == apperr.KindNotFound {
				ref.Gone = true
			} else {
				return nil, err
			}
			out.Labs = append(out.Labs, ref)
		}
	}
	return out, nil
}
