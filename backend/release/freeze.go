package release

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// FreezeInput creates or changes a freeze window.
type FreezeInput struct {
	Name        *string `json:"name"`
	Reason      *string `json:"reason"`
	Environment *string `json:"environment"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
	Recurrence  *string `json:"recurrence"`
}

func (f *FreezeWindow) apply(in FreezeInput, creating bool) error {
	var err error
	if in.Name != nil || creating {
		if f.Name, err = text("name", deref(in.Name), true, maxName, false); err != nil {
			return err
		}
	}
	if in.Reason != nil {
		if f.Reason, err = text("reason", *in.Reason, false, 1000, true); err != nil {
			return err
		}
	}
	if in.Environment != nil {
		env := strings.TrimSpace(*in.Environment)
		if env != "" && (len(env) > 50 || !envRE.MatchString(env)) {
			return apperr.Invalid("environment", "Environment must be empty (all environments) or up to 50 letters, digits, spaces or . _ -.")
		}
		f.Environment = env
	}
	if in.Start != nil || creating {
		if f.Start, err = parseTime("start", deref(in.Start)); err != nil {
			return err
		}
	}
	if in.End != nil || creating {
		if f.End, err = parseTime("end", deref(in.End)); err != nil {
			return err
		}
	}
	if in.Recurrence != nil || creating {
		r := strings.TrimSpace(deref(in.Recurrence))
		if r == "" {
			r = "none"
		}
		if r != "none" && r != "weekly" && r != "monthly" && r != "yearly" {
			return apperr.Invalid("recurrence", "Recurrence must be none, weekly, monthly or yearly.")
		}
		f.Recurrence = r
	}
	if !f.End.After(f.Start) {
		return apperr.Invalid("end", "The freeze must end after it starts.")
	}
	limit := map[string]time.Duration{"none": 366 * 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
		"monthly": 28 * 24 * time.Hour, "yearly": 365 * 24 * time.Hour}[f.Recurrence]
	if f.End.Sub(f.Start) > limit {
		return apperr.Invalid("end", "A %s freeze must be shorter than its period.", f.Recurrence)
	}
	return nil
}

// Occurrences expands the freeze into its periods that overlap [from, to).
func (f FreezeWindow) Occurrences(from, to time.Time) []Occurrence {
	var out []Occurrence
	step := func(t time.Time, n int) time.Time {
		switch f.Recurrence {
		case "weekly":
			return t.AddDate(0, 0, 7*n)
		case "monthly":
			return addMonthsClamped(t, n, 0)
		case "yearly":
			return addMonthsClamped(t, 0, n)
		}
		return t
	}
	if f.Recurrence == "none" || f.Recurrence == "" {
		if f.Start.Before(to) && f.End.After(from) {
			out = append(out, f.occurrence(f.Start, f.End))
		}
		return out
	}
	length := f.End.Sub(f.Start)
	// Jump close to from, then walk; guard against huge ranges.
	n := 0
	if from.After(f.Start) {
		switch f.Recurrence {
		case "weekly":
			n = int(from.Sub(f.Start)/(7*24*time.Hour)) - 1
		case "monthly":
			n = (from.Year()-f.Start.Year())*12 + int(from.Month()-f.Start.Month()) - 1
		case "yearly":
			n = from.Year() - f.Start.Year() - 1
		}
		if n < 0 {
			n = 0
		}
	}
	for i := 0; i < 2000; i, n = i+1, n+1 {
		s := step(f.Start, n)
		if !s.Before(to) {
			break
		}
		e := s.Add(length)
		if e.After(from) {
			out = append(out, f.occurrence(s, e))
		}
	}
	return out
}

// addMonthsClamped moves t by months and years, keeping its day of month
// but no later than the month's last day: a freeze on the 31st falls on
// 28 February, not on 3 March (time.AddDate would normalise into March).
func addMonthsClamped(t time.Time, months, years int) time.Time {
	first := time.Date(t.Year()+years, t.Month()+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(t.Day(), last)-1)
}

func (f FreezeWindow) occurrence(s, e time.Time) Occurrence {
	return Occurrence{FreezeID: f.ID, Name: f.Name, Reason: f.Reason, Environment: f.Environment, Start: s, End: e}
}

// appliesTo reports whether the freeze covers environment env.
func (f FreezeWindow) appliesTo(env string) bool {
	return f.Environment == "" || strings.EqualFold(f.Environment, env)
}

// ListFreezes returns every freeze window, from a cache kept in step with
// writes (freezes are few and read on every conflict check).
func (s *Service) ListFreezes(ctx context.Context) ([]FreezeWindow, error) {
	s.freezeMu.RLock()
	if s.freezes != nil {
		out := s.freezes
		s.freezeMu.RUnlock()
		return out, nil
	}
	s.freezeMu.RUnlock()
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, reason, environment, start_at, end_at, recurrence, created_by, created_at, updated_at
		FROM freeze_windows ORDER BY start_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FreezeWindow{}
	for rows.Next() {
		var f FreezeWindow
		var st, en, ca, ua string
		if err := rows.Scan(&f.ID, &f.Name, &f.Reason, &f.Environment, &st, &en, &f.Recurrence, &f.CreatedBy, &ca, &ua); err != nil {
			return nil, err
		}
		f.Start, _ = store.ParseTime(st)
		f.End, _ = store.ParseTime(en)
		f.CreatedAt, _ = store.ParseTime(ca)
		f.UpdatedAt, _ = store.ParseTime(ua)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.freezeMu.Lock()
	s.freezes = out
	s.freezeMu.Unlock()
	return out, nil
}

func (s *Service) forgetFreezes() {
	s.freezeMu.Lock()
	s.freezes = nil
	s.freezeMu.Unlock()
}

func (s *Service) getFreeze(ctx context.Context, id int64) (FreezeWindow, error) {
	all, err := s.ListFreezes(ctx)
	if err != nil {
		return FreezeWindow{}, err
	}
	for _, f := range all {
		if f.ID == id {
			return f, nil
		}
	}
	return FreezeWindow{}, apperr.NotFound("freeze window", id)
}

// CreateFreeze adds a freeze window.
func (s *Service) CreateFreeze(ctx context.Context, by auth.Actor, in FreezeInput) (FreezeWindow, error) {
	f := FreezeWindow{}
	if err := f.apply(in, true); err != nil {
		return f, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	f.CreatedBy, f.CreatedAt, f.UpdatedAt = by.Username, now, now
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO freeze_windows (name, reason, environment, start_at, end_at, recurrence, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.Name, f.Reason, f.Environment, store.FormatTime(f.Start), store.FormatTime(f.End),
			f.Recurrence, f.CreatedBy, store.FormatTime(now), store.FormatTime(now))
		if err != nil {
			return err
		}
		f.ID, _ = res.LastInsertId()
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "freeze.create", Entity: "freeze",
			EntityID: events.ID(f.ID), After: f})
	})
	s.forgetFreezes()
	if err != nil {
		return FreezeWindow{}, err
	}
	s.bus.Publish(events.FreezeChanged, events.ID(f.ID), f)
	return f, nil
}

// UpdateFreeze changes a freeze window.
func (s *Service) UpdateFreeze(ctx context.Context, by auth.Actor, id int64, in FreezeInput) (FreezeWindow, error) {
	before, err := s.getFreeze(ctx, id)
	if err != nil {
		return before, err
	}
	f := before
	if err := f.apply(in, false); err != nil {
		return f, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	f.UpdatedAt = now
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE freeze_windows SET name = ?, reason = ?, environment = ?, start_at = ?, end_at = ?, recurrence = ?, updated_at = ?
			WHERE id = ?`, f.Name, f.Reason, f.Environment, store.FormatTime(f.Start), store.FormatTime(f.End), f.Recurrence, store.FormatTime(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("freeze window", id)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "freeze.update", Entity: "freeze",
			EntityID: events.ID(id), Before: before, After: f})
	})
	s.forgetFreezes()
	if err != nil {
		return FreezeWindow{}, err
	}
	s.bus.Publish(events.FreezeChanged, events.ID(id), f)
	return f, nil
}

// DeleteFreeze removes a freeze window.
func (s *Service) DeleteFreeze(ctx context.Context, by auth.Actor, id int64) error {
	before, err := s.getFreeze(ctx, id)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM freeze_windows WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "freeze.delete", Entity: "freeze",
			EntityID: events.ID(id), Before: before})
	})
	s.forgetFreezes()
	if err != nil {
		return err
	}
	s.bus.Publish(events.FreezeChanged, events.ID(id), map[string]any{"id": id, "deleted": true})
	return nil
}

// ActiveFreeze returns the freeze occurrence that holds environment env at
// time at, if any: no deployment (and no rollout wave) starts inside one.
func (s *Service) ActiveFreeze(ctx context.Context, env string, at time.Time) (*Occurrence, error) {
	freezes, err := s.ListFreezes(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range freezes {
		if !f.appliesTo(env) {
			continue
		}
		if occ := f.Occurrences(at, at.Add(time.Millisecond)); len(occ) > 0 {
			return &occ[0], nil
		}
	}
	return nil, nil
}
