// Package release holds release records: their lifecycle state machine,
// scope (changes and configuration items), the release calendar with
// freeze windows, conflicts, dependencies and the risk score.
package release

import "time"

// Type is the kind of release.
type Type string

const (
	TypeMajor     Type = "major"
	TypeMinor     Type = "minor"
	TypeEmergency Type = "emergency"
)

// Change is an approved request for change (RFC) bundled in a release.
type Change struct {
	ID    int64  `json:"id"`
	RFC   string `json:"rfc"`
	Title string `json:"title"`
	Risk  string `json:"risk"`
	Link  string `json:"link"`
	// CommittedAt is when the change was committed, if given (zero: not).
	CommittedAt time.Time `json:"committed_at,omitzero"`
}

// CI is a configuration item from the catalog.
type CI struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Environment string `json:"environment"`
	Criticality string `json:"criticality"`
	Description string `json:"description"`
	// LibvirtHost and LibvirtDomain link a vm CI to the domain labs clone.
	LibvirtHost   string    `json:"libvirt_host"`
	LibvirtDomain string    `json:"libvirt_domain"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// CriticalityChange is the last change of its criticality, if any.
	CriticalityChange *CriticalityChange `json:"criticality_change,omitempty"`
}

// CriticalityChange is who changed a CI's criticality, when, and from what.
type CriticalityChange struct {
	From string    `json:"from"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// Ref is a short reference to another release.
type Ref struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	State        State     `json:"state"`
	PlannedStart time.Time `json:"planned_start"`
	PlannedEnd   time.Time `json:"planned_end"`
}

// Reason is one contribution to a risk score.
type Reason struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// Risk is a release's computed risk with the reasons behind it.
type Risk struct {
	Score   int      `json:"score"`
	Level   string   `json:"level"`
	Reasons []Reason `json:"reasons,omitempty"`
}

// ConflictKind is what a scheduling conflict is about.
type ConflictKind string

// Conflict kinds.
const (
	ConflictFreeze     ConflictKind = "freeze"
	ConflictCIOverlap  ConflictKind = "ci_overlap"
	ConflictDependency ConflictKind = "dependency"
)

// Conflict is a scheduling problem the calendar flags.
type Conflict struct {
	Kind      ConflictKind `json:"kind"`
	Message   string       `json:"message"`
	ReleaseID int64        `json:"release_id,omitempty"`
	FreezeID  int64        `json:"freeze_id,omitempty"`
}

// Summary is a release as lists, the board and the calendar show it.
type Summary struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Version      string     `json:"version"`
	Type         Type       `json:"type"`
	State        State      `json:"state"`
	Environment  string     `json:"environment"`
	Owner        string     `json:"owner"`
	PlannedStart time.Time  `json:"planned_start"`
	PlannedEnd   time.Time  `json:"planned_end"`
	Risk         Risk       `json:"risk"`
	Conflicts    []Conflict `json:"conflicts"`
	CICount      int        `json:"ci_count"`
	ChangeCount  int        `json:"change_count"`
	Expedited    bool       `json:"expedited"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Transition is one recorded state change. The first, the record's
// creation, has no From (it is left out of the JSON).
type Transition struct {
	From      State     `json:"from,omitempty"`
	To        State     `json:"to"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason"`
	Expedited bool      `json:"expedited"`
}

// Release is the whole record.
type Release struct {
	Summary
	Description        string       `json:"description"`
	CreatedAt          time.Time    `json:"created_at"`
	CreatedBy          string       `json:"created_by"`
	Changes            []Change     `json:"changes"`
	CIs                []CI         `json:"cis"`
	DependsOn          []Ref        `json:"depends_on"`
	RequiredBy         []Ref        `json:"required_by"`
	Transitions        []Transition `json:"transitions"`
	AllowedTransitions []State      `json:"allowed_transitions"`
	Package            *PackageRef  `json:"package"`
	ApprovedDigest     string       `json:"approved_digest"`
	Review             *Review      `json:"review"`
	ReadOnly           bool         `json:"read_only"`
}

// snapshot is what the audit trail keeps of a release before and after a
// write: its own fields and scope, not derived data.
type snapshot struct {
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	Type         Type      `json:"type"`
	State        State     `json:"state"`
	Environment  string    `json:"environment"`
	Owner        string    `json:"owner"`
	Description  string    `json:"description"`
	PlannedStart time.Time `json:"planned_start"`
	PlannedEnd   time.Time `json:"planned_end"`
	Changes      []Change  `json:"changes"`
	CIIDs        []int64   `json:"ci_ids"`
	DependsOn    []int64   `json:"depends_on"`
}

func (r *Release) snapshot() snapshot {
	s := snapshot{Name: r.Name, Version: r.Version, Type: r.Type, State: r.State, Environment: r.Environment,
		Owner: r.Owner, Description: r.Description, PlannedStart: r.PlannedStart, PlannedEnd: r.PlannedEnd,
		Changes: r.Changes, CIIDs: []int64{}, DependsOn: []int64{}}
	for _, c := range r.CIs {
		s.CIIDs = append(s.CIIDs, c.ID)
	}
	for _, d := range r.DependsOn {
		s.DependsOn = append(s.DependsOn, d.ID)
	}
	return s
}

// FreezeWindow is a period in which no release should be deployed.
type FreezeWindow struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Reason      string    `json:"reason"`
	Environment string    `json:"environment"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Recurrence  string    `json:"recurrence"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Occurrence is one concrete period of a (possibly recurring) freeze.
type Occurrence struct {
	FreezeID    int64     `json:"freeze_id"`
	Name        string    `json:"name"`
	Reason      string    `json:"reason"`
	Environment string    `json:"environment"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
}
