package desktop

import (
	"encoding/json"
	"strings"
	"testing"
)

func rolloutEvent(t *testing.T, id, status, reason, claimedBy string, wave int) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"type": "rollout.updated", "id": id, "data": map[string]any{
		"id": id, "release_id": 7, "status": status, "wave": wave, "pause_reason": reason, "claimed_by": claimedBy}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A rollout that pauses for a decision tells admins once per pause; its
// other updates (targets moving, a claim) and other users stay quiet.
func TestRolloutPauseNotifiesAdminsOnce(t *testing.T) {
	admin := true
	n := NewNotifier(func() bool { return false })
	n.IsAdmin = func() bool { return admin }
	breach := "1 of 2 targets failed in wave 2: the limit of 0 per wave (0) is exceeded."
	var got []Notification
	for _, ev := range [][]byte{
		rolloutEvent(t, "r1", "running", "", "", 0),
		rolloutEvent(t, "r1", "running", "", "", 1),
		rolloutEvent(t, "r1", "paused", breach, "", 1),
		rolloutEvent(t, "r1", "paused", breach, "", 1),                                           // a target saved again
		rolloutEvent(t, "r1", "paused", breach, "adam", 1),                                       // claimed
		rolloutEvent(t, "r1", "running", "", "", 1),                                              // retried…
		rolloutEvent(t, "r1", "paused", breach, "", 1),                                           // …and failed again: a new pause
		rolloutEvent(t, "r2", "paused", "Wave 2 (3 targets) waits for an admin's go.", "eve", 1), // first seen, already claimed
		rolloutEvent(t, "r1", "aborted", "", "", 1),
	} {
		if note, ok := n.Consider(ev); ok {
			got = append(got, note)
		}
	}
	if len(got) != 2 {
		t.Fatalf("notifications %+v, want 2", got)
	}
	for _, note := range got {
		if note.Title != "Rollout paused" || note.ID != "rollout-r1" || !strings.Contains(note.Body, "wave 2") || !strings.Contains(note.Body, breach) {
			t.Errorf("notification %+v", note)
		}
	}

	// Someone who does not decide on rollouts is not told.
	admin = false
	if note, ok := n.Consider(rolloutEvent(t, "r3", "paused", "The freeze \"Black Friday\" holds production.", "", 0)); ok {
		t.Fatalf("a non-admin was told: %+v", note)
	}
	// Nor is anyone when the notifier cannot tell who is an admin.
	if note, ok := NewNotifier(nil).Consider(rolloutEvent(t, "r4", "paused", "x", "", 0)); ok {
		t.Fatalf("told without knowing the roles: %+v", note)
	}
}
