// Package lab is Shakedown's lab service: lab records, the build pipeline
// (capture, network, clone, boot, apply) as an operation with undo, test
// periods, teardown, expiry, reconciliation with the hosts and P2V import
// records. It drives libvirt through the Host port (labs/ is the driver),
// and records evidence through the release service, which owns it.
package lab

import (
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/ops"
)

// Status is where a lab is in its life.
type Status string

// Lab statuses.
const (
	StatusCreating    Status = "creating"
	StatusReady       Status = "ready"
	StatusTesting     Status = "testing"
	StatusPassed      Status = "passed"
	StatusFailed      Status = "failed"
	StatusTearingDown Status = "tearing-down"
	StatusTornDown    Status = "torn-down"
	StatusError       Status = "error"
)

// EnumValues lists the statuses (for the API document).
func (Status) EnumValues() []string {
	return []string{string(StatusCreating), string(StatusReady), string(StatusTesting), string(StatusPassed), string(StatusFailed),
		string(StatusTearingDown), string(StatusTornDown), string(StatusError)}
}

// Live reports whether a lab in this status holds (or is making) objects
// on its host.
func (s Status) Live() bool { return s != StatusTornDown && s != StatusError }

// usable reports whether a lab in this status can run a test period.
func (s Status) usable() bool { return s == StatusReady || s == StatusPassed || s == StatusFailed }

// VMState is where one lab VM is.
type VMState string

// Lab VM states, in the order a build goes through them.
const (
	VMPending  VMState = "pending"
	VMCaptured VMState = "captured"
	VMDefined  VMState = "defined"
	VMBooting  VMState = "booting"
	VMRunning  VMState = "running"
	VMRemoved  VMState = "removed"
)

// EnumValues lists the states (for the API document).
func (VMState) EnumValues() []string {
	return []string{string(VMPending), string(VMCaptured), string(VMDefined), string(VMBooting), string(VMRunning), string(VMRemoved)}
}

// Stages of the lab operations, as their progress reports them.
const (
	StageCapture    = "capture"
	StageNetwork    = "network"
	StageClone      = "clone"
	StageBoot       = "boot"
	StageApply      = "apply"
	StageTestPeriod = "test-period"
	StageCancel     = "cancel"
	StageRemoveVMs  = "remove-vms"
	StageBases      = "bases"
	StageConnect    = "connect"
	StageStream     = "stream"
	StageDone       = "done"
)

// Stages lists every stage a lab operation reports.
var Stages = []string{StageCapture, StageNetwork, StageClone, StageBoot, StageApply, StageTestPeriod, StageCancel, StageRemoveVMs,
	StageBases, StageConnect, StageStream, StageDone}

// BaseKind says where a lab VM's base image came from.
type BaseKind string

// Base kinds.
const (
	BaseSnapshot BaseKind = "snapshot" // a live capture of a production VM
	BaseImport   BaseKind = "import"   // an imported (P2V) disk image
)

// EnumValues lists the kinds (for the API document).
func (BaseKind) EnumValues() []string { return []string{string(BaseSnapshot), string(BaseImport)} }

// BaseState says whether a base is still under a lab.
type BaseState string

// Base states.
const (
	BaseInUse    BaseState = "in-use"
	BaseReleased BaseState = "released" // no lab uses it; nothing to merge
	BaseMerged   BaseState = "merged"   // production's overlay was merged back into it
)

// EnumValues lists the states (for the API document).
func (BaseState) EnumValues() []string {
	return []string{string(BaseInUse), string(BaseReleased), string(BaseMerged)}
}

// Base is the captured image a lab VM is cloned from.
type Base struct {
	ID       int64     `json:"id"`
	Kind     BaseKind  `json:"kind"`
	Path     string    `json:"path"`
	Format   string    `json:"format"`
	Live     bool      `json:"live"`
	Quiesced bool      `json:"quiesced"`
	State    BaseState `json:"state"`
	Origin   string    `json:"origin"`
}

// VM is one lab VM.
type VM struct {
	CIID   int64   `json:"ci_id"`
	CIName string  `json:"ci_name"`
	Domain string  `json:"domain"`
	Volume string  `json:"volume"`
	State  VMState `json:"state"`
	Base   *Base   `json:"base"`
	// source is the production domain, or image-<ci> for an imported disk.
	source string
	// capacity is the base's virtual size, known during a build.
	capacity uint64
}

// Summary counts a lab's evidence.
type Summary struct {
	InstallsPassed int `json:"installs_passed"`
	InstallsFailed int `json:"installs_failed"`
	ChecksPassed   int `json:"checks_passed"`
	ChecksFailed   int `json:"checks_failed"`
	Rounds         int `json:"rounds"`
}

// failed reports whether anything the lab recorded failed.
func (s Summary) failed() bool { return s.InstallsFailed+s.ChecksFailed > 0 }

// any reports whether the lab recorded anything.
func (s Summary) any() bool {
	return s.InstallsPassed+s.InstallsFailed+s.ChecksPassed+s.ChecksFailed > 0
}

// Lab is a lab record.
type Lab struct {
	ID          string    `json:"id"`
	ReleaseID   int64     `json:"release_id"`
	Host        string    `json:"host"`
	Network     string    `json:"network"`
	Status      Status    `json:"status"`
	ExpiresAt   time.Time `json:"expires_at"`
	OperationID string    `json:"operation_id"`
	Error       string    `json:"error"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	VMs         []VM      `json:"vms"`
	Summary     Summary   `json:"summary"`
	Spec        LabInput  `json:"spec"`
}

// Started is the answer to a request that started an operation of a lab.
type Started struct {
	Lab       Lab           `json:"lab"`
	Operation ops.Operation `json:"operation"`
}

// Filter narrows a list of labs.
type Filter struct {
	ReleaseID int64
	Status    Status
	Limit     int
	Offset    int
}

// Names of the libvirt objects of a lab: the lab id in each name is how
// reconciliation finds them (libvirt 9.0 has no metadata for networks and
// volumes).
const objectPrefix = "sd-lab-"

func networkName(labID string) string        { return objectPrefix + labID }
func domainName(labID, source string) string { return objectPrefix + labID + "-" + source }
func volumeName(domain string) string        { return domain + ".qcow2" }
func sourceOf(labID, domain string) string   { return strings.TrimPrefix(domain, objectPrefix+labID+"-") }
