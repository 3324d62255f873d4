package release

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// The release owns its test evidence: manual test runs and lab results are
// written here only, each batch in one transaction with its audit entry and
// the re-check of the sign-off it may void.

// EvidenceKind says where a piece of evidence came from.
type EvidenceKind string

const (
	// EvidenceInstall is a package installed in a lab VM.
	EvidenceInstall EvidenceKind = "install"
	// EvidenceCheck is one check of a lab's test period.
	EvidenceCheck EvidenceKind = "check"
	// EvidenceManual is one check of a test run a tester attached.
	EvidenceManual EvidenceKind = "manual"
)

// Evidence is one recorded test result.
type Evidence struct {
	ID        int64        `json:"id"`
	ReleaseID int64        `json:"release_id"`
	LabID     string       `json:"lab_id"`
	At        time.Time    `json:"at"`
	VM        string       `json:"vm"`
	Kind      EvidenceKind `json:"kind"`
	Name      string       `json:"name"`
	Round     int          `json:"round"`
	Passed    bool         `json:"passed"`
	ExitCode  int          `json:"exit_code"`
	Stdout    string       `json:"stdout"`
	Stderr    string       `json:"stderr"`
	TookMS    int64        `json:"took_ms"`
	// PackageDigest is the package installed when the evidence was taken.
	PackageDigest string `json:"package_digest"`
	AddedBy       string `json:"added_by"`
}

// ManualCheck is one result of a test run done outside a lab.
type ManualCheck struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Output string `json:"output,omitempty"`
}

// EvidenceInput is a tester's test run, attached as evidence.
type EvidenceInput struct {
	Name   string        `json:"name"`
	Target string        `json:"target"`
	Checks []ManualCheck `json:"checks"`
}

// AddEvidence attaches a test run done outside a lab: one record per check,
// bound to the current package. The tester counts as a tester of the release
// for separation of duties.
func (s *Service) AddEvidence(ctx context.Context, by auth.Actor, id int64, in EvidenceInput) ([]Evidence, error) {
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
	now := s.now().UTC().Truncate(time.Millisecond)
	batch := make([]Evidence, len(in.Checks))
	for i := range in.Checks {
		c := &in.Checks[i]
		if c.Name, err = text(fieldAt("checks", i, "name"), c.Name, true, 200, false); err != nil {
			return nil, err
		}
		if len(c.Output) > 64<<10 {
			return nil, apperr.Invalid(fieldAt("checks", i, "output"), "The output of a check is limited to 64 KiB; attach the rest elsewhere.")
		}
		exit := 0
		if !c.Passed {
			exit = 1
		}
		batch[i] = Evidence{At: now, VM: target, Kind: EvidenceManual, Name: name + ": " + c.Name, Passed: c.Passed, ExitCode: exit, Stdout: c.Output}
	}
	return s.record(ctx, by, id, "", batch, func(r *Release) error { return testable(r, "test evidence") },
		map[string]any{"run": name, "target": target, "checks": len(in.Checks)})
}

// LabResult is one result a lab took in a VM, for RecordLabEvidence.
type LabResult struct {
	At       time.Time
	VM       string
	Kind     EvidenceKind // install or check
	Name     string
	Round    int
	Passed   bool
	ExitCode int
	Stdout   string
	Stderr   string
	Took     time.Duration
}

// RecordLabEvidence stores a batch of a lab's results (an install, or one
// round of a test period) against the release, taken with the package
// digest the lab installed and by whoever ran the lab. Labs may record
// while a release is being tested; a closed release takes no more.
func (s *Service) RecordLabEvidence(ctx context.Context, by auth.Actor, releaseID int64, labID, digest string, results []LabResult) error {
	if len(results) == 0 {
		return nil
	}
	batch := make([]Evidence, len(results))
	for i, r := range results {
		if r.Kind != EvidenceInstall && r.Kind != EvidenceCheck {
			return fmt.Errorf("lab evidence of kind %q", r.Kind)
		}
		batch[i] = Evidence{LabID: labID, At: r.At.UTC(), VM: r.VM, Kind: r.Kind, Name: r.Name, Round: r.Round, Passed: r.Passed,
			ExitCode: r.ExitCode, Stdout: clip(r.Stdout), Stderr: clip(r.Stderr), TookMS: r.Took.Milliseconds(), PackageDigest: digest}
	}
	passed := 0
	for _, e := range batch {
		if e.Passed {
			passed++
		}
	}
	_, err := s.record(ctx, by, releaseID, digest, batch, writable,
		map[string]any{"lab": labID, "results": len(batch), "passed": passed, "failed": len(batch) - passed, "round": batch[0].Round})
	return err
}

// record inserts a batch of evidence, its audit entry and the sign-off
// re-check in one transaction. An empty digest means the release's current
// package. It uses a context that a cancelled operation cannot abort
// half-way: evidence taken is evidence kept.
func (s *Service) record(ctx context.Context, by auth.Actor, id int64, digest string, batch []Evidence, allowed func(*Release) error, what map[string]any) ([]Evidence, error) {
	ctx = context.WithoutCancel(ctx)
	now := s.now().UTC().Truncate(time.Millisecond)
	var touched []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := allowed(r); err != nil {
			return err
		}
		if digest == "" && r.Package != nil {
			digest = r.Package.Digest
		}
		for i := range batch {
			e := &batch[i]
			e.ReleaseID, e.AddedBy = id, by.Username
			if e.PackageDigest == "" {
				e.PackageDigest = digest
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO evidence (release_id, lab_id, at, vm, kind, name, round, passed, exit_code, stdout, stderr, took_ms, package_digest, added_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, e.LabID, store.FormatTime(e.At), e.VM, string(e.Kind), e.Name, e.Round, e.Passed,
				e.ExitCode, e.Stdout, e.Stderr, e.TookMS, e.PackageDigest, e.AddedBy)
			if err != nil {
				return err
			}
			e.ID, _ = res.LastInsertId()
		}
		what["package_digest"] = digest
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release.evidence", Entity: "release", EntityID: events.ID(id), After: what}); err != nil {
			return err
		}
		touched, err = s.revalidate(ctx, tx, by, r, "New test evidence was recorded after the approval.", now)
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
	return batch, nil
}

func clip(s string) string {
	if len(s) > 64<<10 {
		return s[:64<<10] + "\n… (cut at 64 KiB)"
	}
	return s
}

// EvidenceFilter narrows a listing of evidence.
type EvidenceFilter struct {
	ReleaseID int64
	LabID     string
	// VM narrows to one lab VM (its domain name).
	VM     string
	Passed *bool
	Limit  int
	Offset int
}

const evidenceColumns = `id, release_id, lab_id, at, vm, kind, name, round, passed, exit_code, stdout, stderr, took_ms, package_digest, added_by`

func scanEvidence(sc interface{ Scan(...any) error }) (Evidence, error) {
	var e Evidence
	var at string
	err := sc.Scan(&e.ID, &e.ReleaseID, &e.LabID, &at, &e.VM, &e.Kind, &e.Name, &e.Round, &e.Passed, &e.ExitCode, &e.Stdout, &e.Stderr, &e.TookMS, &e.PackageDigest, &e.AddedBy)
	e.At, _ = store.ParseTime(at)
	return e, err
}

// ListEvidence returns a release's evidence newest first.
func (s *Service) ListEvidence(ctx context.Context, f EvidenceFilter) ([]Evidence, int, error) {
	var w store.Where
	w.Add("release_id = ?", f.ReleaseID)
	w.Equal("lab_id", f.LabID)
	w.Equal("vm", f.VM)
	if f.Passed != nil {
		w.Add("passed = ?", *f.Passed)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM evidence`+w.SQL(), w.Args()...).Scan(&total); err != nil {
		return nil, 0, err
	}
	list, err := s.queryEvidence(ctx, ` FROM evidence`+w.SQL()+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(w.Args(), f.Limit, f.Offset)...)
	return list, total, err
}

func (s *Service) queryEvidence(ctx context.Context, from string, args ...any) ([]Evidence, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+evidenceColumns+from, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Evidence{}
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceCounts sums up the evidence a lab recorded.
type EvidenceCounts struct {
	InstallsPassed int `json:"installs_passed"`
	InstallsFailed int `json:"installs_failed"`
	ChecksPassed   int `json:"checks_passed"`
	ChecksFailed   int `json:"checks_failed"`
	Rounds         int `json:"rounds"`
}

// LabEvidence counts the evidence each of the given labs recorded, in one query.
func (s *Service) LabEvidence(ctx context.Context, labIDs ...string) (map[string]EvidenceCounts, error) {
	out := map[string]EvidenceCounts{}
	if len(labIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(labIDs))
	for i, id := range labIDs {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT lab_id,
		coalesce(sum(kind = 'install' AND passed), 0), coalesce(sum(kind = 'install' AND NOT passed), 0),
		coalesce(sum(kind = 'check' AND passed), 0), coalesce(sum(kind = 'check' AND NOT passed), 0),
		coalesce(max(round), 0) FROM evidence WHERE lab_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`) GROUP BY lab_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c EvidenceCounts
		if err := rows.Scan(&id, &c.InstallsPassed, &c.InstallsFailed, &c.ChecksPassed, &c.ChecksFailed, &c.Rounds); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}
