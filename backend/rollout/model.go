package rollout

import "time"

// Status is where a rollout is.
type Status string

// Rollout statuses; the last four are final.
const (
	StatusRunning     Status = "running"
	StatusPaused      Status = "paused"
	StatusRollingBack Status = "rolling-back"
	StatusSucceeded   Status = "succeeded"
	StatusFailed      Status = "failed"
	StatusRolledBack  Status = "rolled-back"
	StatusAborted     Status = "aborted"
)

// EnumValues lists the statuses, for the API document.
func (Status) EnumValues() []string {
	return []string{string(StatusRunning), string(StatusPaused), string(StatusRollingBack), string(StatusSucceeded),
		string(StatusFailed), string(StatusRolledBack), string(StatusAborted)}
}

// Done reports whether the rollout has ended.
func (s Status) Done() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusRolledBack || s == StatusAborted
}

// TargetState is where one target of a rollout is.
type TargetState string

// Target states.
const (
	TargetPending     TargetState = "pending"
	TargetPreparing   TargetState = "preparing"  // snapshot being taken
	TargetInstalling  TargetState = "installing" // package going in
	TargetInstalled   TargetState = "installed"  // installed and verified, gate to come
	TargetHealthy     TargetState = "healthy"    // passed its gate
	TargetFailed      TargetState = "failed"
	TargetExcluded    TargetState = "excluded" // an admin left it out
	TargetRollingBack TargetState = "rolling-back"
	TargetRolledBack  TargetState = "rolled-back"
)

// EnumValues lists the target states, for the API document.
func (TargetState) EnumValues() []string {
	return []string{string(TargetPending), string(TargetPreparing), string(TargetInstalling), string(TargetInstalled), string(TargetHealthy),
		string(TargetFailed), string(TargetExcluded), string(TargetRollingBack), string(TargetRolledBack)}
}

// changed reports whether the package may be on the target (rollback
// must undo it).
func (s TargetState) changed() bool {
	switch s {
	case TargetInstalling, TargetInstalled, TargetHealthy, TargetFailed, TargetRollingBack:
		return true
	}
	return false
}

// Rollout is a promotion of a release's approved package to its targets.
type Rollout struct {
	ID        string `json:"id"`
	ReleaseID int64  `json:"release_id"`
	Digest    string `json:"digest"`
	Plan      Plan   `json:"plan"`
	Status    Status `json:"status"`
	// Wave is the wave being worked on (0-based); WaveSizes the plan's waves.
	Wave      int   `json:"wave"`
	WaveSizes []int `json:"wave_sizes"`
	// Phase is what the current wave is doing: install or gate.
	Phase       string `json:"phase"`
	PauseReason string `json:"pause_reason"`
	// PausedAt is when the pause that holds the rollout began (nil unless
	// paused): a claim or an exclusion while paused does not move it.
	PausedAt  *time.Time `json:"paused_at"`
	ClaimedBy string     `json:"claimed_by"`
	// Deadline is when the current wave must have passed its gate; nil
	// while paused (the time left is kept) or between waves.
	Deadline     *time.Time    `json:"deadline"`
	deadlineLeft time.Duration // of a paused wave
	Error        string        `json:"error"`
	// Counts is how many of its targets are in each state.
	Counts map[TargetState]int `json:"counts"`
	// Targets are all its targets on GET; in a list, none (Counts sums
	// them up); in a rollout.updated event, those that changed since the
	// previous event.
	Targets    []TargetRun `json:"targets"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
	FinishedAt *time.Time  `json:"finished_at"`
}

// count fills in Counts from Targets.
func (r *Rollout) count() {
	r.Counts = map[TargetState]int{}
	for _, t := range r.Targets {
		r.Counts[t.State]++
	}
}

// TargetRun is one target's part in a rollout.
type TargetRun struct {
	Target
	Wave     int         `json:"wave"`
	Position int         `json:"position"`
	State    TargetState `json:"state"`
	Snapshot string      `json:"snapshot"`
	PausedMS int64       `json:"paused_ms"` // how long its snapshot stood the VM still
	// CommandMS is the time its commands took on the target (copy,
	// install, verify, gate checks, rollback), in milliseconds.
	CommandMS int64         `json:"command_ms"`
	Failed    int           `json:"failed_rounds"`
	Unknown   int           `json:"unknown_rounds"`
	Checks    []CheckResult `json:"checks"` // the last round's results
	Error     string        `json:"error"`
}

// mayCarry reports whether the package may be on the target, so that a
// rollback must undo it: a VM whose snapshot was never taken was never
// touched.
func (t TargetRun) mayCarry() bool {
	if !t.State.changed() {
		return false
	}
	return t.Kind != KindVM || t.Snapshot != ""
}
