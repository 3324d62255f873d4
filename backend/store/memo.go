package store

import (
	"errors"
	"sync"
)

// Generation counts the write transactions this handle has finished. A
// value read before a query and still current afterwards means no write of
// this process committed in between: what the query read is still what the
// database holds. Every write goes through Tx, which advances it after the
// commit, so a reader never sees the new generation with the old data.
func (db *DB) Generation() uint64 { return db.gen.Load() }

// Memo remembers the results of expensive reads (the calendar, the KPI
// report) until the next write: an entry is valid for the generation it
// was read at. The read is shared, so it should run on a context that one
// caller's cancel does not end (context.WithoutCancel). Concurrent misses on one key wait for a single read instead
// of running it once each (after a write, ten dashboards refreshing at once
// cost one query, not ten).
type Memo[K comparable, V any] struct {
	db  *DB
	max int

	mu      sync.Mutex
	entries map[K]*memoEntry[V]
}

type memoEntry[V any] struct {
	gen   uint64
	ready chan struct{} // closed when val and err are set
	val   V
	err   error
}

// NewMemo returns a memo of at most max entries over db's writes.
func NewMemo[K comparable, V any](db *DB, max int) *Memo[K, V] {
	return &Memo[K, V]{db: db, max: max, entries: map[K]*memoEntry[V]{}}
}

// Get returns the value for key read at the current generation, calling
// read when there is none. Errors are returned to the callers that waited
// on them and not kept.
func (m *Memo[K, V]) Get(key K, read func() (V, error)) (V, error) {
	gen := m.db.Generation()
	m.mu.Lock()
	e, ok := m.entries[key]
	if ok && e.gen == gen {
		m.mu.Unlock()
		<-e.ready
		return e.val, e.err
	}
	if len(m.entries) >= m.max {
		clear(m.entries)
	}
	e = &memoEntry[V]{gen: gen, ready: make(chan struct{})}
	m.entries[key] = e
	m.mu.Unlock()

	m.fill(key, e, read)
	return e.val, e.err
}

// fill runs read for e; a failed (or panicking) read is forgotten so that
// the next caller tries again, and waiters are released either way.
func (m *Memo[K, V]) fill(key K, e *memoEntry[V], read func() (V, error)) {
	ok := false
	defer func() {
		if !ok && e.err == nil {
			e.err = errMemoPanic
		}
		close(e.ready)
		if e.err != nil {
			m.mu.Lock()
			if m.entries[key] == e {
				delete(m.entries, key)
			}
			m.mu.Unlock()
		}
	}()
	e.val, e.err = read()
	ok = true
}

var errMemoPanic = errors.New("store: memoized read panicked")
