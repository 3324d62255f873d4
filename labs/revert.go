package labs

import (
	"context"
	"time"
)

// reverter undoes the steps of a half-done build in reverse order unless
// Success is called: `defer r.Fail()` … `r.Success()`.
type reverter struct {
	undo []func(ctx context.Context)
	done bool
}

func (r *reverter) Add(f func(ctx context.Context)) { r.undo = append(r.undo, f) }

func (r *reverter) Success() { r.done = true }

// Fail runs the undo steps with a context of their own: the operation's
// context is usually the one that was just cancelled.
func (r *reverter) Fail() {
	if r.done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := len(r.undo) - 1; i >= 0; i-- {
		r.undo[i](ctx)
	}
	r.done = true
}
