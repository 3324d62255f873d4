package release

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// PackageRef is a stored package as a release shows it.
type PackageRef struct {
	Digest    string `json:"digest"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Size      int64  `json:"size"`
	Format    string `json:"format"`
	CreatedBy string `json:"created_by"`
	CreatedAt string `json:"created_at"`
}

// AttachedPackage is one package a release has had.
type AttachedPackage struct {
	Package    PackageRef `json:"package"`
	AttachedBy string     `json:"attached_by"`
	AttachedAt string     `json:"attached_at"`
	Current    bool       `json:"current"`
}

// withPackage lists the states in which testers may attach a package or
// evidence: from planning until approval. Attaching in approved voids it.
var withPackage = []State{StatePlanned, StateBuilding, StateTesting, StateAwaitingApproval, StateApproved, StateRejected}

// readOnly lists the states in which a release takes no more writes.
var readOnly = []State{StateClosed, StateCancelled}

// loadSignOffParts fills what the release record shows of its package,
// approval and review.
func loadSignOffParts(ctx context.Context, q store.Querier, r *Release) error {
	r.ReadOnly = slices.Contains(readOnly, r.State)
	if err := q.QueryRowContext(ctx, `SELECT approved_digest FROM releases WHERE id = ?`, r.ID).Scan(&r.ApprovedDigest); err != nil {
		return err
	}
	var p PackageRef
	err := q.QueryRowContext(ctx, `SELECT p.digest, p.name, p.version, p.size, p.format, p.created_by, p.created_at
		FROM release_packages rp JOIN packages p ON p.digest = rp.digest WHERE rp.release_id = ? ORDER BY rp.id DESC LIMIT 1`, r.ID).
		Scan(&p.Digest, &p.Name, &p.Version, &p.Size, &p.Format, &p.CreatedBy, &p.CreatedAt)
	switch {
	case err == nil:
		r.Package = &p
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	r.Review, err = loadReview(ctx, q, r.ID)
	return err
}

// writable refuses writes to a closed or cancelled release.
func writable(r *Release) error {
	if slices.Contains(readOnly, r.State) {
		return apperr.Conflict("", "%s is %s and read-only.", r.label(), r.State)
	}
	return nil
}

// testable refuses new packages and evidence outside planning to approval.
func testable(r *Release, what string) error {
	if err := writable(r); err != nil {
		return err
	}
	if !slices.Contains(withPackage, r.State) {
		return apperr.Conflict("", "%s is %s: %s can be added from planning until approval, not now.", r.label(), r.State, what)
	}
	return nil
}

// AttachPackage makes a stored package the release's current package. If the
// release was approved for another digest, the approval is void and it goes
// back to awaiting approval.
func (s *Service) AttachPackage(ctx context.Context, by auth.Actor, id int64, digest string) (*Release, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	var touched []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := testable(r, "a package"); err != nil {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM packages WHERE digest = ?`, digest).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return &apperr.NotFoundError{Entity: "package", ID: digest, Field: "digest"}
		} else if err != nil {
			return err
		}
		before := ""
		if r.Package != nil {
			before = r.Package.Digest
		}
		if before == digest {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_packages (release_id, digest, attached_by, attached_at) VALUES (?, ?, ?, ?)`,
			id, digest, by.Username, store.FormatTime(now)); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release.package", Entity: "release", EntityID: events.ID(id),
			Before: map[string]any{"package_digest": before}, After: map[string]any{"package_digest": digest}}); err != nil {
			return err
		}
		touched, err = s.revalidate(ctx, tx, by, r, "Package "+short(digest)+" was attached after sign-off.", now)
		return err
	})
	if err != nil {
		return nil, err
	}
	r, err := s.finishMove(ctx, by, id, touched)
	if err != nil {
		return nil, err
	}
	_, err = s.publishSignOff(ctx, by, id)
	return r, err
}

// Packages lists the packages a release has had, newest first.
func (s *Service) Packages(ctx context.Context, id int64) ([]AttachedPackage, error) {
	if _, err := s.load(ctx, s.db, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT p.digest, p.name, p.version, p.size, p.format, p.created_by, p.created_at, rp.attached_by, rp.attached_at
		FROM release_packages rp JOIN packages p ON p.digest = rp.digest WHERE rp.release_id = ? ORDER BY rp.id DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AttachedPackage{}
	for rows.Next() {
		var a AttachedPackage
		p := &a.Package
		if err := rows.Scan(&p.Digest, &p.Name, &p.Version, &p.Size, &p.Format, &p.CreatedBy, &p.CreatedAt, &a.AttachedBy, &a.AttachedAt); err != nil {
			return nil, err
		}
		a.Current = len(out) == 0
		out = append(out, a)
	}
	return out, rows.Err()
}

// ManualCheck is one result of a test run done outside a lab.
type ManualCheck struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Output string `json:"output"`
}

// EvidenceInput is a tester's test run, attached as evidence.
type EvidenceInput struct {
	Name   string        `json:"name"`
	Target string        `json:"target"`
	Checks []ManualCheck `json:"checks"`
}

// EvidenceKind says where a piece of evidence comes from.
type EvidenceKind string

// The kinds of evidence: a lab's install and checks, or a test run recorded by hand.
const (
	EvidenceInstall EvidenceKind = "install"
	EvidenceCheck   EvidenceKind = "check"
	EvidenceManual  EvidenceKind = "manual"
)

// EvidenceRecord is one stored evidence row.
type EvidenceRecord struct {
	ID            int64        `json:"id"`
	ReleaseID     int64        `json:"release_id"`
	LabID         string       `json:"lab_id"`
	At            string       `json:"at"`
	VM            string       `json:"vm"`
	Kind          EvidenceKind `json:"kind"`
	Name          string       `json:"name"`
	Round         int          `json:"round"`
	Passed        bool         `json:"passed"`
	ExitCode      int          `json:"exit_code"`
	Stdout        string       `json:"stdout"`
	Stderr        string       `json:"stderr"`
	TookMS        int64        `json:"took_ms"`
	PackageDigest string       `json:"package_digest"`
	AddedBy       string       `json:"added_by"`
}

// AddEvidence attaches a test run done outside a lab: one record per check,
// bound to the current package. The tester counts as a tester of the release
// for separation of duties.
func (s *Service) AddEvidence(ctx context.Context, by auth.Actor, id int64, in EvidenceInput) ([]EvidenceRecord, error) {
	name, err := text("name", in.Name, true, 200, false)
	if err != nil {
		return nil, err
	}
	target, err := text("target", in.Target, true, 200, false)
	if err != nil {
		return nil, err
	}
	if len(in.Checks) == 0 || len(in.Checks) > 100 {
		return nil, apperr.Invalid("checks", "A test run has 1 to 100 checks.")
	}
	for i := range in.Checks {
		c := &in.Checks[i]
		if c.Name, err = text(fieldAt("checks", i, "name"), c.Name, true, 200, false); err != nil {
			return nil, err
		}
		if len(c.Output) > 64<<10 {
			return nil, apperr.Invalid(fieldAt("checks", i, "output"), "The output of a check is limited to 64 KiB; attach the rest elsewhere.")
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var ids []int64
	var touched []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := testable(r, "test evidence"); err != nil {
			return err
		}
		digest := ""
		if r.Package != nil {
			digest = r.Package.Digest
		}
		for _, c := range in.Checks {
			exit := 0
			if !c.Passed {
				exit = 1
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO evidence (release_id, at, vm, kind, name, passed, exit_code, stdout, package_digest, added_by)
				VALUES (?, ?, ?, 'manual', ?, ?, ?, ?, ?, ?)`, id, store.FormatTime(now), target, name+": "+c.Name, c.Passed, exit, c.Output, digest, by.Username)
			if err != nil {
				return err
			}
			eid, _ := res.LastInsertId()
			ids = append(ids, eid)
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release.evidence", Entity: "release", EntityID: events.ID(id),
			After: map[string]any{"run": name, "target": target, "checks": len(in.Checks), "package_digest": digest}}); err != nil {
			return err
		}
		touched, err = s.revalidate(ctx, tx, by, r, "Test evidence was attached after sign-off.", now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.finishMove(ctx, by, id, touched); err != nil {
		return nil, err
	}
	if _, err := s.publishSignOff(ctx, by, id); err != nil {
		return nil, err
	}
	return s.evidenceByID(ctx, ids)
}

func (s *Service) evidenceByID(ctx context.Context, ids []int64) ([]EvidenceRecord, error) {
	out := []EvidenceRecord{}
	for _, eid := range ids {
		var e EvidenceRecord
		err := s.db.QueryRowContext(ctx, `SELECT id, release_id, lab_id, at, vm, kind, name, round, passed, exit_code, stdout, stderr, took_ms, package_digest, added_by
			FROM evidence WHERE id = ?`, eid).Scan(&e.ID, &e.ReleaseID, &e.LabID, &e.At, &e.VM, &e.Kind, &e.Name, &e.Round, &e.Passed, &e.ExitCode,
			&e.Stdout, &e.Stderr, &e.TookMS, &e.PackageDigest, &e.AddedBy)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// CheckTestable refuses up front a package or evidence for a release that
// cannot take one now (before an upload streams gigabytes for nothing).
func (s *Service) CheckTestable(ctx context.Context, id int64) error {
	r, err := s.load(ctx, s.db, id)
	if err != nil {
		return err
	}
	return testable(r, "a package")
}
