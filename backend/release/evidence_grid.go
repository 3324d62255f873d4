package release

// The evidence grid: a release's evidence per package, as checks × VMs with
// the rounds folded into one cell, and the testing summary that goes with
// it (who tested, in which labs, on which VMs, over how long).

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
)

// maxCellFailures is how many failed runs a grid cell carries with their
// output.
const maxCellFailures = 3

// GridCell is one check on one VM: its runs over every round.
type GridCell struct {
	VM      string    `json:"vm"`
	Runs    int       `json:"runs"`
	Passed  int       `json:"passed"`
	Failed  int       `json:"failed"`
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
	// LastPassed is the result of the newest run.
	LastPassed bool `json:"last_passed"`
	// Failures are the newest failed runs, with their output.
	Failures []Evidence `json:"failures"`
}

// GridRow is one check (or install step, or manual check) across the VMs,
// Rounds the lab rounds (or manual test runs) it ran in;
// Cells line up with PackageEvidence.VMs (a cell with no runs is empty).
type GridRow struct {
	Kind    EvidenceKind `json:"kind"`
	Name    string       `json:"name"`
	Rounds  int          `json:"rounds"`
	Runs    int          `json:"runs"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	FirstAt time.Time    `json:"first_at"`
	LastAt  time.Time    `json:"last_at"`
	Cells   []GridCell   `json:"cells"`
}

// PackageEvidence is the evidence taken with one package, and the testing
// it sums up.
type PackageEvidence struct {
	Digest  string `json:"digest"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Current says this is the release's package now: only its evidence
	// is what an approval of it rests on.
	Current bool     `json:"current"`
	Count   int      `json:"count"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Testers []string `json:"testers"`
	Labs    []string `json:"labs"`
	VMs     []string `json:"vms"`
	// Rounds is the most rounds of the test period any lab ran (manual
	// test runs are counted per row).
	Rounds  int        `json:"rounds"`
	FirstAt *time.Time `json:"first_at"`
	LastAt  *time.Time `json:"last_at"`
	// Seconds is the time from the first record to the last.
	Seconds int64     `json:"seconds"`
	Rows    []GridRow `json:"rows"`
}

// EvidenceGrid is a release's evidence grouped by package, the current
// package first.
type EvidenceGrid struct {
	Packages []PackageEvidence `json:"packages"`
	// Total counts every record of the release, of every package.
	Total int `json:"total"`
}

// maxGridRecords bounds the records a grid reads.
const maxGridRecords = 20000

// EvidenceGrid answers a release's evidence as grids, one per package.
func (s *Service) EvidenceGrid(ctx context.Context, by auth.Actor, id int64) (*EvidenceGrid, error) {
	r, err := s.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	list, err := s.queryEvidence(ctx, ` FROM evidence WHERE release_id = ? ORDER BY at, id LIMIT ?`, id, maxGridRecords)
	if err != nil {
		return nil, err
	}
	attached, err := s.Packages(ctx, id)
	if err != nil {
		return nil, err
	}
	current := ""
	if r.Package != nil {
		current = r.Package.Digest
	}
	return buildGrid(list, attached, current), nil
}

func buildGrid(list []Evidence, attached []AttachedPackage, current string) *EvidenceGrid {
	g := &EvidenceGrid{Packages: []PackageEvidence{}, Total: len(list)}
	byDigest := map[string][]Evidence{}
	for _, e := range list {
		byDigest[e.PackageDigest] = append(byDigest[e.PackageDigest], e)
	}
	// attached is newest first: the current package, then the older ones;
	// evidence of a digest no longer attached (or none) comes last.
	var order []string
	names := map[string]PackageRef{}
	for _, a := range attached {
		if !slices.Contains(order, a.Package.Digest) {
			order = append(order, a.Package.Digest)
			names[a.Package.Digest] = a.Package
		}
	}
	if current != "" && !slices.Contains(order, current) {
		order = append([]string{current}, order...)
	}
	for d := range byDigest {
		if !slices.Contains(order, d) {
			order = append(order, d)
		}
	}
	slices.SortStableFunc(order, func(a, b string) int {
		// the current package first, the rest as attached
		return btoi(b == current) - btoi(a == current)
	})
	for _, d := range order {
		ev := byDigest[d]
		if len(ev) == 0 && d != current {
			continue
		}
		p := packageEvidence(ev)
		p.Digest, p.Current, p.Name, p.Version = d, d == current, names[d].Name, names[d].Version
		g.Packages = append(g.Packages, p)
	}
	return g
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// packageEvidence folds one package's records (oldest first) into its grid.
func packageEvidence(ev []Evidence) PackageEvidence {
	p := PackageEvidence{Testers: []string{}, Labs: []string{}, VMs: []string{}, Rows: []GridRow{}}
	type key struct {
		kind EvidenceKind
		name string
	}
	rowAt := map[key]int{}
	cellAt := map[key]map[string]*GridCell{}
	rounds := map[key]map[[2]string]bool{} // distinct (lab, round) per row
	for _, e := range ev {
		p.Count++
		if e.Passed {
			p.Passed++
		} else {
			p.Failed++
		}
		if e.AddedBy != "" && !slices.Contains(p.Testers, e.AddedBy) {
			p.Testers = append(p.Testers, e.AddedBy)
		}
		if e.LabID != "" && !slices.Contains(p.Labs, e.LabID) {
			p.Labs = append(p.Labs, e.LabID)
		}
		if !slices.Contains(p.VMs, e.VM) {
			p.VMs = append(p.VMs, e.VM)
		}
		if e.Round > p.Rounds {
			p.Rounds = e.Round
		}
		at := e.At
		if p.FirstAt == nil || at.Before(*p.FirstAt) {
			p.FirstAt = &at
		}
		if p.LastAt == nil || at.After(*p.LastAt) {
			p.LastAt = &at
		}
		k := key{e.Kind, e.Name}
		i, ok := rowAt[k]
		if !ok {
			i = len(p.Rows)
			rowAt[k] = i
			p.Rows = append(p.Rows, GridRow{Kind: e.Kind, Name: e.Name, FirstAt: e.At})
			cellAt[k] = map[string]*GridCell{}
			rounds[k] = map[[2]string]bool{}
		}
		row := &p.Rows[i]
		row.Runs++
		row.LastAt = e.At
		// a lab's round, or one manual test run (its records share a time)
		round := [2]string{e.LabID, strconv.Itoa(e.Round)}
		if e.Kind == EvidenceManual {
			round = [2]string{"", e.At.Format(time.RFC3339Nano)}
		}
		rounds[k][round] = true
		row.Rounds = len(rounds[k])
		c := cellAt[k][e.VM]
		if c == nil {
			c = &GridCell{VM: e.VM, FirstAt: e.At, Failures: []Evidence{}}
			cellAt[k][e.VM] = c
		}
		c.Runs++
		c.LastAt, c.LastPassed = e.At, e.Passed
		if e.Passed {
			row.Passed++
			c.Passed++
		} else {
			row.Failed++
			c.Failed++
			c.Failures = append([]Evidence{e}, c.Failures...)
			if len(c.Failures) > maxCellFailures {
				c.Failures = c.Failures[:maxCellFailures]
			}
		}
	}
	if p.FirstAt != nil {
		p.Seconds = int64(p.LastAt.Sub(*p.FirstAt).Seconds())
	}
	slices.Sort(p.VMs)
	// install steps first, then checks, then manual runs; by name within
	order := map[EvidenceKind]int{EvidenceInstall: 0, EvidenceCheck: 1, EvidenceManual: 2}
	slices.SortStableFunc(p.Rows, func(a, b GridRow) int {
		if order[a.Kind] != order[b.Kind] {
			return order[a.Kind] - order[b.Kind]
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	for i := range p.Rows {
		row := &p.Rows[i]
		cells := cellAt[key{row.Kind, row.Name}]
		row.Cells = make([]GridCell, len(p.VMs))
		for j, vm := range p.VMs {
			if c := cells[vm]; c != nil {
				row.Cells[j] = *c
			} else {
				row.Cells[j] = GridCell{VM: vm, Failures: []Evidence{}}
			}
		}
	}
	return p
}
