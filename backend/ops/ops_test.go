package ops

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
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

func TestSuccessFailureAndEvents(t *testing.T) {
	m, _, bus := setup(t)
	ctx := context.Background()
	ch, cancel := bus.Subscribe(100)
	defer cancel()
	op, err := m.Start(ctx, who, Spec{Kind: "test.ok", Entity: "release", EntityID: "1", Run: func(ctx context.Context, p *Progress) error {
		p.Update("one", 30, "step one")
		p.Update("two", 60, "step two")
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

// An operation left running by a crash is marked failed, or resumed when
// its kind registered a resumer.
func TestRecoverAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(db, events.NewBus(), slog.Default())
	block := make(chan struct{})
	a, _ := m.Start(ctx, who, Spec{Kind: "lab.create", Run: func(ctx context.Context, p *Progress) error { <-block; return nil }})
	b, _ := m.Start(ctx, who, Spec{Kind: "other", Run: func(ctx context.Context, p *Progress) error { <-block; return nil }})
	time.Sleep(50 * time.Millisecond)
	// Simulate a crash: the process goes away without finishing; close the
	// database under it and open a new manager on the same file.
	db2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	m2 := NewManager(db2, events.NewBus(), slog.Default())
	defer m2.Shutdown(ctx)
	m2.OnRestart("lab.create", func(op Operation) Func {
		return func(ctx context.Context, p *Progress) error {
			p.Update("resumed", 50, "picked up after restart")
			return nil
		}
	})
	resumed, failed, err := m2.Recover(ctx)
	if err != nil || resumed != 1 || failed != 1 {
		t.Fatalf("recover = %d resumed, %d failed, %v", resumed, failed, err)
	}
	if op, _ := m2.Wait(ctx, a.ID); op.Status != StatusSuccess || op.Stage != "resumed" {
		t.Fatalf("resumed op = %+v", op)
	}
	if op, _ := m2.Get(ctx, b.ID); op.Status != StatusFailure {
		t.Fatalf("interrupted op = %+v", op)
	}
	close(block)
	m.Shutdown(ctx)
	db.Close()
}
