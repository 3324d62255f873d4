package notify

// Delivering lanes: mail has one goroutine, each webhook with pending
// deliveries its own, so that a slow endpoint holds up only its own
// deliveries. A lane sends its due deliveries in order (by id), waits for
// the next one due or a poke, and ends when nothing is pending for it. The
// dispatcher starts lanes (never more than MaxLanes) and prunes; it waits
// for its lanes before it returns, so Close waits for every one.

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

// mailLane is the key of the lane that sends every mail.
const mailLane = "email"

// lane is one channel's or endpoint's deliveries and the poke that wakes
// its goroutine.
type lane struct {
	key  string // mailLane, or "webhook:<id>"
	poke chan struct{}
}

func (l *lane) wake() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// webhook is the webhook id of a webhook's lane ("" for mail).
func (l *lane) webhook() string {
	id, _ := strings.CutPrefix(l.key, "webhook:")
	if id == l.key {
		return ""
	}
	return id
}

// dispatch starts a lane for each channel or endpoint with pending
// deliveries when poked (a notification recorded, a re-send) and every
// 30 s, and prunes old notifications hourly.
func (s *Service) dispatch(ctx context.Context) {
	var lanes sync.WaitGroup
	defer lanes.Wait()
	var pruned time.Time
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		if time.Since(pruned) > time.Hour {
			if _, err := s.prune(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("notify: prune old notifications", "err", err)
			}
			pruned = time.Now()
		}
		keys, err := s.pendingLanes(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("notify: read pending deliveries", "err", err)
		}
		s.lanesMu.Lock()
		for _, k := range keys {
			if l := s.lanes[k]; l != nil {
				l.wake()
				continue
			}
			if len(s.lanes) >= s.cfg.MaxLanes {
				continue // its turn comes when a lane ends (it pokes)
			}
			l := &lane{key: k, poke: make(chan struct{}, 1)}
			s.lanes[k] = l
			lanes.Add(1)
			go func() {
				defer lanes.Done()
				s.runLane(ctx, l)
			}()
		}
		s.lanesMu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-tick.C:
		}
	}
}

// pendingLanes are the keys of the lanes with pending deliveries.
func (s *Service) pendingLanes(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT CASE channel WHEN 'webhook' THEN 'webhook:' || recipient ELSE ? END
		FROM notify_deliveries WHERE state = 'pending'`, mailLane)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// runLane is the goroutine of one lane.
func (s *Service) runLane(ctx context.Context, l *lane) {
	for {
		next, err := s.deliverLane(ctx, l)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Error("notify: deliver", "lane", l.key, "err", err)
		}
		if err == nil && next.IsZero() && s.retire(l) {
			return
		}
		wait := 30 * time.Second
		if !next.IsZero() {
			wait = min(max(time.Until(next), 10*time.Millisecond), wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-l.poke:
		case <-t.C:
		}
		t.Stop()
	}
}

// retire ends an idle lane unless it was poked meanwhile (the dispatcher
// pokes under the same lock, so a delivery queued now is never stranded:
// either the lane sees the poke, or the dispatcher starts a new lane).
func (s *Service) retire(l *lane) bool {
	s.lanesMu.Lock()
	defer s.lanesMu.Unlock()
	select {
	case <-l.poke:
		return false
	default:
	}
	delete(s.lanes, l.key)
	s.wake() // a lane waiting for a free place may start
	return true
}

// deliverLane sends what is due in the lane and returns when its next
// pending delivery is due (zero: none is pending).
func (s *Service) deliverLane(ctx context.Context, l *lane) (time.Time, error) {
	hook := l.webhook()
	if hook == "" {
		if err := s.sendMails(ctx); err != nil {
			return time.Time{}, err
		}
	} else {
		rows, err := s.db.QueryContext(ctx, `SELECT `+dueColumns+` FROM notify_deliveries d JOIN notify_outbox o ON o.id = d.notification_id
			WHERE d.state = 'pending' AND d.channel = 'webhook' AND d.recipient = ? AND d.next_at <= ? ORDER BY d.id LIMIT 100`,
			hook, store.FormatTime(s.now()))
		if err != nil {
			return time.Time{}, err
		}
		ds, err := scanDue(rows)
		if err != nil {
			return time.Time{}, err
		}
		for _, d := range ds {
			if ctx.Err() != nil {
				return time.Time{}, nil
			}
			s.sendWebhook(ctx, d)
		}
	}
	channel, recipient := "email", ""
	if hook != "" {
		channel, recipient = "webhook", hook
	}
	var next sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT min(next_at) FROM notify_deliveries WHERE state = 'pending' AND channel = ? AND (? = '' OR recipient = ?)`,
		channel, recipient, recipient).Scan(&next); err != nil || !next.Valid {
		return time.Time{}, err
	}
	t, err := store.ParseTime(next.String)
	return t, err
}
