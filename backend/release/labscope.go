package release

import (
	"context"

	"github.com/shakedown/shakedown/backend/apperr"
)

// LabScope is what a lab may reproduce of a release: its CIs and the
// package a lab installs unless told otherwise.
type LabScope struct {
	ReleaseID int64
	Label     string
	CIs       []CI
	// PackageDigest is the release's current package ("" when none).
	PackageDigest string
}

// LabScope returns what a lab of the release works with. A closed or
// cancelled release is read-only: it takes no more labs or test periods.
func (s *Service) LabScope(ctx context.Context, id int64) (LabScope, error) {
	r, err := s.load(ctx, s.db, id)
	if err != nil {
		return LabScope{}, err
	}
	if r.ReadOnly {
		return LabScope{}, apperr.Conflict("", "%s is %s and read-only: it takes no more labs or test periods.", r.label(), r.State)
	}
	sc := LabScope{ReleaseID: id, Label: r.label(), CIs: r.CIs}
	if r.Package != nil {
		sc.PackageDigest = r.Package.Digest
	}
	return sc, nil
}
