// Package ops runs Shakedown's long operations (lab builds, test periods,
// rollouts): each has an id, a status, progress as data and a cancel, is
// persisted as a row, and every change is published as an event.
package ops

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
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

	// publicError is Error as everyone but its starter and admins reads it,
	// when the error is private (PrivateError); empty: Error is for all.
	publicError string
}

// For returns the operation as viewer may read it: in full for who started
// it and for admins; for everyone else a private error (a connection
// error, which would tell what listens where) is replaced by its public
// text. Every answer and event that carries an operation goes through it.
func (o Operation) For(viewer auth.Actor) Operation {
	if o.publicError == "" || viewer.Has(auth.RoleAdmin) || (viewer.Username != "" && viewer.Username == o.CreatedBy) {
		return o
	}
	return o.redacted()
}

func (o Operation) redacted() Operation {
	if o.publicError != "" {
		o.Error = o.publicError + " " + o.CreatedBy + " and admins see the details."
		o.publicError = ""
	}
	return o
}

// Owner is who started the operation (events.Personal).
func (o Operation) Owner() string { return o.CreatedBy }

// ForOthers is the operation as everyone but its owner and admins receive
// it in events (events.Personal).
func (o Operation) ForOthers() any { return o.redacted() }

// PrivateError is an operation's error whose detail only who started the
// operation and admins may read; everyone else reads Public.
type PrivateError struct {
	Err    error
	Public string
}

func (e *PrivateError) Error() string { return e.Err.Error() }
func (e *PrivateError) Unwrap() error { return e.Err }

// Private marks err as private to the operation's starter and admins, with
// public as what everyone else is told. A nil err stays nil.
func Private(err error, public string) error {
	if err == nil {
		return nil
	}
	return &PrivateError{Err: err, Public: public}
}

// setError records err as the operation's error, with its public text when
// it is private.
func (o *Operation) setError(err error) {
	o.Error, o.publicError = err.Error(), ""
	var pe *PrivateError
	if errors.As(err, &pe) {
		o.publicError = pe.Public
	}
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

	base    context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup // one per operation from Start's admission to its end
	mu      sync.Mutex
	closing bool // set by Shutdown under mu: Start admits nothing after it
	running map[string]*run
}

// NewManager returns a manager whose operations stop when Shutdown is called.
func NewManager(db *store.DB, bus events.Publisher, log *slog.Logger) *Manager {
	base, stop := context.WithCancel(context.Background())
	return &Manager{db: db, bus: bus, log: log, now: time.Now, base: base, stop: stop, running: map[string]*run{}}
}

// interrupted is the error of an operation Shakedown stopped under it.
const interrupted = "Shakedown stopped while this operation ran; it did not finish."

// Recover settles the operations a previous run left unfinished: pending
// and running ones are marked failed, cancelling ones cancelled. Those
// running in this process are left alone. It returns how many it settled.
func (m *Manager) Recover(ctx context.Context) (int, error) {
	list, _, err := m.List(ctx, Filter{Statuses: []Status{StatusPending, StatusRunning, StatusCancelling}, Limit: 10000})
	if err != nil {
		return 0, err
	}
	settled := 0
	for _, op := range list {
		if m.Running(op.ID) {
			continue
		}
		if op.Status == StatusCancelling {
			op.Status, op.Error = StatusCancelled, "Cancelled (Shakedown stopped while cancelling)."
		} else {
			op.Status, op.Error = StatusFailure, interrupted
		}
		op.publicError = ""
		op.UpdatedAt = m.stamp()
		if err := m.write(ctx, op, nil); errors.Is(err, errEnded) {
			continue // it ended in this process after the listing
		} else if err != nil {
			return settled, err
		}
		m.bus.Publish(events.OperationUpdated, op.ID, op)
		settled++
	}
	return settled, nil
}

// Start records a new operation and runs it in the background. The
// returned value is its state at the start (pending).
func (m *Manager) Start(ctx context.Context, by auth.Actor, spec Spec) (Operation, error) {
	// Admission and the WaitGroup's Add happen under the lock Shutdown
	// takes to close, so Shutdown waits for every operation it let in.
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return Operation{}, apperr.Conflict("", "Shakedown is shutting down; try again when it is back.")
	}
	m.wg.Add(1)
	m.mu.Unlock()
	launched := false
	defer func() {
		if !launched {
			m.wg.Done()
		}
	}()
	now := m.stamp()
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
	launched = true
	return op, nil
}

// run is an operation running in this process. It owns the operation's
// state: every change is made under its lock, in memory first, then written
// to the row and published in that order; none once the operation ended.
type run struct {
	m      *Manager
	id     string
	cancel context.CancelFunc
	done   chan struct{} // closed once the final state is written and published

	mu          sync.Mutex
	op          Operation
	lastWrite   time.Time
	cancelledBy string // who asked to cancel, once someone has
}

// snapshot returns the operation's state now.
func (r *run) snapshot() Operation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.op
}

// flush writes the in-memory state to the row and publishes it. The
// caller holds r.mu, so rows and events follow the order of the changes.
// A failed write is logged; the event still tells clients what Wait returns.
func (r *run) flush() {
	r.op.UpdatedAt = r.m.stamp()
	r.lastWrite = r.m.now()
	if err := r.m.write(context.Background(), r.op, nil); err != nil {
		r.m.log.Error("save operation", "id", r.id, "err", err)
	}
	r.m.bus.Publish(events.OperationUpdated, r.id, r.op)
}

// finished is the message of an operation that succeeded without saying so
// in its last report.
const finished = "Finished."

// finish sets, writes and publishes the final state, then marks the run
// done; from then on its state is read-only. A final state never keeps a
// message of an earlier step that says the work is still under way.
func (r *run) finish(ctx context.Context, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := &r.op
	switch {
	case o.Status == StatusCancelling:
		// A cancel that was accepted is what the user was told: it ends cancelled.
		o.Status = StatusCancelled
		if err == nil {
			o.Message = "Cancelled, but its work had already finished: nothing was undone."
		} else if errors.Is(err, context.Canceled) {
			o.Message = "Cancelled at the request of " + r.cancelledBy + "."
		} else {
			o.setError(err)
		}
	case err == nil:
		// Success is 100 %; a last report short of 100 was of a step on
		// the way ("Merging production overlays back"), not of the end.
		if o.Percent < 100 {
			o.Message = finished
		}
		o.Status, o.Percent = StatusSuccess, 100
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		o.Status, o.Error = StatusFailure, interrupted // only Shutdown cancels an op that is not cancelling
	default:
		o.Status = StatusFailure
		o.setError(err)
	}
	r.flush()
	close(r.done)
}

func (m *Manager) launch(op Operation, fn Func) {
	ctx, cancel := context.WithCancel(m.base)
	r := &run{m: m, id: op.ID, cancel: cancel, done: make(chan struct{}), op: op}
	m.mu.Lock()
	m.running[op.ID] = r
	m.mu.Unlock()
	go func() {
		defer m.wg.Done() // Added by Start
		defer cancel()
		r.mu.Lock()
		if r.op.Status == StatusPending { // a cancel may have come first
			r.op.Status = StatusRunning
			r.flush()
		}
		r.mu.Unlock()
		err := runSafely(ctx, fn, &Progress{r: r})
		r.finish(ctx, err)
		m.mu.Lock()
		delete(m.running, op.ID)
		m.mu.Unlock()
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

// Cancel asks a running operation to stop, and audits who asked. An
// operation that has ended cannot be cancelled (a conflict).
func (m *Manager) Cancel(ctx context.Context, by auth.Actor, id string) (Operation, error) {
	m.mu.Lock()
	r := m.running[id]
	m.mu.Unlock()
	if r == nil {
		op, err := m.Get(ctx, id)
		if err != nil {
			return op, err
		}
		if err := mayCancel(by, op); err != nil {
			return op, err
		}
		if op.Status.Done() {
			return op, ended(op)
		}
		return op, apperr.Conflict("", "Operation %s is not running in this Shakedown process.", id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	op := r.op
	if err := mayCancel(by, op); err != nil {
		return op, err
	}
	if op.Status.Done() {
		return op, ended(op)
	}
	if op.Status == StatusCancelling {
		return op, nil // asked already; it is on its way out
	}
	next := op
	next.Status, next.Message, next.UpdatedAt = StatusCancelling, "Cancelling at the request of "+by.Username, m.stamp()
	rec := audit.Record{Actor: by.Username, Action: "operation.cancel", Entity: "operation", EntityID: id, Before: op, After: next}
	if err := m.write(ctx, next, &rec); err != nil {
		return op, err
	}
	r.op, r.cancelledBy = next, by.Username
	m.bus.Publish(events.OperationUpdated, id, next)
	r.cancel()
	return next, nil
}

func mayCancel(by auth.Actor, op Operation) error {
	if by.Username != op.CreatedBy && !by.Has(auth.RoleAdmin) {
		return apperr.Forbidden("Only %s, who started operation %s, or an admin may cancel it.", op.CreatedBy, op.ID)
	}
	return nil
}

func ended(op Operation) error {
	return apperr.Conflict("", "Operation %s has already ended (%s); there is nothing to cancel.", op.ID, op.Status)
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
	m.mu.Lock()
	m.closing = true
	m.mu.Unlock()
	m.stop()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Wait blocks until the operation ends or ctx is done, and returns its
// state. An operation not running in this process has ended, or was
// interrupted by a stop: its recorded state is returned at once.
func (m *Manager) Wait(ctx context.Context, id string) (Operation, error) {
	m.mu.Lock()
	r := m.running[id]
	m.mu.Unlock()
	if r == nil {
		return m.Get(ctx, id)
	}
	select {
	case <-r.done:
		return r.snapshot(), nil
	case <-ctx.Done():
		return r.snapshot(), ctx.Err()
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
	rows, err := m.db.QueryContext(ctx, `SELECT id, kind, status, stage, percent, message, error, public_error, entity, entity_id, created_by, created_at, updated_at
		FROM operations `+cond+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Operation{}
	for rows.Next() {
		var o Operation
		var ca, ua string
		if err := rows.Scan(&o.ID, &o.Kind, &o.Status, &o.Stage, &o.Percent, &o.Message, &o.Error, &o.publicError, &o.Entity, &o.EntityID, &o.CreatedBy, &ca, &ua); err != nil {
			return nil, 0, err
		}
		o.CreatedAt, _ = store.ParseTime(ca)
		o.UpdatedAt, _ = store.ParseTime(ua)
		out = append(out, o)
	}
	return out, total, rows.Err()
}

// stamp is the time written into a row, at the store's precision.
func (m *Manager) stamp() time.Time { return m.now().UTC().Truncate(time.Millisecond) }

// errEnded is returned by write for a row that has already ended.
var errEnded = errors.New("operation has already ended")

// write saves op's mutable fields, and rec in the same transaction when
// given; a row that has ended is never written again (errEnded). The
// transaction and its statements run detached from ctx's cancellation: a
// state already decided in memory is always written.
func (m *Manager) write(ctx context.Context, op Operation, rec *audit.Record) error {
	ctx = context.WithoutCancel(ctx)
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE operations SET status = ?, stage = ?, percent = ?, message = ?, error = ?, public_error = ?, updated_at = ?
			WHERE id = ? AND status NOT IN (?, ?, ?)`,
			string(op.Status), op.Stage, op.Percent, op.Message, op.Error, op.publicError, store.FormatTime(op.UpdatedAt), op.ID,
			string(StatusSuccess), string(StatusFailure), string(StatusCancelled))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, errEnded)
		}
		if rec == nil {
			return nil
		}
		return audit.Append(ctx, tx, op.UpdatedAt, *rec)
	})
}

// Progress is handed to a running operation to report how far it is.
type Progress struct {
	r *run
}

// progressInterval bounds how often progress is written and published.
const progressInterval = 200 * time.Millisecond

// Stage is implemented by the string type of one operation kind's stages:
// its values (EnumValues) are the stages that kind reports, in the order it
// runs them, and OperationKind is that kind (Spec.Kind). The API document
// lists them per kind (api.OperationStages), so a stage reported is always
// one of a declared list.
type Stage interface {
	~string
	EnumValues() []string
	OperationKind() string
}

// Report reports the stage, percent done (0–100) and a human message. The
// stage is a value of the operation kind's Stage type, never a bare string.
// Stage changes are always written; percent-only changes at most five
// times a second. Once the operation has ended, reports are ignored. The
// message of a report at 100 % is what the operation says when it
// succeeds; without one, it says "Finished."
func Report[S Stage](p *Progress, stage S, percent float64, message string) {
	p.update(string(stage), percent, message)
}

func (p *Progress) update(stage string, percent float64, message string) {
	r := p.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.op.Status.Done() {
		return
	}
	force := stage != r.op.Stage
	r.op.Stage, r.op.Message, r.op.Percent = stage, message, max(0, min(100, percent))
	if !force && r.m.now().Sub(r.lastWrite) < progressInterval {
		return // kept in memory; the next write or the final one carries it
	}
	r.flush()
}

// ID is the operation's id.
func (p *Progress) ID() string { return p.r.id }

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
