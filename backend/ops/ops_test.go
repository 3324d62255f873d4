package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

func setup(t *testing.T) (*Manager, *store.DB, *events.Bus) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	m := NewManager(db, bus, slog.Default())
	t.Cleanup(func() { m.Shutdown(context.Background()); db.Close() })
	return m, db, bus
}

var who = auth.Actor{Username: "tess"}

// okStage is the stage type of the test.ok operations.
type okStage string

func (okStage) EnumValues() []string  { return []string{"one", "two"} }
func (okStage) OperationKind() string { return "test.ok" }

func TestSuccessFailureAndEvents(t *testing.T) {
	m, _, bus := setup(t)
	ctx := context.Background()
	ch, cancel := bus.Subscribe(100)
	defer cancel()
	op, err := m.Start(ctx, who, Spec{Kind: "test.ok", Entity: "release", EntityID: "1", Run: func(ctx context.Context, p *Progress) error {
		Report(p, okStage("one"), 30, "step one")
		Report(p, okStage("two"), 60, "step two")
		return nil
	}})
	if err != nil || op.Status != StatusPending || op.ID == "" {
		t.Fatalf("start = %+v, %v", op, err)
	}
	done, _ := m.Wait(ctx, op.ID)
	if done.Status != StatusSuccess || done.Percent != 100 || done.Stage != "two" {
		t.Fatalf("done = %+v", done)
	}
	var stages []string
	for len(ch) > 0 {
		msg := <-ch
		o := msg.Data.(Operation)
		stages = append(stages, string(o.Status)+":"+o.Stage)
	}
	want := "pending: running: running:one running:two success:two"
	if got := join(stages); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}

	bad, _ := m.Start(ctx, who, Spec{Kind: "test.fail", Run: func(ctx context.Context, p *Progress) error {
		return errors.New("clone of prod-web-1 failed: disk full")
	}})
	done, _ = m.Wait(ctx, bad.ID)
	if done.Status != StatusFailure || done.Error != "clone of prod-web-1 failed: disk full" {
		t.Fatalf("failed op = %+v", done)
	}
	panicky, _ := m.Start(ctx, who, Spec{Kind: "test.panic", Run: func(ctx context.Context, p *Progress) error { panic("boom") }})
	if done, _ = m.Wait(ctx, panicky.ID); done.Status != StatusFailure {
		t.Fatalf("panicking op = %+v", done)
	}
	list, total, err := m.List(ctx, Filter{Statuses: []Status{StatusFailure}})
	if err != nil || total != 2 || len(list) != 2 {
		t.Fatalf("list failures = %d/%d %v", len(list), total, err)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestCancelRunsUndo(t *testing.T) {
	m, _, _ := setup(t)
	ctx := context.Background()
	started := make(chan struct{})
	undone := make(chan struct{})
	op, _ := m.Start(ctx, who, Spec{Kind: "test.slow", Run: func(ctx context.Context, p *Progress) error {
		close(started)
		<-ctx.Done()
		close(undone) // the operation undoes its work before returning
		return ctx.Err()
	}})
	<-started
	c, err := m.Cancel(ctx, who, op.ID)
	if err != nil || c.Status != StatusCancelling {
		t.Fatalf("cancel = %+v, %v", c, err)
	}
	<-undone
	done, _ := m.Wait(ctx, op.ID)
	if done.Status != StatusCancelled {
		t.Fatalf("after cancel = %+v", done)
	}
	if _, err := m.Cancel(ctx, who, op.ID); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("cancel twice: %v", err)
	}
	if _, err := m.Cancel(ctx, who, "nope"); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("cancel unknown: %v", err)
	}
}

// Operations left unfinished by a crash are settled on the next start:
// running or pending ones fail, cancelling ones end cancelled.
func TestRecoverAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(db, events.NewBus(), slog.Default())
	block := make(chan struct{})
	stubborn := func(ctx context.Context, p *Progress) error { <-block; return nil } // ignores cancel
	a, _ := m.Start(ctx, who, Spec{Kind: "lab.create", Run: stubborn})
	b, _ := m.Start(ctx, who, Spec{Kind: "other", Run: stubborn})
	c, _ := m.Start(ctx, who, Spec{Kind: "other", Run: stubborn})
	if _, err := m.Cancel(ctx, who, c.ID); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash: the process goes away without finishing; open a
	// new manager on the same file.
	db2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	m2 := NewManager(db2, events.NewBus(), slog.Default())
	defer m2.Shutdown(ctx)
	settled, err := m2.Recover(ctx)
	if err != nil || settled != 3 {
		t.Fatalf("recover = %d settled, %v", settled, err)
	}
	for id, want := range map[string]Status{a.ID: StatusFailure, b.ID: StatusFailure, c.ID: StatusCancelled} {
		if op, _ := m2.Wait(ctx, id); op.Status != want {
			t.Fatalf("interrupted op = %+v, want %s", op, want)
		}
	}
	close(block)
	m.Shutdown(ctx)
	db.Close()
}

// Recover leaves alone what runs in this process: it is not interrupted.
func TestRecoverSparesRunningOperations(t *testing.T) {
	m, _, _ := setup(t)
	ctx := context.Background()
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before Shutdown, even when the test fails
	op, _ := m.Start(ctx, who, Spec{Kind: "test.slow", Run: func(ctx context.Context, p *Progress) error { <-release; return nil }})
	settled, err := m.Recover(ctx)
	if err != nil || settled != 0 {
		t.Fatalf("recover = %d settled, %v", settled, err)
	}
	once.Do(func() { close(release) })
	if done, _ := m.Wait(ctx, op.ID); done.Status != StatusSuccess {
		t.Fatalf("running op after recover = %+v", done)
	}
}

// A cancel racing the operation's end leaves one consistent state: the
// cancel is refused and the operation succeeded, or the cancel is
// accepted and the operation ended cancelled. The row and the last event
// both equal that state.
func TestCancelRacesCompletion(t *testing.T) {
	m, _, bus := setup(t)
	ctx := context.Background()
	n := 500
	if testing.Short() {
		n = 100
	}
	var cancelled, succeeded int
	for i := 0; i < n; i++ {
		ch, unsubscribe := bus.Subscribe(64)
		release := make(chan struct{})
		op, err := m.Start(ctx, who, Spec{Kind: "test.race", Run: func(ctx context.Context, p *Progress) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		cancelErr := make(chan error, 1)
		go func() { _, err := m.Cancel(ctx, who, op.ID); cancelErr <- err }()
		close(release)
		cerr := <-cancelErr
		wctx, stop := context.WithTimeout(ctx, 5*time.Second)
		final, err := m.Wait(wctx, op.ID)
		stop()
		if err != nil {
			t.Fatalf("#%d wait: %v (state %+v)", i, err, final)
		}
		switch {
		case cerr == nil && final.Status == StatusCancelled:
			cancelled++
		case apperr.KindOf(cerr) == apperr.KindConflict && final.Status == StatusSuccess:
			succeeded++
		default:
			t.Fatalf("#%d cancel returned %v, operation ended %+v", i, cerr, final)
		}
		row, err := m.Get(ctx, op.ID)
		if err != nil || asJSON(row) != asJSON(final) {
			t.Fatalf("#%d row %+v (%v), final state %+v", i, row, err, final)
		}
		var last Operation
		for len(ch) > 0 {
			if msg := <-ch; msg.ID == op.ID {
				last = msg.Data.(Operation)
			}
		}
		unsubscribe()
		if asJSON(last) != asJSON(final) {
			t.Fatalf("#%d last event %+v, final state %+v", i, last, final)
		}
	}
	t.Logf("%d cancelled, %d succeeded before the cancel", cancelled, succeeded)
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A progress report arriving after the end (a reporter goroutine that
// outlived its operation) changes nothing: the final state is the last
// one written and published.
func TestFinalStateIsWrittenLast(t *testing.T) {
	m, _, bus := setup(t)
	ctx := context.Background()
	ch, unsubscribe := bus.Subscribe(100)
	defer unsubscribe()
	handle := make(chan *Progress, 1)
	op, _ := m.Start(ctx, who, Spec{Kind: "test.ok", Run: func(ctx context.Context, p *Progress) error {
		p.update("copy", 10, "copying")
		handle <- p
		return nil
	}})
	final, _ := m.Wait(ctx, op.ID)
	late := <-handle
	late.update("straggler", 50, "reported after the end")
	late.update("straggler", 60, "reported after the end")
	if row, _ := m.Get(ctx, op.ID); asJSON(row) != asJSON(final) || final.Status != StatusSuccess {
		t.Fatalf("row after a late update %+v, final state %+v", row, final)
	}
	var last Operation
	for len(ch) > 0 {
		last = (<-ch).Data.(Operation)
	}
	if asJSON(last) != asJSON(final) {
		t.Fatalf("last event %+v, final state %+v", last, final)
	}
}

// Wait on a running operation listens for its end instead of reading the
// database: it returns the ended state even when the store has gone away.
func TestWaitListensForTheEnd(t *testing.T) {
	m, db, _ := setup(t)
	ctx := context.Background()
	release := make(chan struct{})
	op, _ := m.Start(ctx, who, Spec{Kind: "test.slow", Run: func(ctx context.Context, p *Progress) error { <-release; return nil }})
	waited := make(chan Operation, 1)
	waitErr := make(chan error, 1)
	go func() { o, err := m.Wait(ctx, op.ID); waited <- o; waitErr <- err }()
	time.Sleep(50 * time.Millisecond)
	db.Close()
	close(release)
	if o, err := <-waited, <-waitErr; err != nil || o.Status != StatusSuccess {
		t.Fatalf("wait = %+v, %v", o, err)
	}
}

// Wait on an operation left unfinished by a previous run (not running
// here) returns its recorded state at once rather than waiting forever.
func TestWaitOnInterruptedOperation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(db, events.NewBus(), slog.Default())
	block := make(chan struct{})
	op, _ := m.Start(ctx, who, Spec{Kind: "other", Run: func(ctx context.Context, p *Progress) error { <-block; return nil }})
	defer func() { close(block); m.Shutdown(ctx); db.Close() }()
	db2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	m2 := NewManager(db2, events.NewBus(), slog.Default())
	defer m2.Shutdown(ctx)
	wctx, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	got, err := m2.Wait(wctx, op.ID)
	if err != nil || got.ID != op.ID || got.Status.Done() {
		t.Fatalf("wait on an interrupted op = %+v, %v", got, err)
	}
}

// Cancelling is audited in the same transaction as the state it writes:
// who cancelled which operation.
func TestCancelIsAudited(t *testing.T) {
	m, db, _ := setup(t)
	ctx := context.Background()
	started := make(chan struct{})
	op, _ := m.Start(ctx, who, Spec{Kind: "test.slow", Run: func(ctx context.Context, p *Progress) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}})
	<-started
	admin := auth.Actor{Username: "ada", Roles: []auth.Role{auth.RoleAdmin}}
	if _, err := m.Cancel(ctx, admin, op.ID); err != nil {
		t.Fatal(err)
	}
	m.Wait(ctx, op.ID)
	entries, total, err := audit.List(ctx, db, audit.Filter{Entity: "operation", EntityID: op.ID})
	if err != nil || total != 1 || entries[0].Actor != "ada" || entries[0].Action != "operation.cancel" {
		t.Fatalf("audit = %+v (%d), %v", entries, total, err)
	}
	var after Operation
	if err := json.Unmarshal(entries[0].After, &after); err != nil || after.Status != StatusCancelling {
		t.Fatalf("audited state %s: %v", entries[0].After, err)
	}
	if v, err := audit.Verify(ctx, db); err != nil || !v.OK {
		t.Fatalf("audit chain = %+v, %v", v, err)
	}
}

// The undo a cancelled operation reports, and its final state, are written
// although the operation's context is cancelled.
func TestWritesAfterCancel(t *testing.T) {
	m, _, _ := setup(t)
	ctx := context.Background()
	started := make(chan struct{})
	op, _ := m.Start(ctx, who, Spec{Kind: "test.slow", Run: func(ctx context.Context, p *Progress) error {
		close(started)
		<-ctx.Done()
		p.update("undo", 80, "removing the half-made clone")
		return ctx.Err()
	}})
	<-started
	if _, err := m.Cancel(ctx, who, op.ID); err != nil {
		t.Fatal(err)
	}
	m.Wait(ctx, op.ID)
	if row, _ := m.Get(ctx, op.ID); row.Status != StatusCancelled || row.Stage != "undo" {
		t.Fatalf("row after cancel = %+v", row)
	}
}

// An ended row is never written again, whoever tries (a late Recover).
func TestEndedRowIsReadOnly(t *testing.T) {
	m, _, _ := setup(t)
	ctx := context.Background()
	op, _ := m.Start(ctx, who, Spec{Kind: "test.ok", Run: func(ctx context.Context, p *Progress) error { return nil }})
	done, _ := m.Wait(ctx, op.ID)
	stale := done
	stale.Status, stale.Error = StatusFailure, interrupted
	if err := m.write(ctx, stale, nil); !errors.Is(err, errEnded) {
		t.Fatalf("write over an ended row: %v", err)
	}
	if row, _ := m.Get(ctx, op.ID); asJSON(row) != asJSON(done) {
		t.Fatalf("ended row changed to %+v", row)
	}
}

// Start racing Shutdown: every operation Start let in has ended (a final
// state in its row) by the time Shutdown returns, and every one it refused
// says Shakedown is shutting down and left no row.
func TestStartRacesShutdown(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 40
	}
	for i := 0; i < n; i++ {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), fmt.Sprintf("db%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		m := NewManager(db, events.NewBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		ctx := context.Background()
		started := make(chan string, 8)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 {
					op, err := m.Start(ctx, who, Spec{Kind: "test.race", Run: func(ctx context.Context, p *Progress) error {
						<-ctx.Done() // only Shutdown ends it
						return ctx.Err()
					}})
					switch {
					case err == nil:
						started <- op.ID
					case apperr.KindOf(err) != apperr.KindConflict:
						t.Errorf("#%d start: %v", i, err)
					}
				}
			}()
		}
		m.Shutdown(ctx)
		wg.Wait()
		close(started)
		admitted := 0
		for id := range started {
			admitted++
			op, err := m.Get(ctx, id)
			if err != nil || op.Status != StatusFailure || op.Error != interrupted {
				t.Fatalf("#%d: operation %s let in before the shutdown is %+v (%v) after it, want failure %q", i, id, op, err, interrupted)
			}
		}
		var rows int
		db.QueryRow(`SELECT count(*) FROM operations`).Scan(&rows)
		if rows != admitted {
			t.Fatalf("#%d: %d rows for %d operations let in", i, rows, admitted)
		}
		db.Close()
	}
}

// A private error (a connection error, which tells what listens where) is
// read in full by who started the operation and by admins, from the row
// and from its events, also after a restart; everyone else reads its
// public text. Errors not marked private are for everyone.
func TestPrivateErrorIsReadInFullOnlyByItsStarterAndAdmins(t *testing.T) {
	m, db, bus := setup(t)
	ctx := context.Background()
	ch, cancel := bus.Subscribe(100)
	defer cancel()
	detail := "ssh to 10.0.0.5:22: dial tcp 10.0.0.5:22: connect: connection refused"
	op, err := m.Start(ctx, who, Spec{Kind: "test.fail", Run: func(ctx context.Context, p *Progress) error {
		return fmt.Errorf("import: %w", Private(errors.New(detail), "Could not connect to the machine."))
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.Wait(ctx, op.ID)
	other := auth.Actor{Username: "max", Roles: []auth.Role{auth.RoleManager}}
	admin := auth.Actor{Username: "adam", Roles: []auth.Role{auth.RoleAdmin}}
	check := func(where string, got Operation) {
		t.Helper()
		if e := got.For(who).Error; e != "import: "+detail {
			t.Errorf("%s: the starter reads %q", where, e)
		}
		if e := got.For(admin).Error; e != "import: "+detail {
			t.Errorf("%s: an admin reads %q", where, e)
		}
		if e := got.For(other).Error; strings.Contains(e, "10.0.0.5") || strings.Contains(e, "refused") || !strings.Contains(e, "Could not connect to the machine.") {
			t.Errorf("%s: someone else reads %q", where, e)
		}
		if e := got.For(auth.Actor{}).Error; strings.Contains(e, "refused") {
			t.Errorf("%s: nobody in particular reads %q", where, e)
		}
	}
	got, err := m.Get(ctx, op.ID)
	if err != nil || got.Status != StatusFailure {
		t.Fatalf("get = %+v, %v", got, err)
	}
	check("row", got)
	list, _, _ := m.List(ctx, Filter{})
	check("list", list[0])
	restarted := NewManager(db, bus, slog.Default())
	defer restarted.Shutdown(ctx)
	again, _ := restarted.Get(ctx, op.ID)
	check("after a restart", again)

	// The final event: in full to the starter and admins, redacted to others.
	var last events.Message
	for len(ch) > 0 {
		last = <-ch
	}
	for _, v := range []struct {
		viewer events.Viewer
		full   bool
	}{{events.Viewer{Username: "tess"}, true}, {events.Viewer{Username: "adam", Admin: true}, true}, {events.Viewer{Username: "max"}, false}} {
		raw, ok := last.For(v.viewer)
		if !ok || strings.Contains(string(raw), "refused") != v.full || !strings.Contains(string(raw), `"status":"failure"`) {
			t.Errorf("event to %+v: %v %s", v.viewer, ok, raw)
		}
	}

	plain, _ := m.Start(ctx, who, Spec{Kind: "test.fail", Run: func(ctx context.Context, p *Progress) error {
		return errors.New("clone of prod-web-1 failed: disk full")
	}})
	done, _ := m.Wait(ctx, plain.ID)
	if e := done.For(other).Error; e != "clone of prod-web-1 failed: disk full" {
		t.Errorf("an error not marked private reads %q to others", e)
	}
}

// teardownStage is the stage type of the test.teardown operations.
type teardownStage string

func (teardownStage) EnumValues() []string  { return []string{"bases", "done"} }
func (teardownStage) OperationKind() string { return "test.teardown" }

// An operation that ends well at 100 % never shows the message of a step
// on the way there ("Merging production overlays back", reported at 90 %):
// not in its row, not in its last event. One that said its last word at
// 100 % keeps it. A cancelled one says it was cancelled, and by whom,
// rather than what its undo did last.
func TestFinalStateHasNoMessageOfAnEarlierStep(t *testing.T) {
	m, _, bus := setup(t)
	ctx := context.Background()
	final := func(spec Spec, cancel bool) Operation {
		t.Helper()
		ch, unsubscribe := bus.Subscribe(100)
		defer unsubscribe()
		started := make(chan struct{})
		run := spec.Run
		spec.Run = func(ctx context.Context, p *Progress) error { close(started); return run(ctx, p) }
		op, err := m.Start(ctx, who, spec)
		if err != nil {
			t.Fatal(err)
		}
		if cancel {
			<-started
			if _, err := m.Cancel(ctx, auth.Actor{Username: "adam", Roles: []auth.Role{auth.RoleAdmin}}, op.ID); err != nil {
				t.Fatal(err)
			}
		}
		done, err := m.Wait(ctx, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		row, err := m.Get(ctx, op.ID)
		if err != nil || asJSON(row) != asJSON(done) {
			t.Fatalf("row %+v (%v), final state %+v", row, err, done)
		}
		var last Operation
		for len(ch) > 0 {
			if msg := <-ch; msg.ID == op.ID {
				last = msg.Data.(Operation)
			}
		}
		if asJSON(last) != asJSON(done) {
			t.Fatalf("last event %+v, final state %+v", last, done)
		}
		return done
	}

	merging := final(Spec{Kind: "test.teardown", Run: func(ctx context.Context, p *Progress) error {
		Report(p, teardownStage("bases"), 90, "Merging production overlays back")
		return nil
	}}, false)
	if merging.Status != StatusSuccess || merging.Percent != 100 || merging.Message != "Finished." {
		t.Errorf("an operation whose last report was at 90 %% ended %s at %v %% saying %q", merging.Status, merging.Percent, merging.Message)
	}

	said := final(Spec{Kind: "test.teardown", Run: func(ctx context.Context, p *Progress) error {
		Report(p, teardownStage("bases"), 90, "Merging production overlays back")
		Report(p, teardownStage("done"), 100, "The lab is gone")
		return nil
	}}, false)
	if said.Status != StatusSuccess || said.Percent != 100 || said.Stage != "done" || said.Message != "The lab is gone" {
		t.Errorf("an operation that said its last word ended %s at %v %% in %s saying %q", said.Status, said.Percent, said.Stage, said.Message)
	}

	cancelled := final(Spec{Kind: "test.slow", Run: func(ctx context.Context, p *Progress) error {
		<-ctx.Done()
		Report(p, okStage("two"), 40, "Removing the half-made clone")
		return ctx.Err()
	}}, true)
	if cancelled.Status != StatusCancelled || cancelled.Message != "Cancelled at the request of adam." || cancelled.Stage != "two" {
		t.Errorf("a cancelled operation ended %s in %s saying %q", cancelled.Status, cancelled.Stage, cancelled.Message)
	}
}
