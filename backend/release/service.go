package release

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// Service manages release records, the CI catalog and freeze windows.
type Service struct {
	db  *store.DB
	bus events.Publisher
	now func() time.Time

	freezeMu sync.RWMutex
	freezes  []FreezeWindow // nil until loaded; reset on every freeze write

	// List totals until the next write: counting 10,000 rows is the
	// largest cost of a page otherwise.
	totals *store.Memo[string, int]
}

// NewService returns the release service.
func NewService(db *store.DB, bus events.Publisher) *Service {
	return &Service{db: db, bus: bus, now: time.Now,
		totals: store.NewMemo[string, int](db, 256)}
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// SetClock replaces the service's clock (demo data and tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Create records a new release in the planned state.
func (s *Service) Create(ctx context.Context, by auth.Actor, in Input) (*Release, error) {
	var f fields
	if err := f.apply(in, true); err != nil {
		return nil, err
	}
	if f.Owner == "" {
		f.Owner = by.Username
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	changes, cis, deps, err := validateScope(in, now)
	if err != nil {
		return nil, err
	}
	var id int64
	var after *Release
	var partners []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO releases (name, version, type, description, owner, environment, state,
			planned_start, planned_end, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Name, f.Version, string(f.Type), f.Description, f.Owner, f.Environment, string(StatePlanned),
			store.FormatTime(f.Start), store.FormatTime(f.End), by.Username, store.FormatTime(now), store.FormatTime(now))
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("version", "Release %q version %s already exists; pick another version.", f.Name, f.Version)
		}
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		if err := s.writeScope(ctx, tx, id, changes, cis, deps, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_transitions (release_id, from_state, to_state, actor, at, reason)
			VALUES (?, '', ?, ?, ?, 'created')`, id, string(StatePlanned), by.Username, store.FormatTime(now)); err != nil {
			return err
		}
		if err := s.rescore(ctx, tx, id); err != nil {
			return err
		}
		if partners, err = refreshOverlaps(ctx, tx, id); err != nil {
			return err
		}
		if after, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release.create", Entity: "release",
			EntityID: events.ID(id), After: after.snapshot()})
	})
	if err != nil {
		return nil, err
	}
	r, err := s.finish(ctx, by, after, events.ReleaseCreated)
	s.publishReleases(ctx, partners)
	return r, err
}

// Update changes a release's record and scope while it is still editable.
func (s *Service) Update(ctx context.Context, by auth.Actor, id int64, in Input) (*Release, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	changes, cis, deps, err := validateScope(in, now)
	if err != nil {
		return nil, err
	}
	var after *Release
	var partners []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(editable, before.State) {
			return apperr.Conflict("", "%s is in %s: its record is frozen while it is tested, approved and deployed. Move it back to building to edit it.", before.label(), before.State)
		}
		f := fields{Name: before.Name, Version: before.Version, Type: before.Type, Description: before.Description,
			Owner: before.Owner, Environment: before.Environment, Start: before.PlannedStart, End: before.PlannedEnd}
		if err := f.apply(in, false); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE releases SET name = ?, version = ?, type = ?, description = ?, owner = ?, environment = ?,
			planned_start = ?, planned_end = ?, updated_at = ? WHERE id = ?`,
			f.Name, f.Version, string(f.Type), f.Description, f.Owner, f.Environment,
			store.FormatTime(f.Start), store.FormatTime(f.End), store.FormatTime(now), id)
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("version", "Release %q version %s already exists; pick another version.", f.Name, f.Version)
		}
		if err != nil {
			return err
		}
		if in.DependsOn != nil {
			if err := checkNoCycle(ctx, tx, id, deps); err != nil {
				return err
			}
		}
		if err := s.replaceScope(ctx, tx, id, in, changes, cis, deps, now); err != nil {
			return err
		}
		if err := s.rescore(ctx, tx, id); err != nil {
			return err
		}
		if partners, err = refreshOverlaps(ctx, tx, id); err != nil {
			return err
		}
		if after, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "release.update", Entity: "release",
			EntityID: events.ID(id), Before: before.snapshot(), After: after.snapshot()})
	})
	if err != nil {
		return nil, err
	}
	r, err := s.finish(ctx, by, after, events.ReleaseUpdated)
	s.publishReleases(ctx, partners)
	return r, err
}

// Transition moves a release to another lifecycle state.
func (s *Service) Transition(ctx context.Context, by auth.Actor, id int64, to State, reason string) (*Release, error) {
	return s.Apply(ctx, by, id, Move{To: to, Reason: reason})
}

// Move is a requested transition.
type Move struct {
	To     State
	Reason string
	// Digest, on a move to deploying, is the package the caller means to
	// deploy: it must be the approved one.
	Digest string
	// OverrideFreeze lets an admin start a deployment inside a freeze
	// window, with a reason; it is audited.
	OverrideFreeze bool
}

// Apply makes a move: the state machine, the roles, the gates (sign-off,
// separation of duties, freezes), the move itself and its audit entries,
// in one transaction.
func (s *Service) Apply(ctx context.Context, by auth.Actor, id int64, m Move) (*Release, error) {
	reason, err := text("reason", m.Reason, false, 2000, true)
	if err != nil {
		return nil, err
	}
	m.Reason = reason
	now := s.now().UTC().Truncate(time.Millisecond)
	var touched []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		st, err := checkTransition(before, m.To, reason, by)
		if err != nil {
			return err
		}
		notes, err := s.gate(ctx, tx, before, m, by, now)
		if err != nil {
			return err
		}
		if touched, err = s.move(ctx, tx, by, before, m.To, reason, st.expedited, now); err != nil {
			return err
		}
		for _, n := range notes {
			if err := audit.Append(ctx, tx, now, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.finishMove(ctx, by, id, touched)
}

// finishMove reloads a moved release and tells clients about it and about
// the releases its move touched.
func (s *Service) finishMove(ctx context.Context, by auth.Actor, id int64, touched []int64) (*Release, error) {
	after, err := s.load(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	r, err := s.finish(ctx, by, after, events.ReleaseUpdated)
	slices.Sort(touched)
	s.publishReleases(ctx, slices.DeleteFunc(slices.Compact(touched), func(x int64) bool { return x == id }))
	return r, err
}

// beforeApproval lists the states a release is not approved in: moving to
// one clears its approved digest.
var beforeApproval = []State{StatePlanned, StateBuilding, StateTesting, StateAwaitingApproval, StateRejected}

// move records a decided transition inside tx: the state, the transition
// row, overlaps, risk and the audit record. It returns the other releases
// whose records changed with it.
func (s *Service) move(ctx context.Context, tx *sql.Tx, by auth.Actor, before *Release, to State, reason string, expedited bool, now time.Time) ([]int64, error) {
	id, from := before.ID, before.State
	var touched []int64
	if _, err := tx.ExecContext(ctx, `UPDATE releases SET state = ?, expedited = expedited OR ?, updated_at = ?,
		approved_digest = CASE WHEN ? THEN '' ELSE approved_digest END WHERE id = ?`,
		string(to), expedited, store.FormatTime(now), slices.Contains(beforeApproval, to), id); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO release_transitions (release_id, from_state, to_state, actor, at, reason, expedited)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, string(from), string(to), by.Username, store.FormatTime(now), reason, expedited); err != nil {
		return nil, err
	}
	if IsActive(from) != IsActive(to) {
		partners, err := refreshOverlaps(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		touched = append(touched, partners...)
	}
	if to == StateFailed || to == StateRolledBack {
		// A failure on these CIs raises the risk of every open release touching them.
		ids := make([]int64, len(before.CIs))
		for i, c := range before.CIs {
			ids[i] = c.ID
		}
		rescored, err := s.rescoreReleasesTouching(ctx, tx, ids)
		if err != nil {
			return nil, err
		}
		touched = append(touched, rescored...)
	}
	action := "release.transition"
	if expedited {
		action = "release.transition.expedited"
	}
	before.State = to
	return touched, audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: action, Entity: "release", EntityID: events.ID(id),
		Before: map[string]any{"state": from},
		After:  map[string]any{"state": to, "reason": reason, "expedited": expedited}})
}

// finish completes a write: conflicts, the actor's next steps, the event.
func (s *Service) finish(ctx context.Context, by auth.Actor, r *Release, event string) (*Release, error) {
	if err := s.fillConflicts(ctx, []*Summary{&r.Summary}); err != nil {
		return nil, err
	}
	r.AllowedTransitions = allowedFor(r, by)
	sum := r.Summary
	sum.Risk.Reasons = nil
	s.bus.Publish(event, events.ID(r.ID), sum)
	return r, nil
}

// publishReleases tells clients that releases changed as a side effect.
func (s *Service) publishReleases(ctx context.Context, ids []int64) {
	for _, id := range ids {
		r, err := s.load(ctx, s.db, id)
		if err != nil {
			continue
		}
		_ = s.fillConflicts(ctx, []*Summary{&r.Summary})
		sum := r.Summary
		sum.Risk.Reasons = nil
		s.bus.Publish(events.ReleaseUpdated, events.ID(id), sum)
	}
}

// Get returns the whole record, with the transitions actor may take.
func (s *Service) Get(ctx context.Context, by auth.Actor, id int64) (*Release, error) {
	r, err := s.load(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.fillConflicts(ctx, []*Summary{&r.Summary}); err != nil {
		return nil, err
	}
	r.AllowedTransitions = allowedFor(r, by)
	return r, nil
}

func validateScope(in Input, now time.Time) (changes []Change, cis, deps []int64, err error) {
	if in.Changes != nil {
		if changes, err = validateChanges(*in.Changes, now); err != nil {
			return
		}
	}
	if in.CIIDs != nil {
		if cis, err = uniqueIDs("ci_ids", *in.CIIDs, maxCIs, "configuration items per release"); err != nil {
			return
		}
	}
	if in.DependsOn != nil {
		if deps, err = uniqueIDs("depends_on", *in.DependsOn, maxDeps, "dependencies per release"); err != nil {
			return
		}
	}
	return
}

func (s *Service) writeScope(ctx context.Context, tx *sql.Tx, id int64, changes []Change, cis, deps []int64, now time.Time) error {
	for i, c := range changes {
		committed := ""
		if !c.CommittedAt.IsZero() {
			committed = store.FormatTime(c.CommittedAt)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_changes (release_id, position, rfc, title, risk, link, committed_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, i, c.RFC, c.Title, c.Risk, c.Link, committed, store.FormatTime(now)); err != nil {
			return err
		}
	}
	for i, ci := range cis {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cis WHERE id = ?`, ci).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return apperr.Invalid(fmt.Sprintf("ci_ids[%d]", i), "Configuration item %d does not exist.", ci)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_cis (release_id, ci_id) VALUES (?, ?)`, id, ci); err != nil {
			return err
		}
	}
	for i, d := range deps {
		field := fmt.Sprintf("depends_on[%d]", i)
		if d == id {
			return apperr.Invalid(field, "A release cannot depend on itself.")
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM releases WHERE id = ?`, d).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return apperr.Invalid(field, "Release %d does not exist.", d)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_deps (release_id, depends_on_id) VALUES (?, ?)`, id, d); err != nil {
			return err
		}
	}
	return countScope(ctx, tx, id)
}

// replaceScope replaces the sets the input names and keeps the others.
func (s *Service) replaceScope(ctx context.Context, tx *sql.Tx, id int64, in Input, changes []Change, cis, deps []int64, now time.Time) error {
	recorded := map[string]string{}
	if in.Changes != nil {
		// A change keeps the time it was first recorded on the release (lead
		// time counts from it), however often the list is saved again.
		rows, err := tx.QueryContext(ctx, `SELECT rfc, min(created_at) FROM release_changes WHERE release_id = ? GROUP BY rfc`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var rfc, at string
			if err := rows.Scan(&rfc, &at); err != nil {
				rows.Close()
				return err
			}
			recorded[rfc] = at
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, `DELETE FROM release_changes WHERE release_id = ?`, id); err != nil {
			return err
		}
	}
	if in.CIIDs != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM release_cis WHERE release_id = ?`, id); err != nil {
			return err
		}
	}
	if in.DependsOn != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM release_deps WHERE release_id = ?`, id); err != nil {
			return err
		}
	}
	if err := s.writeScope(ctx, tx, id, changes, cis, deps, now); err != nil {
		return err
	}
	for rfc, at := range recorded {
		if _, err := tx.ExecContext(ctx, `UPDATE release_changes SET created_at = ? WHERE release_id = ? AND rfc = ?`, at, id, rfc); err != nil {
			return err
		}
	}
	return nil
}

// countScope keeps the stored scope counts in step after a scope write.
func countScope(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE releases SET
		ci_count = (SELECT count(*) FROM release_cis WHERE release_id = ?1),
		change_count = (SELECT count(*) FROM release_changes WHERE release_id = ?1) WHERE id = ?1`, id)
	return err
}

// checkNoCycle refuses dependencies that would make id depend on itself
// through a chain.
func checkNoCycle(ctx context.Context, tx *sql.Tx, id int64, deps []int64) error {
	for i, d := range deps {
		var n int
		err := tx.QueryRowContext(ctx, `WITH RECURSIVE reach(id) AS (
				SELECT ? UNION SELECT rd.depends_on_id FROM release_deps rd JOIN reach ON rd.release_id = reach.id)
			SELECT count(*) FROM reach WHERE id = ?`, d, id).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return apperr.Invalid(fmt.Sprintf("depends_on[%d]", i), "Release %d already depends on this release (directly or through others): that would be a cycle.", d)
		}
	}
	return nil
}

const summaryColumns = `r.id, r.name, r.version, r.type, r.state, r.environment, r.owner, r.planned_start, r.planned_end,
	r.risk_score, r.risk_level, r.expedited, r.updated_at, r.ci_count, r.change_count`

func scanSummary(sc interface{ Scan(...any) error }, extra ...any) (Summary, error) {
	var r Summary
	var ps, pe, ua string
	dest := append([]any{&r.ID, &r.Name, &r.Version, &r.Type, &r.State, &r.Environment, &r.Owner, &ps, &pe,
		&r.Risk.Score, &r.Risk.Level, &r.Expedited, &ua, &r.CICount, &r.ChangeCount}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.PlannedStart, _ = store.ParseTime(ps)
	r.PlannedEnd, _ = store.ParseTime(pe)
	r.UpdatedAt, _ = store.ParseTime(ua)
	r.Conflicts = []Conflict{}
	return r, nil
}

// load reads a whole release (without conflicts and allowed transitions).
func (s *Service) load(ctx context.Context, q store.Querier, id int64) (*Release, error) {
	r := &Release{}
	var reasons, ca string
	sum, err := scanSummary(q.QueryRowContext(ctx, `SELECT `+summaryColumns+`, r.description, r.created_at, r.created_by, r.risk_reasons
		FROM releases r WHERE r.id = ?`, id), &r.Description, &ca, &r.CreatedBy, &reasons)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("release", id)
	}
	if err != nil {
		return nil, err
	}
	r.Summary = sum
	r.CreatedAt, _ = store.ParseTime(ca)
	if err := json.Unmarshal([]byte(reasons), &r.Risk.Reasons); err != nil {
		return nil, fmt.Errorf("release %d risk reasons: %w", id, err)
	}

	r.Changes = []Change{}
	rows, err := q.QueryContext(ctx, `SELECT id, rfc, title, risk, link, committed_at FROM release_changes WHERE release_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c Change
		var committed string
		if err := rows.Scan(&c.ID, &c.RFC, &c.Title, &c.Risk, &c.Link, &committed); err != nil {
			rows.Close()
			return nil, err
		}
		if committed != "" {
			c.CommittedAt, _ = store.ParseTime(committed)
		}
		r.Changes = append(r.Changes, c)
	}
	rows.Close()

	r.CIs = []CI{}
	rows, err = q.QueryContext(ctx, `SELECT `+ciColumnsOf+`
		FROM release_cis rc JOIN cis c ON c.id = rc.ci_id WHERE rc.release_id = ? ORDER BY c.name`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		c, err := scanCI(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		r.CIs = append(r.CIs, c)
	}
	rows.Close()

	if r.DependsOn, err = loadRefs(ctx, q, `SELECT r.id, r.name, r.version, r.state, r.planned_start, r.planned_end
		FROM release_deps d JOIN releases r ON r.id = d.depends_on_id WHERE d.release_id = ? ORDER BY r.planned_start`, id); err != nil {
		return nil, err
	}
	if r.RequiredBy, err = loadRefs(ctx, q, `SELECT r.id, r.name, r.version, r.state, r.planned_start, r.planned_end
		FROM release_deps d JOIN releases r ON r.id = d.release_id WHERE d.depends_on_id = ? ORDER BY r.planned_start`, id); err != nil {
		return nil, err
	}

	r.Transitions = []Transition{}
	rows, err = q.QueryContext(ctx, `SELECT from_state, to_state, actor, at, reason, expedited FROM release_transitions WHERE release_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t Transition
		var at string
		if err := rows.Scan(&t.From, &t.To, &t.Actor, &at, &t.Reason, &t.Expedited); err != nil {
			return nil, err
		}
		t.At, _ = store.ParseTime(at)
		r.Transitions = append(r.Transitions, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return r, loadSignOffParts(ctx, q, r)
}

func loadRefs(ctx context.Context, q store.Querier, query string, id int64) ([]Ref, error) {
	rows, err := q.QueryContext(ctx, query, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ref{}
	for rows.Next() {
		var d Ref
		var ps, pe string
		if err := rows.Scan(&d.ID, &d.Name, &d.Version, &d.State, &ps, &pe); err != nil {
			return nil, err
		}
		d.PlannedStart, _ = store.ParseTime(ps)
		d.PlannedEnd, _ = store.ParseTime(pe)
		out = append(out, d)
	}
	return out, rows.Err()
}

// rescore recomputes and stores one release's risk.
func (s *Service) rescore(ctx context.Context, tx *sql.Tx, id int64) error {
	in := riskInput{Failures: map[string]int{}}
	if err := tx.QueryRowContext(ctx, `SELECT type FROM releases WHERE id = ?`, id).Scan(&in.Type); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT risk FROM release_changes WHERE release_id = ?`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Risk); err != nil {
			rows.Close()
			return err
		}
		in.Changes = append(in.Changes, c)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT `+ciColumnsOf+` FROM release_cis rc JOIN cis c ON c.id = rc.ci_id WHERE rc.release_id = ? ORDER BY c.name`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		c, err := scanCI(rows)
		if err != nil {
			rows.Close()
			return err
		}
		in.CIs = append(in.CIs, c)
	}
	rows.Close()
	since := store.FormatTime(s.now().AddDate(-1, 0, 0))
	rows, err = tx.QueryContext(ctx, `SELECT c.name, count(DISTINCT other.release_id)
		FROM release_cis mine
		JOIN release_cis other ON other.ci_id = mine.ci_id AND other.release_id <> mine.release_id
		JOIN cis c ON c.id = mine.ci_id
		WHERE mine.release_id = ? AND EXISTS (SELECT 1 FROM release_transitions t
			WHERE t.release_id = other.release_id AND t.to_state IN ('failed','rolled-back') AND t.at >= ?)
		GROUP BY c.name`, id, since)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return err
		}
		in.Failures[name] = n
	}
	rows.Close()
	risk := computeRisk(in)
	reasons, _ := json.Marshal(risk.Reasons)
	_, err = tx.ExecContext(ctx, `UPDATE releases SET risk_score = ?, risk_level = ?, risk_reasons = ? WHERE id = ?`,
		risk.Score, risk.Level, string(reasons), id)
	return err
}

// rescoreReleasesTouching re-scores the active releases that touch any of
// the CIs and returns their ids.
func (s *Service) rescoreReleasesTouching(ctx context.Context, tx *sql.Tx, ciIDs []int64) ([]int64, error) {
	if len(ciIDs) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT r.id, r.state FROM release_cis rc JOIN releases r ON r.id = rc.release_id
		WHERE rc.ci_id IN (`+placeholders(len(ciIDs))+`)`, int64Args(ciIDs)...)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var st State
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return nil, err
		}
		if IsActive(st) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		if err := s.rescore(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// refreshOverlaps recomputes which active releases share a CI with release
// id in an overlapping window, stored both ways so that listing conflicts
// is one indexed read. It returns every release whose overlaps changed
// (the partners before and after).
func refreshOverlaps(ctx context.Context, tx *sql.Tx, id int64) ([]int64, error) {
	partners := func() ([]int64, error) {
		rows, err := tx.QueryContext(ctx, `SELECT other_id FROM release_overlaps WHERE release_id = ?`, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var o int64
			if err := rows.Scan(&o); err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		return out, rows.Err()
	}
	before, err := partners()
	if err != nil {
		return nil, err
	}
	inactiveList := "'" + strings.Join(stateStrings(inactive), "','") + "'"
	for _, q := range []string{
		`DELETE FROM release_overlaps WHERE release_id = ?1 OR other_id = ?1`,
		`INSERT INTO release_overlaps (release_id, other_id)
			SELECT DISTINCT mine.release_id, theirs.release_id
			FROM release_cis mine
			JOIN releases r1 ON r1.id = mine.release_id
			JOIN release_cis theirs ON theirs.ci_id = mine.ci_id AND theirs.release_id <> mine.release_id
			JOIN releases r2 ON r2.id = theirs.release_id
			WHERE mine.release_id = ?1
			  AND r1.state NOT IN (` + inactiveList + `) AND r2.state NOT IN (` + inactiveList + `)
			  AND r2.planned_start < r1.planned_end AND r2.planned_end > r1.planned_start`,
		`INSERT INTO release_overlaps (release_id, other_id) SELECT other_id, release_id FROM release_overlaps WHERE release_id = ?1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return nil, err
		}
	}
	after, err := partners()
	if err != nil {
		return nil, err
	}
	all := append(before, after...)
	slices.Sort(all)
	return slices.Compact(all), nil
}

func stateStrings(ss []State) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
