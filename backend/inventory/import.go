package inventory

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

// Bulk import: rows of name, address, port, user, tags, environment,
// criticality (and an optional password), as CSV or JSON. A row naming a
// CI that does not exist creates it (kind host, through the release
// service); one naming an existing CI sets its target and tags. In a row
// for an existing CI an empty cell leaves that value as it is (as an absent
// field does in PUT /cis/{id}/target); its environment and criticality, if
// given, must be the CI's own: an import never moves a CI (that is a
// controlled change of the CI itself). Every row is checked before anything
// is written; one bad row refuses the whole import with every row's errors.

// MaxImportRows bounds one import.
const MaxImportRows = 5000

// ImportRow is one row of an import.
type ImportRow struct {
	Name        string   `json:"name"`
	Address     string   `json:"address,omitempty"`
	Port        int      `json:"port,omitempty"` // empty: 22 for a new CI, unchanged for an existing one
	User        string   `json:"user,omitempty"`
	Tags        []string `json:"tags,omitempty"` // replace the CI's tags when given
	Environment string   `json:"environment,omitempty"`
	Criticality string   `json:"criticality,omitempty"`
	// Password, when given, becomes the target's credential (auth_kind
	// password). Optional: credentials are better set per target.
	Password string `json:"password,omitempty"`

	line int    // the line of the CSV file it came from
	port string // the port cell as written in CSV
}

// ImportRequest is an import sent as JSON.
type ImportRequest struct {
	Rows []ImportRow `json:"rows"`
}

// ImportAction is what an import does with a row's CI.
type ImportAction string

const (
	ImportCreate ImportAction = "create"
	ImportUpdate ImportAction = "update"
)

// EnumValues lists the actions.
func (ImportAction) EnumValues() []string {
	return []string{string(ImportCreate), string(ImportUpdate)}
}

// ImportedRow is what an import did (or, in a dry run, would do) with a row.
type ImportedRow struct {
	Row         int          `json:"row"`
	Line        int          `json:"line,omitempty"`
	Name        string       `json:"name"`
	Action      ImportAction `json:"action"`
	CIID        int64        `json:"ci_id"` // 0 for a CI a dry run would create
	Kind        Kind         `json:"kind"`
	Address     string       `json:"address"`
	Port        int          `json:"port"`
	User        string       `json:"user"`
	Tags        []string     `json:"tags"`
	Environment string       `json:"environment"`
	Criticality string       `json:"criticality"`
	// SetsPassword: the row carries a password for the credential.
	SetsPassword bool `json:"sets_password"`
}

// ImportResult is the outcome of an import.
type ImportResult struct {
	DryRun  bool          `json:"dry_run"`
	Created int           `json:"created"`
	Updated int           `json:"updated"`
	Rows    []ImportedRow `json:"rows"`
}

// ImportColumns are the columns a CSV import may have; name is required.
var ImportColumns = []string{"name", "address", "port", "user", "tags", "environment", "criticality", "password"}

// ParseCSV reads an import file: a header row naming the columns (any
// order, any subset holding name), then one row per CI; tags are separated
// by ";". Rows are numbered from 1 (the first after the header); each keeps
// its line in the file.
func ParseCSV(r io.Reader) ([]ImportRow, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's BOM
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, apperr.Invalid("body", "The CSV file is empty: it needs a header row (%s) and a row per CI.", strings.Join(ImportColumns, ","))
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(ImportColumns, h) {
			return nil, apperr.Invalid("header", "Unknown column %q in the header row; the columns are %s.", h, strings.Join(ImportColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, apperr.Invalid("header", "Column %q is in the header row twice.", h)
		}
		col[h] = i
	}
	if _, ok := col["name"]; !ok {
		return nil, apperr.Invalid("header", "The header row needs a name column (the columns are %s).", strings.Join(ImportColumns, ", "))
	}
	var rows []ImportRow
	var bad []apperr.RowError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		row := ImportRow{line: line}
		if len(rec) != len(header) {
			bad = append(bad, apperr.RowError{Row: len(rows) + 1, Line: line, Message: fmt.Sprintf("The row has %d fields; the header has %d.", len(rec), len(header))})
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row.Name, row.Address, row.User = cell("name"), cell("address"), cell("user")
		row.Environment, row.Criticality, row.Password = cell("environment"), cell("criticality"), cell("password")
		row.port = cell("port")
		if tags := cell("tags"); tags != "" {
			row.Tags = strings.Split(tags, ";")
		}
		rows = append(rows, row)
		if len(rows) > MaxImportRows {
			return nil, apperr.Invalid("rows", "An import has at most %d rows.", MaxImportRows)
		}
	}
	if bad != nil {
		return nil, apperr.Rows(len(rows), bad)
	}
	return rows, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return apperr.Invalid("body", "The CSV file cannot be read at line %d: %v.", pe.Line, pe.Err)
	}
	return apperr.Invalid("body", "The CSV file cannot be read: %v.", err)
}

// planned is a checked row: what it will write.
type planned struct {
	ImportedRow
	in   TargetInput
	tags []string // nil: unchanged
	ci   release.CIInput
}

// Import checks every row and, unless dryRun or any row is bad, creates the
// missing CIs (one transaction of the release service) and writes every
// row's target and tags (one transaction of this one), each audited.
func (s *Service) Import(ctx context.Context, by auth.Actor, rows []ImportRow, dryRun bool) (ImportResult, error) {
	if len(rows) == 0 {
		return ImportResult{}, apperr.Invalid("rows", "The import has no rows.")
	}
	if len(rows) > MaxImportRows {
		return ImportResult{}, apperr.Invalid("rows", "An import has at most %d rows.", MaxImportRows)
	}
	plan, err := s.plan(ctx, by, rows)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{DryRun: dryRun, Rows: make([]ImportedRow, len(plan))}
	if !dryRun {
		if err := s.write(ctx, by, plan); err != nil {
			return ImportResult{}, err
		}
	}
	for i, p := range plan {
		res.Rows[i] = p.ImportedRow
		if p.Action == ImportCreate {
			res.Created++
		} else {
			res.Updated++
		}
	}
	return res, nil
}

// plan checks every row against the catalog and the targets as they are.
func (s *Service) plan(ctx context.Context, by auth.Actor, rows []ImportRow) ([]planned, error) {
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		if n := strings.TrimSpace(r.Name); n != "" {
			names = append(names, n)
		}
	}
	existing, err := s.cis.CIsNamed(ctx, names)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, c := range existing {
		ids = append(ids, c.ID)
	}
	current, err := s.loadMany(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	var bad []apperr.RowError
	seen := map[string]int{}
	out := make([]planned, len(rows))
	for i, r := range rows {
		p := &out[i]
		p.Row, p.Line = i+1, r.line
		fail := func(field, format string, args ...any) {
			bad = append(bad, apperr.RowError{Row: i + 1, Line: r.line, Field: field, Message: fmt.Sprintf(format, args...)})
		}
		failErr := func(err error) { fail(apperr.FieldOf(err), "%s", err.Error()) }
		p.Name = strings.TrimSpace(r.Name)
		if p.Name == "" {
			fail("name", "Name is required.")
			continue
		}
		key := strings.ToLower(p.Name)
		if first, dup := seen[key]; dup {
			fail("name", "%q is also row %d.", p.Name, first)
			continue
		}
		seen[key] = i + 1
		in, err := r.input()
		if err != nil {
			failErr(err)
			continue
		}
		p.in = in
		if r.Tags != nil {
			if p.tags, err = normTags(r.Tags, "tags"); err != nil {
				failErr(err)
				continue
			}
		}
		var l loaded
		if c, ok := existing[key]; ok {
			p.Action, p.CIID, p.Name = ImportUpdate, c.ID, c.Name
			if env := strings.TrimSpace(r.Environment); env != "" && env != c.Environment {
				fail("environment", "%s exists in %s: an import does not move configuration items (change it on the CI).", c.Name, c.Environment)
			}
			if crit := strings.TrimSpace(r.Criticality); crit != "" && crit != c.Criticality {
				fail("criticality", "%s is %s: an import does not change a configuration item's criticality (change it on the CI).", c.Name, c.Criticality)
			}
			l = current[c.ID]
		} else {
			p.Action = ImportCreate
			env, crit, kind := strings.TrimSpace(r.Environment), strings.TrimSpace(r.Criticality), "host"
			p.ci = release.CIInput{Name: &p.Name, Kind: &kind, Environment: &env, Criticality: &crit}
			if err := s.cis.ValidateCI(by, p.ci); err != nil {
				failErr(err)
				continue
			}
			l = loaded{Target: Target{Name: p.Name, CIKind: kind, Environment: env, Criticality: crit}, rec: newRecord(0)}
		}
		if _, err := l.rec.apply(p.in, s.box); err != nil {
			failErr(err)
			continue
		}
		if p.tags != nil {
			l.Tags = p.tags
		}
		l.refresh()
		p.Kind, p.Address, p.Port, p.User, p.Tags = l.Kind, l.Address, l.Port, l.User, l.Tags
		p.Environment, p.Criticality, p.SetsPassword = l.Environment, l.Criticality, r.Password != ""
	}
	if bad != nil {
		return nil, apperr.Rows(len(rows), bad)
	}
	return out, nil
}

// input is the target change a row asks for: its empty cells change nothing.
func (r ImportRow) input() (TargetInput, error) {
	var in TargetInput
	str := func(v string) *string {
		if v = strings.TrimSpace(v); v == "" {
			return nil
		}
		return &v
	}
	in.Address, in.User = str(r.Address), str(r.User)
	port := r.Port
	if r.port != "" {
		n, err := strconv.Atoi(r.port)
		if err != nil {
			return in, apperr.Invalid("port", "Port must be a number from 1 to 65535, not %q.", r.port)
		}
		port = n
	}
	if port != 0 || r.port != "" {
		in.Port = &port
	}
	if r.Password != "" {
		k, pw := AuthPassword, r.Password
		in.AuthKind, in.Credential = &k, &pw
	}
	return in, nil
}

// loadMany reads the targets of these CIs, by CI id.
func (s *Service) loadMany(ctx context.Context, q store.Querier, ids []int64) (map[int64]loaded, error) {
	out := map[int64]loaded{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rows, err := q.QueryContext(ctx, `SELECT `+targetColumns+targetFrom+` WHERE c.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			l, err := scanTarget(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[l.CIID] = l
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// write creates the missing CIs through the release service, then writes
// every row's target and tags in one transaction, re-applying each row to
// the target as it is then (so that nothing written in between is lost).
func (s *Service) write(ctx context.Context, by auth.Actor, plan []planned) error {
	var newCIs []release.CIInput
	var at []int // plan index of each new CI
	for i, p := range plan {
		if p.Action == ImportCreate {
			newCIs = append(newCIs, p.ci)
			at = append(at, i)
		}
	}
	created, err := s.cis.CreateCIs(ctx, by, newCIs)
	if rows := apperr.RowsOf(err); rows != nil {
		// Numbered among the new CIs: renumber them as the import's rows.
		for j := range rows {
			p := plan[at[rows[j].Row-1]]
			rows[j].Row, rows[j].Line = p.Row, p.Line
		}
		return apperr.Rows(len(plan), rows)
	}
	if err != nil {
		return err
	}
	for j, c := range created {
		plan[at[j]].CIID = c.ID
	}
	ids := make([]int64, len(plan))
	for i, p := range plan {
		ids[i] = p.CIID
	}
	now := s.stamp()
	var changed []Target
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		current, err := s.loadMany(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range plan {
			p := &plan[i]
			was, ok := current[p.CIID]
			if !ok {
				return apperr.NotFound("configuration item", p.CIID)
			}
			after := was
			ch, err := after.rec.apply(p.in, s.box)
			if err != nil {
				return apperr.Rows(len(plan), []apperr.RowError{{Row: p.Row, Line: p.Line, Field: apperr.FieldOf(err), Message: err.Error()}})
			}
			after.rec.updatedBy, after.rec.updatedAt = by.Username, store.FormatTime(now)
			if err := save(ctx, tx, after.rec); err != nil {
				return err
			}
			after.rec.stored = true
			if p.tags != nil {
				if err := writeTags(ctx, tx, p.CIID, p.tags); err != nil {
					return err
				}
				after.Tags = p.tags
			}
			after.refresh()
			p.Kind, p.Address, p.Port, p.User, p.Tags = after.Kind, after.Address, after.Port, after.User, after.Tags
			if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "target.import", Entity: "target",
				EntityID: events.ID(p.CIID), Before: before(was), After: auditView(after, &ch)}); err != nil {
				return err
			}
			changed = append(changed, after.Target)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range changed {
		s.bus.Publish(events.TargetChanged, events.ID(t.CIID), t)
	}
	return nil
}
