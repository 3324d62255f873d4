package desktop

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// Notification is a desktop notification to show.
type Notification struct {
	ID    string
	Title string
	Body  string
}

// Notifier picks, from the live events, the few that deserve a desktop
// notification: a lab's build or test period ending, a rollout ending, a
// release starting to wait for approval (for users who may approve), and a
// rollout pausing for an admin to decide (for admins).
type Notifier struct {
	mu       sync.Mutex
	states   map[string]string // release id → last state seen
	finished map[string]bool   // operation ids already notified
	pauses   map[string]string // rollout id → the pause last seen ("" while not paused)
	// CanApprove says whether the signed-in user may approve (managers).
	CanApprove func() bool
	// IsAdmin says whether the signed-in user decides on rollouts (admins);
	// nil: nobody is told of a paused rollout.
	IsAdmin func() bool
}

// NewNotifier returns a notifier for a user who may approve when canApprove says so.
func NewNotifier(canApprove func() bool) *Notifier {
	return &Notifier{states: map[string]string{}, finished: map[string]bool{}, pauses: map[string]string{}, CanApprove: canApprove}
}

type envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// Consider returns the notification an event calls for, if any.
func (n *Notifier) Consider(raw []byte) (Notification, bool) {
	var ev envelope
	if json.Unmarshal(raw, &ev) != nil {
		return Notification{}, false
	}
	switch ev.Type {
	case "operation.updated":
		var op struct {
			Kind, Status, Message, Error string
		}
		if json.Unmarshal(ev.Data, &op) != nil {
			return Notification{}, false
		}
		if op.Status != "success" && op.Status != "failure" && op.Status != "cancelled" {
			return Notification{}, false
		}
		what := map[string]string{"lab.create": "Lab build", "lab.test-period": "Test period"}[op.Kind]
		if what == "" && strings.HasPrefix(op.Kind, "rollout") {
			what = "Rollout"
		}
		if what == "" || !n.first(ev.ID) {
			return Notification{}, false
		}
		body := op.Message
		if op.Status == "failure" && op.Error != "" {
			body = op.Error
		}
		return Notification{ID: "op-" + ev.ID, Title: fmt.Sprintf("%s %s", what, map[string]string{"success": "finished", "failure": "failed", "cancelled": "cancelled"}[op.Status]),
			Body: clipText(body, 200)}, true
	case "release.updated", "release.created":
		var r struct {
			Name, Version, State string
		}
		if json.Unmarshal(ev.Data, &r) != nil || r.State == "" {
			return Notification{}, false
		}
		n.mu.Lock()
		before, seen := n.states[ev.ID]
		n.states[ev.ID] = r.State
		n.mu.Unlock()
		if r.State != "awaiting-approval" || (seen && before == r.State) || (n.CanApprove != nil && !n.CanApprove()) {
			return Notification{}, false
		}
		return Notification{ID: "approval-" + ev.ID, Title: "Approval waiting",
			Body: fmt.Sprintf("%s %s is waiting for sign-off.", r.Name, r.Version)}, true
	case "rollout.updated":
		return n.rolloutPaused(ev)
	}
	return Notification{}, false
}

// rolloutPaused tells admins once of each pause of a rollout: a breached
// failure limit, a freeze, a wave waiting for its go. The rollout's many
// other updates (a target's step, a claim) say nothing new.
func (n *Notifier) rolloutPaused(ev envelope) (Notification, bool) {
	var r struct {
		ReleaseID   int64  `json:"release_id"`
		Status      string `json:"status"`
		Wave        int    `json:"wave"`
		PauseReason string `json:"pause_reason"`
		ClaimedBy   string `json:"claimed_by"`
	}
	if json.Unmarshal(ev.Data, &r) != nil || r.Status == "" {
		return Notification{}, false
	}
	pause := ""
	if r.Status == "paused" {
		pause = fmt.Sprintf("%d|%s", r.Wave, r.PauseReason)
	}
	n.mu.Lock()
	before, seen := n.pauses[ev.ID]
	n.pauses[ev.ID] = pause
	n.mu.Unlock()
	// A pause already claimed when first seen has someone deciding.
	if pause == "" || (seen && before == pause) || (!seen && r.ClaimedBy != "") || n.IsAdmin == nil || !n.IsAdmin() {
		return Notification{}, false
	}
	reason := r.PauseReason
	if reason == "" {
		reason = "It waits for an admin to decide."
	}
	return Notification{ID: "rollout-" + ev.ID, Title: "Rollout paused",
		Body: clipText(fmt.Sprintf("Release #%d, wave %d: %s Claim it to decide.", r.ReleaseID, r.Wave+1, reason), 200)}, true
}

// first reports whether an operation's end is new (an operation may send
// its final state more than once).
func (n *Notifier) first(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.finished[id] {
		return false
	}
	n.finished[id] = true
	return true
}

func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-1] + "…"
}
