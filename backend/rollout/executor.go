package rollout

import (
	"context"
	"time"

	"github.com/shakedown/shakedown/backend/packages"
)

// Kind is how Shakedown reaches a target.
type Kind string

// Target kinds.
const (
	KindVM     Kind = "vm"     // a libvirt domain, through its guest agent
	KindSSH    Kind = "ssh"    // a host over SSH
	KindManual Kind = "manual" // a person does it and marks it done
)

// EnumValues lists the kinds, for the API document.
func (Kind) EnumValues() []string {
	return []string{string(KindVM), string(KindSSH), string(KindManual)}
}

// Target is one production target of a rollout: a configuration item and
// how to reach it.
type Target struct {
	CIID int64  `json:"ci_id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Host and Domain place a vm target on a libvirt host.
	Host   string `json:"host,omitempty"`
	Domain string `json:"domain,omitempty"`
	// Address is what an HTTP check's {address} stands for.
	Address string `json:"address,omitempty"`
}

// Outcome of one check on one target: passed, failed, or neither (the
// target could not be asked), which pauses rather than passes.
type Outcome string

// Outcomes.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Unknown Outcome = "unknown"
)

// EnumValues lists the outcomes, for the API document.
func (Outcome) EnumValues() []string {
	return []string{string(Passed), string(Failed), string(Unknown)}
}

// CheckResult is what one check said on one target in one round.
type CheckResult struct {
	Check   string  `json:"check"`
	Outcome Outcome `json:"outcome"`
	Output  string  `json:"output"`
}

// Marker is what Shakedown leaves on a target it installed: the package
// digest and the rollout, so a target is never installed twice and "what
// runs where" can be read back from the target itself.
type Marker struct {
	Digest    string    `json:"digest"`
	RolloutID string    `json:"rollout_id"`
	ReleaseID int64     `json:"release_id"`
	At        time.Time `json:"at"`
}

// MarkerPath is where the marker lives on a target.
const MarkerPath = "/var/lib/shakedown/installed.json"

// Executor carries out a rollout's steps on one target. An executor holds
// its connection (SSH) or host handle (libvirt) for the rollout's life.
type Executor interface {
	// Marker reads the target's marker (zero if Shakedown never installed it).
	Marker(ctx context.Context) (Marker, error)
	// Prepare readies the target's rollback: a snapshot for a VM (named
	// snap; paused says how long the guest stood still), nothing for SSH.
	Prepare(ctx context.Context, snap string) (paused time.Duration, err error)
	// Install copies the package in (its sha256 checked on the target),
	// places its files, runs install and verify, and writes the marker.
	// resume says a previous run recorded the install as started (the
	// target says how far it went). log receives the output as it comes.
	Install(ctx context.Context, plan *packages.InstallPlan, m Marker, resume bool, log func(string)) error
	// Check runs one gate check.
	Check(ctx context.Context, name, command string) CheckResult
	// Rollback undoes Install: revert to the snapshot snap (VM) or run the
	// package's rollback command (SSH).
	Rollback(ctx context.Context, snap string, plan *packages.InstallPlan, log func(string)) error
	// Forget drops what Prepare kept (the snapshot), once the release no
	// longer needs a way back.
	Forget(ctx context.Context, snap string) error
	// TakeCommandTime returns the time its commands took on the target
	// since the last call.
	TakeCommandTime() time.Duration
	Close() error
}

// Connector opens an executor for a target.
type Connector interface {
	Connect(ctx context.Context, t Target) (Executor, error)
}
