package server

import (
	"context"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/labs"
)

// catalog lets labs read releases and CIs without knowing the release
// package.
type catalog struct{ releases *release.Service }

func ciRef(c release.CI) labs.CIRef {
	return labs.CIRef{ID: c.ID, Name: c.Name, Kind: c.Kind, LibvirtHost: c.LibvirtHost, LibvirtDomain: c.LibvirtDomain}
}

func (c catalog) ReleaseCIs(ctx context.Context, releaseID int64) ([]labs.CIRef, error) {
	r, err := c.releases.Get(ctx, auth.System, releaseID)
	if err != nil {
		return nil, err
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
