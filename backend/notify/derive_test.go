package notify

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
)

// told lists the mails recorded (kind → usernames) once n notifications exist.
func told(t *testing.T, e *env, n int) map[Kind][]string {
	t.Helper()
	eventually(t, fmt.Sprintf("%d notifications", n), func() bool {
		var got int
		e.db.QueryRow(`SELECT count(*) FROM notify_outbox`).Scan(&got)
		return got >= n
	})
	rows, err := e.db.Query(`SELECT o.event, coalesce(d.recipient, '') FROM notify_outbox o LEFT JOIN notify_deliveries d ON d.notification_id = o.id AND d.channel = 'email' ORDER BY o.id, d.recipient`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[Kind][]string{}
	for rows.Next() {
		var k Kind
		var u string
		rows.Scan(&k, &u)
		if u != "" {
			out[k] = append(out[k], u)
		} else if _, ok := out[k]; !ok {
			out[k] = []string{}
		}
	}
	return out
}

// everyone gives every user an address, so that every recipient gets a delivery.
func everyone(t *testing.T, e *env, s *Service) {
	for _, u := range []string{"admin", "tess", "mona", "max"} {
		if _, err := s.PutPrefs(t.Context(), actor(t, e, u), Prefs{Email: u + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestApprovalVoidedTellsTheOwnerAndTheApprovers(t *testing.T) {
	e := newEnv(t)
	s := e.start(nil)
	everyone(t, e, s)
	ctx := t.Context()
	r, err := e.awaitingRelease(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := told(t, e, 1)[KindAwaitingApproval]; !slices.Equal(got, []string{"max", "mona"}) {
		t.Fatalf("awaiting approval told %v, want the two managers", got)
	}
	if _, err := e.releases.Decide(ctx, actor(t, e, "mona"), r.ID, release.DecisionInput{Decision: release.DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	// New evidence voids the approval: the release waits for sign-off again.
	tina := auth.Actor{Username: "tina", Roles: []auth.Role{auth.RoleTester}}
	if _, err := e.releases.AddEvidence(ctx, tina, r.ID, release.EvidenceInput{Name: "Rerun", Target: "lab",
		Checks: []release.ManualCheck{{Name: "home page", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	got := told(t, e, 2)
	if v := got[KindApprovalVoided]; !slices.Contains(v, "tess") || !slices.Contains(v, "mona") {
		t.Fatalf("voided told %v, want the owner tess and the approvers", v)
	}
}

func TestLabAndRolloutEvents(t *testing.T) {
	e := newEnv(t)
	s := e.start(nil)
	everyone(t, e, s)
	now := time.Now().UTC()
	// The events as the lab and rollout services publish them.
	l := lab.Lab{ID: "lab-1", ReleaseID: 3, Status: lab.StatusTesting, CreatedBy: "tess", UpdatedAt: now}
	e.bus.Publish(events.LabUpdated, l.ID, l)
	l.Status = lab.StatusPassed
	e.bus.Publish(events.LabUpdated, l.ID, l)
	e.bus.Publish(events.LabUpdated, l.ID, l) // seen twice, told once
	ro := rollout.Rollout{ID: "ro-1", ReleaseID: 3, Status: rollout.StatusRunning, UpdatedAt: now}
	e.bus.Publish(events.RolloutUpdated, ro.ID, ro)
	ro.Status, ro.PauseReason = rollout.StatusPaused, "wave 2 failed its gate on 2 of 5 targets"
	e.bus.Publish(events.RolloutUpdated, ro.ID, ro)
	e.bus.Publish(events.RolloutUpdated, ro.ID, ro)
	got := told(t, e, 2)
	time.Sleep(200 * time.Millisecond)
	if got = told(t, e, 2); len(got) != 2 || !slices.Equal(got[KindLabPassed], []string{"tess"}) || !slices.Equal(got[KindRolloutPaused], []string{"admin"}) {
		t.Fatalf("told %v", got)
	}
	var text, link string
	e.db.QueryRow(`SELECT text, link FROM notify_outbox WHERE event = ?`, KindRolloutPaused).Scan(&text, &link)
	if !strings.Contains(text, "wave 2 failed its gate") {
		t.Fatalf("paused text %q", text)
	}
	// An old lab seen for the first time (a restart) tells nobody.
	old := lab.Lab{ID: "lab-2", Status: lab.StatusFailed, CreatedBy: "tess", UpdatedAt: now.Add(-time.Hour)}
	e.bus.Publish(events.LabUpdated, old.ID, old)
	time.Sleep(200 * time.Millisecond)
	if got := told(t, e, 2); len(got) != 2 {
		t.Fatalf("an old lab was told: %v", got)
	}
}

func TestDeployedAndFailedTellTheOwner(t *testing.T) {
	e := newEnv(t)
	s := e.start(nil)
	everyone(t, e, s)
	ctx := t.Context()
	r, err := e.awaitingRelease(t)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.Decide(ctx, actor(t, e, "mona"), r.ID, release.DecisionInput{Decision: release.DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	adm := actor(t, e, "admin")
	got, _ := e.releases.Get(ctx, adm, r.ID)
	if _, err := e.releases.Apply(ctx, adm, r.ID, release.Move{To: release.StateDeploying, Digest: got.ApprovedDigest}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.releases.Transition(ctx, adm, r.ID, release.StateFailed, "the web tier did not come back"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure told", func() bool {
		var n int
		e.db.QueryRow(`SELECT count(*) FROM notify_outbox WHERE event = ?`, KindFailed).Scan(&n)
		return n == 1
	})
	told := told(t, e, 1)
	if !slices.Equal(told[KindFailed], []string{"tess"}) {
		t.Fatalf("failed told %v, want the owner", told)
	}
	var title, text, link string
	e.db.QueryRow(`SELECT title, text, link FROM notify_outbox WHERE event = ?`, KindFailed).Scan(&title, &text, &link)
	if title != "Failed: Web shop 2.1" || !strings.Contains(text, "the web tier did not come back") {
		t.Fatalf("%q %q", title, text)
	}
}

func TestOldEndedNotificationsArePruned(t *testing.T) {
	e := newEnv(t)
	s := New(e.cfg)
	ctx := t.Context()
	everyone(t, e, s)
	for _, k := range []string{"old-sent", "old-pending", "new"} {
		if err := s.record(ctx, note{Key: k, Kind: KindDeployed, Title: k, Entity: "release", EntityID: "1", To: []string{"tess"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.db.Exec(`UPDATE notify_outbox SET at = '2020-01-01T00:00:00.000Z' WHERE key LIKE 'old-%'`)
	e.db.Exec(`UPDATE notify_deliveries SET state = 'sent' WHERE notification_id = (SELECT id FROM notify_outbox WHERE key = 'old-sent')`)
	e.db.Exec(`INSERT INTO notify_attempts (delivery_id, at, ok) SELECT id, '2020-01-01T00:00:00.000Z', 1 FROM notify_deliveries`)
	if n, err := s.prune(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the old sent one", n, err)
	}
	var keys []string
	rows, _ := e.db.Query(`SELECT key FROM notify_outbox ORDER BY id`)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	if !slices.Equal(keys, []string{"old-pending", "new"}) {
		t.Fatalf("left %v", keys)
	}
}

func TestAMoveMadeWhileNotifyWasDownIsToldOnStart(t *testing.T) {
	e := newEnv(t)
	s := New(e.cfg)
	everyone(t, e, s)
	r, err := e.awaitingRelease(t) // nobody listening: as if Shakedown stopped before notify saw it
	if err != nil {
		t.Fatal(err)
	}
	e.start(nil)
	if got := told(t, e, 1)[KindAwaitingApproval]; !slices.Equal(got, []string{"max", "mona"}) {
		t.Fatalf("told %v", got)
	}
	var entity string
	e.db.QueryRow(`SELECT entity_id FROM notify_outbox`).Scan(&entity)
	if entity != fmt.Sprint(r.ID) {
		t.Fatal(entity)
	}
}
