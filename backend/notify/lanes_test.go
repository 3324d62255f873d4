package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/rollout"
)

// fakeLabs and fakeRollouts are the owners' read interfaces over labs and
// rollouts the test changes while notify is stopped.
type fakeLabs struct {
	mu   sync.Mutex
	labs []lab.Lab
}

func (f *fakeLabs) List(_ context.Context, flt lab.Filter) ([]lab.Lab, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []lab.Lab
	for _, l := range f.labs {
		if !l.UpdatedAt.Before(flt.UpdatedSince) {
			out = append(out, l)
		}
	}
	return out, len(out), nil
}

type fakeRollouts struct {
	mu  sync.Mutex
	ros []rollout.Rollout
}

func (f *fakeRollouts) UpdatedSince(_ context.Context, since time.Time) ([]*rollout.Rollout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*rollout.Rollout
	for _, r := range f.ros {
		if !r.UpdatedAt.Before(since) {
			out = append(out, &r)
		}
	}
	return out, nil
}

func (f *fakeRollouts) set(r rollout.Rollout) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.ros {
		if f.ros[i].ID == r.ID {
			f.ros[i] = r
			return
		}
	}
	f.ros = append(f.ros, r)
}

// outbox lists the keys recorded of a kind.
func outbox(t *testing.T, e *env, k Kind) []string {
	t.Helper()
	rows, err := e.db.Query(`SELECT key FROM notify_outbox WHERE event = ? ORDER BY id`, k)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key string
		rows.Scan(&key)
		out = append(out, key)
	}
	return out
}

// A lab that passed and a rollout that paused while notify was stopped are
// told when it starts, once: a restart after that tells nothing again (a
// claim while paused is the same pause), a second pause is told.
func TestCatchUpTellsLabsAndRolloutsMissedWhileStopped(t *testing.T) {
	e := newEnv(t)
	labs, ros := &fakeLabs{}, &fakeRollouts{}
	e.cfg.Labs, e.cfg.Rollouts = labs, ros
	hook := newHookServer(t, 0)
	first := New(e.cfg)
	first.Start(t.Context())
	everyone(t, e, first)
	h, err := first.CreateWebhook(t.Context(), admin, WebhookInput{Name: "ops", URL: hook.URL, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	hook.secret.Store(h.Secret)
	first.Close()

	// While notify is stopped (no one hears the bus): the lab passes, the rollout pauses.
	now := time.Now().UTC().Truncate(time.Millisecond)
	labs.labs = []lab.Lab{{ID: "lab-1", ReleaseID: 3, Status: lab.StatusPassed, CreatedBy: "tess", UpdatedAt: now},
		{ID: "lab-old", ReleaseID: 3, Status: lab.StatusFailed, CreatedBy: "tess", UpdatedAt: now.Add(-48 * time.Hour)}}
	paused := now.Add(-time.Second)
	ro := rollout.Rollout{ID: "ro-1", ReleaseID: 3, Status: rollout.StatusPaused, PauseReason: "wave 2 failed its gate", PausedAt: &paused, UpdatedAt: paused}
	ros.set(ro)
	e.bus.Publish(events.LabUpdated, "lab-1", labs.labs[0])

	second := New(e.cfg)
	second.Start(t.Context())
	eventually(t, "the lab and the pause delivered", func() bool { return len(hook.received()) == 2 })
	if got := told(t, e, 2); !slices.Equal(got[KindLabPassed], []string{"tess"}) || !slices.Equal(got[KindRolloutPaused], []string{"admin"}) || len(got) != 2 {
		t.Fatalf("told %v", got)
	}
	// Live events of the same things while running tell nothing more.
	e.bus.Publish(events.LabUpdated, "lab-1", labs.labs[0])
	e.bus.Publish(events.RolloutUpdated, "ro-1", ro)
	second.Close()

	// An admin claims the paused rollout (its write time moves, not its pause), and notify restarts.
	ro.ClaimedBy, ro.UpdatedAt = "admin", now.Add(time.Second)
	ros.set(ro)
	// Another rollout pauses, to know when the catch-up is through.
	later := now.Add(2 * time.Second)
	ros.set(rollout.Rollout{ID: "ro-2", ReleaseID: 4, Status: rollout.StatusPaused, PauseReason: "Paused by admin.", PausedAt: &later, UpdatedAt: later})
	third := e.start(nil)
	eventually(t, "the second rollout's pause delivered", func() bool { return len(hook.received()) == 3 })
	time.Sleep(200 * time.Millisecond)
	if n := len(hook.received()); n != 3 {
		t.Fatalf("%d deliveries after the restart, want 3 (nothing twice)", n)
	}
	if keys := outbox(t, e, KindLabPassed); len(keys) != 1 {
		t.Fatalf("lab passed recorded %v", keys)
	}
	if keys := outbox(t, e, KindRolloutPaused); len(keys) != 2 || !strings.HasPrefix(keys[0], "rollout:ro-1:") || !strings.HasPrefix(keys[1], "rollout:ro-2:") {
		t.Fatalf("rollout paused recorded %v", keys)
	}
	if keys := outbox(t, e, KindLabFailed); len(keys) != 0 {
		t.Fatalf("a lab that failed two days ago was told: %v", keys)
	}
	// Resumed, then paused again: another pause, told.
	third.Close()
	again := now.Add(3 * time.Second)
	ro.ClaimedBy, ro.PausedAt, ro.UpdatedAt = "", &again, again
	ros.set(ro)
	e.start(nil)
	eventually(t, "the second pause delivered", func() bool { return len(hook.received()) == 4 })
	if keys := outbox(t, e, KindRolloutPaused); len(keys) != 3 {
		t.Fatalf("rollout paused recorded %v", keys)
	}
}

// A webhook that hangs holds up neither mail nor another webhook; once it
// answers, its delivery is recorded as sent.
func TestASlowWebhookHoldsUpNoOtherDelivery(t *testing.T) {
	e := newEnv(t)
	srv := startSMTP(t, smtpOpts{})
	s := e.start(nil)
	ctx := t.Context()
	if _, err := s.PutSettings(ctx, admin, SettingsInput{SMTPHost: "127.0.0.1", SMTPPort: srv.port, Security: SecurityNone,
		From: "shakedown@example.com", DigestMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPrefs(ctx, actor(t, e, "mona"), Prefs{Email: "mona@example.com"}); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}, 10), make(chan struct{})
	var slowGot atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
			slowGot.Add(1)
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	fast := newHookServer(t, 0)
	if _, err := s.CreateWebhook(ctx, admin, WebhookInput{Name: "slow", URL: slow.URL, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	h, err := s.CreateWebhook(ctx, admin, WebhookInput{Name: "fast", URL: fast.URL, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	fast.secret.Store(h.Secret)
	if err := s.record(ctx, note{Key: "d1", Kind: KindDeployed, Title: "Deployed: Web shop 2.1", Text: "done", Entity: "release", EntityID: "1", To: []string{"mona"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow webhook was never called")
	}
	// While the slow endpoint holds its request, the mail and the other webhook go.
	if m := srv.waitMails(t, 1)[0]; !strings.Contains(m, "Deployed: Web shop 2.1") {
		t.Fatalf("mail:\n%s", m)
	}
	eventually(t, "the fast webhook delivered", func() bool { return len(fast.received()) == 1 })
	ds, err := s.Deliveries(ctx, admin, "webhook", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Recipient == itoa(h.ID) && d.State != StateSent || d.Recipient != itoa(h.ID) && (d.State != StatePending || d.Attempts != 0) {
			t.Fatalf("while the slow one hangs: %+v", ds)
		}
	}
	close(release)
	eventually(t, "the slow webhook's delivery sent", func() bool {
		ds, _ := s.Deliveries(ctx, admin, "webhook", "", 10)
		return slowGot.Load() == 1 && len(ds) == 2 && ds[0].State == StateSent && ds[1].State == StateSent
	})
}

// Each delivery's change is an event: admins receive every one, a user
// only those of the mails to them.
func TestDeliveryChangesArePublishedToWhoMaySeeThem(t *testing.T) {
	e := newEnv(t)
	msgs, cancel := e.bus.Subscribe(256)
	defer cancel()
	s := e.start(func(c *Config) { c.MaxAttempts = 2 })
	ctx := t.Context()
	hook := newHookServer(t, 1)
	h, err := s.CreateWebhook(ctx, admin, WebhookInput{Name: "ops", URL: hook.URL, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	hook.secret.Store(h.Secret)
	if _, err := s.PutPrefs(ctx, actor(t, e, "mona"), Prefs{Email: "mona@example.com"}); err != nil {
		t.Fatal(err)
	}
	// No SMTP server: mona's mail fails its attempts.
	if err := s.record(ctx, note{Key: "d1", Kind: KindDeployed, Title: "Deployed", Entity: "release", EntityID: "1", To: []string{"mona"}}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	deadline := time.After(10 * time.Second)
	for !slices.Contains(seen, "webhook sent 2 admin") || !slices.Contains(seen, "email failed 2 admin,mona") {
		select {
		case m := <-msgs:
			if m.Type != events.DeliveryUpdated {
				continue
			}
			var ev struct{ Data Delivery }
			json.Unmarshal(m.JSON, &ev)
			d := ev.Data
			var who []string
			for _, v := range []events.Viewer{{Username: "admin", Admin: true}, {Username: "mona"}, {Username: "max"}} {
				if _, ok := m.For(v); ok {
					who = append(who, v.Username)
				}
			}
			seen = append(seen, d.Channel+" "+string(d.State)+" "+itoa(int64(d.Attempts))+" "+strings.Join(who, ","))
		case <-deadline:
			t.Fatalf("events seen: %q", seen)
		}
	}
	for _, want := range []string{"webhook pending 0 admin", "webhook pending 1 admin", "email pending 0 admin,mona", "email pending 1 admin,mona"} {
		if !slices.Contains(seen, want) {
			t.Errorf("no event %q in %q", want, seen)
		}
	}
}
