package server

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/packages"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/labs"
)

// catalog lets labs read releases and CIs without knowing the release
// package.
type catalog struct {
	releases *release.Service
	packages *packages.Store
	log      *slog.Logger
}

func ciRef(c release.CI) labs.CIRef {
	return labs.CIRef{ID: c.ID, Name: c.Name, Kind: c.Kind, LibvirtHost: c.LibvirtHost, LibvirtDomain: c.LibvirtDomain}
}

func (c catalog) ReleaseCIs(ctx context.Context, releaseID int64) ([]labs.CIRef, error) {
	r, err := c.releases.Get(ctx, auth.System, releaseID)
	if err != nil {
		return nil, err
	}
	if r.ReadOnly {
		return nil, apperr.Conflict("", "Release %q %s is %s and read-only: it takes no more labs.", r.Name, r.Version, r.State)
	}
	out := make([]labs.CIRef, len(r.CIs))
	for i, ci := range r.CIs {
		out[i] = ciRef(ci)
	}
	return out, nil
}

func (c catalog) CI(ctx context.Context, id int64) (labs.CIRef, error) {
	ci, err := c.releases.GetCI(ctx, id)
	return ciRef(ci), err
}

// maxLabPackage bounds the unpacked size of a package copied into lab
// guests through the guest agent.
const maxLabPackage = 64 << 20

// Package turns a stored package into what labs install: every file of the
// archive, then the manifest's placements and install command.
func (c catalog) Package(ctx context.Context, digest string) (*labs.PackageInput, error) {
	d, err := packages.ParseDigest("package_digest", digest)
	if err != nil {
		return nil, err
	}
	contents, p, err := c.packages.Contents(ctx, d, maxLabPackage)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return nil, &apperr.NotFoundError{Entity: "package", ID: d, Field: "package_digest"}
	}
	if err != nil {
		return nil, err
	}
	in := &labs.PackageInput{Name: p.Name + " " + p.Version, Digest: p.Digest, Verify: p.Manifest.Verify, Rollback: p.Manifest.Rollback}
	var setup []string
	for _, e := range contents.Entries {
		switch e.Type {
		case "file":
			b, _ := contents.File(e.Path)
			in.Files = append(in.Files, labs.PackageFile{Path: e.Path, Content: string(b), Mode: e.Mode})
		case "symlink":
			setup = append(setup, fmt.Sprintf("mkdir -p %s && ln -sfn %s %s", quote(path.Dir(e.Path)), quote(e.Link), quote(e.Path)))
		}
	}
	for _, f := range p.Manifest.Files {
		setup = append(setup, fmt.Sprintf("mkdir -p %s && cp %s %s && chmod %s %s", quote(path.Dir(f.Dest)), quote(f.Src), quote(f.Dest), f.Mode, quote(f.Dest)))
	}
	in.Install = strings.Join(append(setup, "("+p.Manifest.Install+")"), " && ")
	for _, h := range p.Manifest.HealthChecks {
		in.Checks = append(in.Checks, labs.CheckInput{Name: h.Name, Command: h.Command})
	}
	return in, nil
}

// quote makes s one shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (c catalog) EvidenceRecorded(ctx context.Context, releaseID int64) {
	if err := c.releases.Revalidate(ctx, auth.System, releaseID); err != nil {
		c.log.Warn("revalidating the sign-off after lab evidence failed", "release", releaseID, "err", err)
	}
}
