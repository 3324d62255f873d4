// Package lab is Shakedown's lab service: lab records, the build pipeline
// (capture, network, clone, boot, apply) as an operation with undo, test
// periods, teardown, expiry, reconciliation with the hosts and P2V import
// records. It drives libvirt through the Host port (labs/ is the driver),
// and records evidence through the release service, which owns it.
package lab

import (
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/labs"
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

// VMStart says how a lab VM starts.
type VMStart string

// How lab VMs start.
const (
	// StartResume restores the VM from production's memory as it ran at
	// the capture: its processes, caches and sessions carry on.
	StartResume VMStart = "resume"
	// StartBoot boots the VM from production's captured disk.
	StartBoot VMStart = "boot"
)

// EnumValues lists the ways (for the API document).
func (VMStart) EnumValues() []string { return []string{string(StartResume), string(StartBoot)} }

// Kinds of the operations the lab service starts (ops.Spec.Kind).
const (
	KindCreate     = "lab.create"
	KindTeardown   = "lab.teardown"
	KindTestPeriod = "lab.test-period"
	KindImport     = "ci.import"
)

// Each kind of operation reports its stages (ops.Report) as values of its
// own type, listed by EnumValues in the order it runs them: the API document
// names them per kind and the frontend's stepper is made from that list.
// Every constant of a stage type is in its EnumValues (lab tests check it).

// CreateStage is a stage of a lab.create operation (the build).
type CreateStage string

// Stages of lab.create, in order. The room on the host is checked before
// the operation starts, so it is no stage.
const (
	CreateCapture    CreateStage = "capture"     // live snapshots of production disks (the network is made alongside)
	CreateNetwork    CreateStage = "network"     // the isolated lab network is ready
	CreateClone      CreateStage = "clone"       // linked clones and their domain definitions
	CreateBoot       CreateStage = "boot"        // boot, wait for each guest agent
	CreateApply      CreateStage = "apply"       // install the package (evidence)
	CreateTestPeriod CreateStage = "test-period" // the test period the lab was asked with
)

// EnumValues lists the stages in order (for the API document).
func (CreateStage) EnumValues() []string {
	return stageValues(CreateCapture, CreateNetwork, CreateClone, CreateBoot, CreateApply, CreateTestPeriod)
}

// OperationKind is lab.create.
func (CreateStage) OperationKind() string { return KindCreate }

// TeardownStage is a stage of a lab.teardown operation.
type TeardownStage string

// Stages of lab.teardown, in order.
const (
	TeardownCancel    TeardownStage = "cancel"     // stop the lab's running build or test period (only when one runs)
	TeardownRemoveVMs TeardownStage = "remove-vms" // domains and their clone volumes
	TeardownNetwork   TeardownStage = "network"    // the lab network
	TeardownBases     TeardownStage = "bases"      // merge production's overlays back
	TeardownDone      TeardownStage = "done"
)

// EnumValues lists the stages in order (for the API document).
func (TeardownStage) EnumValues() []string {
	return stageValues(TeardownCancel, TeardownRemoveVMs, TeardownNetwork, TeardownBases, TeardownDone)
}

// OperationKind is lab.teardown.
func (TeardownStage) OperationKind() string { return KindTeardown }

// PeriodStage is a stage of a lab.test-period operation (another test
// period on a ready lab).
type PeriodStage string

// Stages of lab.test-period.
const (
	PeriodTestPeriod PeriodStage = "test-period"
)

// EnumValues lists the stages in order (for the API document).
func (PeriodStage) EnumValues() []string { return stageValues(PeriodTestPeriod) }

// OperationKind is lab.test-period.
func (PeriodStage) OperationKind() string { return KindTestPeriod }

// ImportStage is a stage of a ci.import operation (P2V over SSH).
type ImportStage string

// Stages of ci.import, in order.
const (
	ImportConnect ImportStage = "connect" // SSH to the machine, check its host key
	ImportStream  ImportStage = "stream"  // dd the device into a libvirt volume
	ImportDone    ImportStage = "done"
)

// EnumValues lists the stages in order (for the API document).
func (ImportStage) EnumValues() []string { return stageValues(ImportConnect, ImportStream, ImportDone) }

// OperationKind is ci.import.
func (ImportStage) OperationKind() string { return KindImport }

func stageValues[S ~string](stages ...S) []string {
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = string(s)
	}
	return out
}

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
	// Memory is production's running memory saved with the disk, when the
	// capture took it (the VM's clone resumes from it).
	Memory *BaseMemory `json:"memory,omitempty"`
}

// BaseMemory is a capture's memory image.
type BaseMemory struct {
	Bytes uint64 `json:"bytes"`
	// CapturedAt is the moment of production the clone resumes.
	CapturedAt time.Time `json:"captured_at"`
	// PauseMS is how long production's CPUs were stopped by the capture,
	// measured from libvirt's suspended and resumed events; PauseBound
	// says it is only an upper bound (the events did not show both ends).
	PauseMS    float64 `json:"pause_ms"`
	PauseBound bool    `json:"pause_bound"`
}

// VM is one lab VM.
type VM struct {
	CIID   int64   `json:"ci_id"`
	CIName string  `json:"ci_name"`
	Domain string  `json:"domain"`
	Volume string  `json:"volume"`
	State  VMState `json:"state"`
	Base   *Base   `json:"base"`
	// Start says how the VM starts (resumed from production's memory, or
	// booted); empty until the capture decided it.
	Start VMStart `json:"start,omitempty"`
	// StartNote says why the VM boots when it could not resume (or why a
	// resume fell back to booting, or that its clock was not corrected).
	StartNote string `json:"start_note"`
	// ReadyMS is how long the VM took from its restore or boot until its
	// guest agent answered (0 until it did).
	ReadyMS int64 `json:"ready_ms"`
	// ClockSkewMS is how far a resumed guest's clock was behind when it
	// was corrected through the agent.
	ClockSkewMS int64 `json:"clock_skew_ms"`
	// memory and def are the capture's memory image and the clone's
	// definition made from it, during a build.
	memory *labs.MemoryImage
	def    *libvirtxml.Domain
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
	// Live leaves out torn-down labs.
	Live bool
	// UpdatedSince keeps the labs written at or after it (zero: all).
	UpdatedSince time.Time
	Limit        int
	Offset       int
}

// Names of the libvirt objects of a lab: the lab id in each name is how
// reconciliation finds them (libvirt 9.0 has no metadata for networks and
// volumes).
const objectPrefix = "sd-lab-"

func networkName(labID string) string        { return objectPrefix + labID }
func domainName(labID, source string) string { return objectPrefix + labID + "-" + source }
func volumeName(domain string) string        { return domain + ".qcow2" }
func memoryName(domain string) string        { return domain + ".mem" }
func sourceOf(labID, domain string) string   { return strings.TrimPrefix(domain, objectPrefix+labID+"-") }
