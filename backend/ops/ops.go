// Package ops runs Shakedown's long operations (lab builds, test periods,
// rollouts): each has an id, a status, progress as data and a cancel, is
// persisted as a row, and every change is published as an event.
package ops

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// Status is where an operation is in its life.
type Status string

const (
	StatusPending    Status = "pending"
	StatusRunning    Status = "running"
	StatusSuccess    Status = "success"
	StatusFailure    Status = "failure"
	StatusCancelling Status = "cancelling"
	StatusCancelled  Status = "cancelled"
)

// Done reports whether the status is final.
func (s Status) Done() bool {
	return s == StatusSuccess || s == StatusFailure || s == StatusCancelled
}

// Operation is the persisted state of one long operation.
type Operation struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Status    Status    `json:"status"`
	Stage     string    `json:"stage"`
	Percent   float64   `json:"percent"`
	Message   string    `json:"message"`
	Error     string    `json:"error"`
	Entity    string    `json:"entity"`
	EntityID  string    `json:"entity_id"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Func is the work of an operation. It must return promptly once ctx is
// cancelled, after undoing what it half-did.
type Func func(ctx context.Context, p *Progress) error

// Spec describes an operation to start.
type Spec struct {
	Kind     string
	Entity   string
	EntityID string
	Run      Func
}

// Manager starts, tracks and cancels operations.
type Manager struct {
	db  *store.DB
	bus events.Publisher
	log *slog.Logger
	now func() time.Time

	base     context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	running  map[string]*runState
	resumers map[string]func(Operation) Func
}

// NewManager returns a manager whose operations stop when Shutdown is called.
func NewManager(db *store.DB, bus events.Publisher, log *slog.Logger) *Manager {
	base, stop := context.WithCancel(context.Background())
	return &Manager{db: db, bus: bus, log: log, now: time.Now, base: base, stop: stop,
		running: map[string]*runState{}, resumers: map[string]func(Operation) Func{}}
}

// OnRestart registers how to resume an operation of kind that was running
// when Shakedown stopped. Kinds without one are marked failed on restart.
func (m *Manager) OnRestart(kind string, resume func(Operation) Func) {
	m.mu.Lock()
	m.resumers[kind] = resume
	m.mu.Unlock()
}

// Recover deals with operations left unfinished by a previous run: resumes
// those whose kind knows how, and marks the others failed. It returns how
// many of each.
func (m *Manager) Recover(ctx context.Context) (resumed, failed int, err error) {
	list, _, err := m.List(ctx, Filter{Statuses: []Status{StatusPending, StatusRunning, StatusCancelling}, Limit: 10000})
	if err != nil {
		return 0, 0, err
	}
	for _, op := range list {
		m.mu.Lock()
		resume := m.resumers[op.Kind]
		m.mu.Unlock()
		if resume != nil && op.Status != StatusCancelling {
			m.launch(op, resume(op))
			resumed++
			continue
		}
		status := StatusFailure
		msg := "Shakedown stopped while this operation ran; it did not finish."
		if op.Status == StatusCancelling {
			status, msg = StatusCancelled, "Cancelled (Shakedown stopped while cancelling)."
		}
		op.Status, op.Error = status, msg
		if err := m.save(ctx, &op); err != nil {
			return resumed, failed, err
		}
		failed++
	}
	return resumed, failed, nil
}

// Start records a new operation and runs it in the background. The
// returned value is its state at the start (pending).
func (m *Manager) Start(ctx context.Context, by auth.Actor, spec Spec) (Operation, error) {
	if m.base.Err() != nil {
		return Operation{}, apperr.Conflict("", "Shakedown is shutting down; try again when it is back.")
	}
	now := m.now().UTC().Truncate(time.Millisecond)
	op := Operation{ID: newID(), Kind: spec.Kind, Status: StatusPending, Entity: spec.Entity, EntityID: spec.EntityID,
		CreatedBy: by.Username, CreatedAt: now, UpdatedAt: now}
	err := m.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO operations (id, kind, status, stage, percent, message, error, entity, entity_id, created_by, created_at, updated_at)
			VALUES (?, ?, ?, '', 0, '', '', ?, ?, ?, ?, ?)`, op.ID, op.Kind, string(op.Status), op.Entity, op.EntityID, op.CreatedBy,
			store.FormatTime(now), store.FormatTime(now))
		return err
	})
	if err != nil {
		return Operation{}, err
	}
	m.bus.Publish(events.OperationUpdated, op.ID, op)
	m.launch(op, spec.Run)
	return op, nil
}

// runState is what the manager keeps of a running operation.
type runState struct {
	cancel     context.CancelFunc
	cancelling atomic.Bool
}

func (m *Manager) launch(op Operation, run Func) {
	ctx, cancel := context.WithCancel(m.base)
	rs := &runState{cancel: cancel}
	m.mu.Lock()
	m.running[op.ID] = rs
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() {
			m.mu.Lock()
			delete(m.running, op.ID)
			m.mu.Unlock()
			cancel()
		}()
		p := &Progress{m: m, op: op, rs: rs}
		p.set(func(o *Operation) { o.Status = StatusRunning }, true)
		err := runSafely(ctx, run, p)
		p.set(func(o *Operation) {
			switch {
			case err == nil:
				o.Status, o.Percent = StatusSuccess, 100
			case ctx.Err() != nil && (errors.Is(err, context.Canceled) || o.Status == StatusCancelling):
				o.Status = StatusCancelled
				if m.base.Err() != nil {
					o.Status, o.Error = StatusFailure, "Shakedown stopped while this operation ran; it did not finish."
				}
			default:
				o.Status, o.Error = StatusFailure, err.Error()
			}
		}, true)
	}()
}

func runSafely(ctx context.Context, run Func, p *Progress) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return run(ctx, p)
}

// Cancel asks a running operation to stop.
func (m *Manager) Cancel(ctx context.Context, by auth.Actor, id string) (Operation, error) {
	op, err := m.Get(ctx, id)
	if err != nil {
		return op, err
	}
	if by.Username != op.CreatedBy && !by.Has(auth.RoleAdmin) {
		return op, apperr.Forbidden("Only %s, who started operation %s, or an admin may cancel it.", op.CreatedBy, id)
	}
	if op.Status.Done() {
		return op, apperr.Conflict("", "Operation %s has already ended (%s); there is nothing to cancel.", id, op.Status)
	}
	m.mu.Lock()
	rs := m.running[id]
	m.mu.Unlock()
	if rs == nil {
		return op, apperr.Conflict("", "Operation %s is not running in this Shakedown process.", id)
	}
	rs.cancelling.Store(true)
	op.Status, op.Message = StatusCancelling, "Cancelling at the request of "+by.Username
	if err := m.save(ctx, &op); err != nil {
		return op, err
	}
	rs.cancel()
	return op, nil
}

// Running reports whether the operation runs in this process now.
func (m *Manager) Running(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.running[id]
	return ok
}

// Shutdown cancels every running operation and waits for them (or ctx).
func (m *Manager) Shutdown(ctx context.Context) {
	m.stop()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Wait blocks until the operation ends or ctx is done.
func (m *Manager) Wait(ctx context.Context, id string) (Operation, error) {
	for {
		op, err := m.Get(ctx, id)
		if err != nil || op.Status.Done() {
			return op, err
		}
		select {
		case <-ctx.Done():
			return op, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Get returns one operation.
func (m *Manager) Get(ctx context.Context, id string) (Operation, error) {
	list, _, err := m.query(ctx, ` WHERE id = ?`, []any{id}, 1, 0)
	if err != nil {
		return Operation{}, err
	}
	if len(list) == 0 {
		return Operation{}, apperr.NotFound("operation", id)
	}
	return list[0], nil
}

// Filter narrows a listing of operations.
type Filter struct {
	Statuses []Status
	Kind     string
	Entity   string
	EntityID string
	Limit    int
	Offset   int
}

// List returns operations newest first.
func (m *Manager) List(ctx context.Context, f Filter) ([]Operation, int, error) {
	var w store.Where
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		args := make([]any, len(f.Statuses))
		for i, s := range f.Statuses {
			ph[i], args[i] = "?", string(s)
		}
		w.Add("status IN ("+strings.Join(ph, ",")+")", args...)
	}
	w.Equal("kind", f.Kind)
	w.Equal("entity", f.Entity)
	w.Equal("entity_id", f.EntityID)
	if f.Limit <= 0 {
		f.Limit = 50
	}
	return m.query(ctx, w.SQL(), w.Args(), f.Limit, f.Offset)
}

func (m *Manager) query(ctx context.Context, cond string, args []any, limit, offset int) ([]Operation, int, error) {
	var total int
	if err := m.db.QueryRowContext(ctx, `SELECT count(*) FROM operations `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := m.db.QueryContext(ctx, `SELECT id, kind, status, stage, percent, message, error, entity, entity_id, created_by, created_at, updated_at
		FROM operations `+cond+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Operation{}
	for rows.Next() {
		var o Operation
		var ca, ua string
		if err := rows.Scan(&o.ID, &o.Kind, &o.Status, &o.Stage, &o.Percent, &o.Message, &o.Error, &o.Entity, &o.EntityID, &o.CreatedBy, &ca, &ua); err != nil {
			return nil, 0, err
		}
		o.CreatedAt, _ = store.ParseTime(ca)
		o.UpdatedAt, _ = store.ParseTime(ua)
		out = append(out, o)
	}
	return out, total, rows.Err()
}

// save writes op's mutable fields and publishes it. A context detached from
// the request's is used so that a final status is written even when the
// operation's own context was cancelled.
func (m *Manager) save(ctx context.Context, op *Operation) error {
	op.UpdatedAt = m.now().UTC().Truncate(time.Millisecond)
	ctx = context.WithoutCancel(ctx)
	err := m.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE operations SET status = ?, stage = ?, percent = ?, message = ?, error = ?, updated_at = ? WHERE id = ?`,
			string(op.Status), op.Stage, op.Percent, op.Message, op.Error, store.FormatTime(op.UpdatedAt), op.ID)
		return err
	})
	if err != nil {
		m.log.Error("save operation", "id", op.ID, "err", err)
		return err
	}
	m.bus.Publish(events.OperationUpdated, op.ID, *op)
	return nil
}

// Progress is handed to a running operation to report how far it is.
type Progress struct {
	m         *Manager
	rs        *runState
	mu        sync.Mutex
	op        Operation
	lastWrite time.Time
}

// progressInterval bounds how often progress is written and published.
const progressInterval = 200 * time.Millisecond

// Update reports the stage, percent done (0–100) and a human message.
// Stage changes are always written; percent-only changes at most five
// times a second.
func (p *Progress) Update(stage string, percent float64, message string) {
	p.mu.Lock()
	force := stage != p.op.Stage
	p.mu.Unlock()
	p.set(func(o *Operation) {
		o.Stage, o.Message = stage, message
		o.Percent = max(0, min(100, percent))
	}, force)
}

// ID is the operation's id.
func (p *Progress) ID() string { return p.op.ID }

func (p *Progress) set(change func(*Operation), force bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rs.cancelling.Load() && !p.op.Status.Done() {
		p.op.Status = StatusCancelling
	}
	change(&p.op)
	now := p.m.now()
	if !force && now.Sub(p.lastWrite) < progressInterval {
		return
	}
	p.lastWrite = now
	_ = p.m.save(context.Background(), &p.op)
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
