package notify

// The outbox: a notification and its deliveries are written in one
// transaction the moment the event is seen; the deliverer reads them back.

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// record writes n and one delivery per recipient who wants it: users who
// chose mail for its kind and have an address, and the enabled webhooks
// that take its kind. A key already recorded is a no-op.
func (s *Service) record(ctx context.Context, n note) error {
	now := s.now().UTC()
	set, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	var queued []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		queued = nil
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_outbox (key, event, title, text, link, entity, entity_id, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			n.Key, string(n.Kind), n.Title, n.Text, link(set.BaseURL, n.Entity, n.EntityID), n.Entity, n.EntityID, store.FormatTime(now))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		id, _ := res.LastInsertId()
		var to []string
		for _, u := range n.To {
			p, err := readPrefs(ctx, tx, u)
			if err != nil {
				return err
			}
			if p.Email != "" && p.wants(n.Kind) {
				to = append(to, u)
			}
		}
		hooks, err := listWebhooks(ctx, tx)
		if err != nil {
			return err
		}
		add := func(channel, recipient string) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO notify_deliveries (notification_id, channel, recipient, state, next_at, created_at)
				VALUES (?, ?, ?, 'pending', ?, ?)`, id, channel, recipient, store.FormatTime(now), store.FormatTime(now))
			if err == nil {
				did, _ := res.LastInsertId()
				queued = append(queued, did)
			}
			return err
		}
		for _, u := range to {
			if err := add("email", u); err != nil {
				return err
			}
		}
		for _, h := range hooks {
			if h.Enabled && (len(h.Events) == 0 || slices.Contains(h.Events, n.Kind)) {
				if err := add("webhook", itoa(h.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		s.wake()
		s.published(ctx, queued...)
	}
	return err
}

// published tells the delivery history's viewers (events.DeliveryUpdated)
// what the deliveries ids are now: admins see every one, a user the
// mails to them.
func (s *Service) published(ctx context.Context, ids ...int64) {
	if len(ids) == 0 || s.cfg.Bus == nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // what was written is told, even when stopping
	var w store.Where
	w.Add("d.id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", anys(ids)...)
	ds, err := s.list(ctx, w, len(ids))
	if err != nil {
		s.log.Error("notify: read deliveries to publish", "err", err)
		return
	}
	for _, d := range ds {
		s.cfg.Bus.Publish(events.DeliveryUpdated, itoa(d.ID), d)
	}
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// PrivateTo is who, besides admins, receives the delivery's events
// (events.Private): the user a mail goes to; a webhook's, no one.
func (d Delivery) PrivateTo() string {
	if d.Channel == "email" {
		return d.Recipient
	}
	return ""
}

func (p Prefs) wants(k Kind) bool {
	on, set := p.Events[k]
	return !set || on
}

func readPrefs(ctx context.Context, q store.Querier, username string) (Prefs, error) {
	p := Prefs{Events: map[Kind]bool{}, Digest: true}
	var events string
	err := q.QueryRowContext(ctx, `SELECT email, events, digest FROM notify_prefs WHERE username = ?`, username).Scan(&p.Email, &events, &p.Digest)
	if err == sql.ErrNoRows {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	_ = json.Unmarshal([]byte(events), &p.Events)
	return p, nil
}

// due is a pending delivery ready to go.
type due struct {
	id, notification int64
	channel          string
	recipient        string
	attempts         int
	payload          Payload
}

const dueColumns = `d.id, d.notification_id, d.channel, d.recipient, d.attempts, o.event, o.title, o.text, o.link, o.entity, o.entity_id, o.at`

func scanDue(rows *sql.Rows) ([]due, error) {
	defer rows.Close()
	var out []due
	for rows.Next() {
		var d due
		var at string
		if err := rows.Scan(&d.id, &d.notification, &d.channel, &d.recipient, &d.attempts, &d.payload.Event, &d.payload.Title,
			&d.payload.Text, &d.payload.Link, &d.payload.Entity, &d.payload.EntityID, &at); err != nil {
			return nil, err
		}
		d.payload.ID = d.notification
		d.payload.At, _ = store.ParseTime(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// attempted records one try of the deliveries ids: sent, or failed and
// tried again after a backoff, or given up after the last attempt.
func (s *Service) attempted(ctx context.Context, ids []int64, attempts int, code int, failure error, took time.Duration) error {
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			msg := ""
			if failure != nil {
				msg = failure.Error()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_attempts (delivery_id, at, ok, response_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`,
				id, store.FormatTime(now), failure == nil, code, msg, took.Milliseconds()); err != nil {
				return err
			}
			var err error
			switch {
			case failure == nil:
				_, err = tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'sent', attempts = attempts + 1, last_error = '', response_code = ?, sent_at = ? WHERE id = ?`,
					code, store.FormatTime(now), id)
			case attempts+1 >= s.cfg.MaxAttempts:
				_, err = tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?, response_code = ? WHERE id = ?`,
					msg, code, id)
			default:
				_, err = tx.ExecContext(ctx, `UPDATE notify_deliveries SET attempts = attempts + 1, last_error = ?, response_code = ?, next_at = ? WHERE id = ?`,
					msg, code, store.FormatTime(now.Add(s.backoff(attempts+1))), id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.published(ctx, ids...)
	}
	return err
}

// backoff is the wait after the n-th failed attempt: doubling, capped.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < n && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// Deliveries lists the latest deliveries, newest first, with their
// attempts: channel "webhook" and recipient a webhook id narrow it. An
// admin sees every delivery; anyone else only the mails to them.
func (s *Service) Deliveries(ctx context.Context, by auth.Actor, channel, recipient string, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	if !by.Has(auth.RoleAdmin) {
		if (channel != "" && channel != "email") || (recipient != "" && recipient != by.Username) {
			return nil, apperr.Forbidden("You see only the mails sent to you; an admin sees every delivery.")
		}
		channel, recipient = "email", by.Username
	}
	var w store.Where
	if channel != "" {
		w.Equal("d.channel", channel)
	}
	if recipient != "" {
		w.Equal("d.recipient", recipient)
	}
	return s.list(ctx, w, limit)
}

func (s *Service) list(ctx context.Context, w store.Where, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.notification_id, o.event, o.title, d.channel, d.recipient, d.state, d.attempts, d.next_at,
		d.last_error, d.response_code, d.sent_at, d.created_at FROM notify_deliveries d JOIN notify_outbox o ON o.id = d.notification_id`+
		w.SQL()+` ORDER BY d.id DESC LIMIT ?`, append(w.Args(), limit)...)
	if err != nil {
		return nil, err
	}
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var next, sent, created string
		if err := rows.Scan(&d.ID, &d.NotificationID, &d.Event, &d.Title, &d.Channel, &d.Recipient, &d.State, &d.Attempts, &next,
			&d.LastError, &d.ResponseCode, &sent, &created); err != nil {
			rows.Close()
			return nil, err
		}
		d.NextAt, _ = store.ParseTime(next)
		d.CreatedAt, _ = store.ParseTime(created)
		if t, err := store.ParseTime(sent); err == nil {
			d.SentAt = &t
		}
		d.History = []Attempt{}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		h, err := s.db.QueryContext(ctx, `SELECT at, ok, response_code, error, duration_ms FROM notify_attempts WHERE delivery_id = ? ORDER BY id`, out[i].ID)
		if err != nil {
			return nil, err
		}
		for h.Next() {
			var a Attempt
			var at string
			if err := h.Scan(&at, &a.OK, &a.ResponseCode, &a.Error, &a.DurationMS); err != nil {
				h.Close()
				return nil, err
			}
			a.At, _ = store.ParseTime(at)
			out[i].History = append(out[i].History, a)
		}
		h.Close()
	}
	return out, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Retention is how long a notification is kept once every delivery of it
// ended (sent or given up).
const Retention = 90 * 24 * time.Hour

// prune removes notifications older than Retention whose deliveries all
// ended, with their deliveries and attempts.
func (s *Service) prune(ctx context.Context) (int64, error) {
	cut := store.FormatTime(s.now().Add(-Retention))
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		old := `SELECT o.id FROM notify_outbox o WHERE o.at < ? AND NOT EXISTS
			(SELECT 1 FROM notify_deliveries d WHERE d.notification_id = o.id AND d.state = 'pending')`
		if _, err := tx.ExecContext(ctx, `DELETE FROM notify_attempts WHERE delivery_id IN
			(SELECT id FROM notify_deliveries WHERE notification_id IN (`+old+`))`, cut); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notify_deliveries WHERE notification_id IN (`+old+`)`, cut); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM notify_outbox WHERE id IN (`+old+`)`, cut)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
