package release

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/store"
)

// Filter narrows and orders a listing of releases.
type Filter struct {
	States      []State
	Type        Type
	Environment string
	Q           string
	CIID        int64
	Sort        string
	Order       string
	Limit       int
	Offset      int
	// From and To keep releases whose planned window overlaps [From, To).
	From, To time.Time
}

// maxSearch bounds the search text (a long LIKE pattern only costs SQLite).
const maxSearch = 200

// sortColumns maps the sort keys clients may use to SQL.
var sortColumns = map[string]string{
	"name": "r.name COLLATE NOCASE", "version": "r.version", "state": "r.state", "type": "r.type",
	"planned_start": "r.planned_start", "updated_at": "r.updated_at", "risk": "r.risk_score",
	"environment": "r.environment", "owner": "r.owner COLLATE NOCASE",
}

// SortKeys lists the accepted sort keys, for messages and the API document.
func SortKeys() []string {
	return []string{"name", "version", "state", "type", "planned_start", "updated_at", "risk", "environment", "owner"}
}

// List returns one page of release summaries (with their conflicts) and
// the total that match.
func (s *Service) List(ctx context.Context, f Filter) ([]Summary, int, error) {
	var w store.Where
	if len(f.States) > 0 {
		states := make([]any, len(f.States))
		for i, st := range f.States {
			if !ValidState(st) {
				return nil, 0, apperr.Invalid("state", "Unknown state %q.", st)
			}
			states[i] = string(st)
		}
		w.Add("r.state IN ("+placeholders(len(f.States))+")", states...)
	}
	if f.Type != "" && f.Type != TypeMajor && f.Type != TypeMinor && f.Type != TypeEmergency {
		return nil, 0, apperr.Invalid("type", "Type must be major, minor or emergency.")
	}
	w.Equal("r.type", string(f.Type))
	w.Equal("r.environment", f.Environment)
	if utf8.RuneCountInString(f.Q) > maxSearch {
		return nil, 0, apperr.Invalid("q", "The search text may be at most %d characters.", maxSearch)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + store.EscapeLike(q) + "%"
		w.Add(`(r.name LIKE ? ESCAPE '\' OR r.version LIKE ? ESCAPE '\' OR r.description LIKE ? ESCAPE '\' OR r.owner LIKE ? ESCAPE '\')`, like, like, like, like)
	}
	if f.CIID != 0 {
		w.Add("r.id IN (SELECT release_id FROM release_cis WHERE ci_id = ?)", f.CIID)
	}
	if !f.From.IsZero() {
		w.Add("r.planned_end > ?", store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		w.Add("r.planned_start < ?", store.FormatTime(f.To))
	}
	cond, args := w.SQL(), w.Args()
	sortKey := f.Sort
	if sortKey == "" {
		sortKey = "updated_at"
	}
	col, ok := sortColumns[sortKey]
	if !ok {
		return nil, 0, apperr.Invalid("sort", "Cannot sort by %q; use one of %s.", sortKey, strings.Join(SortKeys(), ", "))
	}
	order := strings.ToLower(f.Order)
	switch order {
	case "":
		order = "desc"
		if sortKey == "name" || sortKey == "planned_start" || sortKey == "version" {
			order = "asc"
		}
	case "asc", "desc":
	default:
		return nil, 0, apperr.Invalid("order", "Order must be asc or desc.")
	}
	total, err := s.count(ctx, cond, args)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Read(ctx, fmt.Sprintf(`SELECT %s FROM releases r%s ORDER BY %s %s, r.id %s LIMIT ? OFFSET ?`,
		summaryColumns, cond, col, order, order), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		r, err := scanSummary(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	ptrs := make([]*Summary, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	if err := s.fillConflicts(ctx, ptrs); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// count returns how many releases match, remembered until the next write.
func (s *Service) count(ctx context.Context, cond string, args []any) (int, error) {
	return s.totals.Get(cond+fmt.Sprintf("%q", args), func() (int, error) {
		var total int
		err := s.db.ReadRow(context.WithoutCancel(ctx), `SELECT count(*) FROM releases r`+cond, args...).Scan(&total)
		return total, err
	})
}

const messageTime = "2 Jan 2006 15:04 UTC"

// fillConflicts computes the scheduling conflicts of the given releases in
// three passes (freezes, shared CIs, dependencies) for the whole batch.
func (s *Service) fillConflicts(ctx context.Context, list []*Summary) error {
	byID := map[int64]*Summary{}
	var ids []int64
	for _, r := range list {
		r.Conflicts = []Conflict{}
		if IsActive(r.State) {
			byID[r.ID] = r
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	freezes, err := s.ListFreezes(ctx)
	if err != nil {
		return err
	}
	for _, r := range byID {
		for _, f := range freezes {
			if !f.appliesTo(r.Environment) {
				continue
			}
			for _, o := range f.Occurrences(r.PlannedStart, r.PlannedEnd) {
				r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictFreeze, FreezeID: f.ID,
					Message: fmt.Sprintf("Planned window overlaps the freeze %q (%s – %s).", f.Name,
						o.Start.Format(messageTime), o.End.Format(messageTime))})
				break
			}
		}
	}

	// Ids go in as one JSON array so that the query text is fixed and its
	// prepared statement reused.
	raw, _ := json.Marshal(ids)
	idList := string(raw)
	rows, err := s.db.Read(ctx, `SELECT o.release_id, r2.id, r2.name, r2.version, r2.planned_start, r2.planned_end,
			(SELECT group_concat(c.name, ', ') FROM release_cis a
				JOIN release_cis b ON b.ci_id = a.ci_id AND b.release_id = o.other_id
				JOIN cis c ON c.id = a.ci_id WHERE a.release_id = o.release_id)
		FROM release_overlaps o JOIN releases r2 ON r2.id = o.other_id
		WHERE o.release_id IN (SELECT value FROM json_each(?))
		ORDER BY r2.planned_start`, idList)
	if err != nil {
		return err
	}
	for rows.Next() {
		var mine, other int64
		var name, version, ps, pe, cis string
		if err := rows.Scan(&mine, &other, &name, &version, &ps, &pe, &cis); err != nil {
			rows.Close()
			return err
		}
		start, _ := store.ParseTime(ps)
		end, _ := store.ParseTime(pe)
		r := byID[mine]
		r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictCIOverlap, ReleaseID: other,
			Message: fmt.Sprintf("Overlaps %q %s (%s – %s) on %s.", name, version,
				start.Format(messageTime), end.Format(messageTime), cis)})
	}
	rows.Close()

	rows, err = s.db.Read(ctx, `SELECT d.release_id, r2.id, r2.name, r2.version, r2.state, r2.planned_end
		FROM release_deps d JOIN releases r2 ON r2.id = d.depends_on_id
		WHERE d.release_id IN (SELECT value FROM json_each(?)) ORDER BY r2.planned_start`, idList)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var mine, other int64
		var name, version, pe string
		var st State
		if err := rows.Scan(&mine, &other, &name, &version, &st, &pe); err != nil {
			return err
		}
		end, _ := store.ParseTime(pe)
		r := byID[mine]
		switch {
		case st == StateCancelled || st == StateRejected || st == StateFailed || st == StateRolledBack:
			r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictDependency, ReleaseID: other,
				Message: fmt.Sprintf("Depends on %q %s, which is %s.", name, version, st)})
		case st != StateDeployed && st != StateReviewed && st != StateClosed && end.After(r.PlannedStart):
			r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictDependency, ReleaseID: other,
				Message: fmt.Sprintf("Depends on %q %s, which is scheduled to end %s, after this release starts.", name, version, end.Format(messageTime))})
		}
	}
	return rows.Err()
}

// Calendar is what the calendar shows for a range.
type Calendar struct {
	Releases []Summary    `json:"releases"`
	Freezes  []Occurrence `json:"freezes"`
}

// maxCalendarRange bounds one calendar request.
const maxCalendarRange = 400 * 24 * time.Hour

// CalendarRange returns the releases and freeze occurrences in [from, to).
func (s *Service) CalendarRange(ctx context.Context, from, to time.Time) (Calendar, error) {
	if !to.After(from) {
		return Calendar{}, apperr.Invalid("to", "The end of the range must be after its start.")
	}
	if to.Sub(from) > maxCalendarRange {
		return Calendar{}, apperr.Invalid("to", "A calendar range may span at most 400 days.")
	}
	rels, _, err := s.List(ctx, Filter{From: from, To: to, Sort: "planned_start", Order: "asc", Limit: 2000})
	if err != nil {
		return Calendar{}, err
	}
	freezes, err := s.ListFreezes(ctx)
	if err != nil {
		return Calendar{}, err
	}
	occ := []Occurrence{}
	for _, f := range freezes {
		occ = append(occ, f.Occurrences(from, to)...)
	}
	return Calendar{Releases: rels, Freezes: occ}, nil
}
