// Package revert undoes the steps of half-done work in reverse order:
// `r := revert.New(); defer r.Fail()` … `r.Success()`. A lab build that
// fails at step 4 removes what steps 1–3 made.
package revert

import (
	"context"
	"sync"
	"time"
)

// Reverter collects undo steps.
type Reverter struct {
	mu   sync.Mutex
	undo []func(ctx context.Context)
	done bool
}

// New returns an empty reverter.
func New() *Reverter { return &Reverter{} }

// Add registers the undo of a step that just succeeded.
func (r *Reverter) Add(f func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.undo = append(r.undo, f)
}

// Success keeps what was made: Fail does nothing after it.
func (r *Reverter) Success() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
}

// Fail runs the undo steps, newest first, with a context of their own: the
// work's context is usually the one that was just cancelled.
func (r *Reverter) Fail() {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	undo := r.undo
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i](ctx)
	}
}
