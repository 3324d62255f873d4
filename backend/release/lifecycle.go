package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
)

// State is a point in a release's lifecycle.
type State string

const (
	StatePlanned          State = "planned"
	StateBuilding         State = "building"
	StateTesting          State = "testing"
	StateAwaitingApproval State = "awaiting-approval"
	StateApproved         State = "approved"
	StateDeploying        State = "deploying"
	StateDeployed         State = "deployed"
	StateReviewed         State = "reviewed"
	StateClosed           State = "closed"
	StateRejected         State = "rejected"
	StateFailed           State = "failed"
	StateRolledBack       State = "rolled-back"
	StateCancelled        State = "cancelled"
)

// States lists every state, the main path first.
var States = []State{StatePlanned, StateBuilding, StateTesting, StateAwaitingApproval, StateApproved,
	StateDeploying, StateDeployed, StateReviewed, StateClosed, StateRejected, StateFailed, StateRolledBack, StateCancelled}

// ValidState reports whether s is a known state.
func ValidState(s State) bool { return slices.Contains(States, s) }

// next is the state machine: where a release may go from each state.
var next = map[State][]State{
	StatePlanned:          {StateBuilding, StateCancelled},
	StateBuilding:         {StateTesting, StatePlanned, StateCancelled},
	StateTesting:          {StateAwaitingApproval, StateBuilding, StateCancelled},
	StateAwaitingApproval: {StateApproved, StateRejected, StateTesting, StateCancelled}, // testing: the requester withdraws
	StateRejected:         {StateBuilding, StateTesting, StateCancelled},
	StateApproved:         {StateDeploying, StateCancelled},
	StateDeploying:        {StateDeployed, StateFailed, StateRolledBack},
	StateDeployed:         {StateReviewed, StateRolledBack},
	StateFailed:           {StateRolledBack, StateReviewed},
	StateRolledBack:       {StateReviewed, StateBuilding},
	StateReviewed:         {StateClosed},
}

// expedited is the emergency path: steps an emergency release may take that
// skip a gate. Taking one is recorded on the transition and the release.
var expedited = map[State][]State{
	StateBuilding: {StateAwaitingApproval},
}

// roleFor says who may move a release into a state.
var roleFor = map[State][]auth.Role{
	StatePlanned:          {auth.RoleTester},
	StateBuilding:         {auth.RoleTester},
	StateTesting:          {auth.RoleTester},
	StateAwaitingApproval: {auth.RoleTester},
	StateApproved:         {auth.RoleManager},
	StateRejected:         {auth.RoleManager},
	StateDeploying:        {auth.RoleAdmin},
	StateDeployed:         {auth.RoleAdmin},
	StateFailed:           {auth.RoleAdmin},
	StateRolledBack:       {auth.RoleAdmin},
	StateReviewed:         {auth.RoleManager, auth.RoleAdmin},
	StateClosed:           {auth.RoleManager, auth.RoleAdmin},
	StateCancelled:        {auth.RoleManager, auth.RoleAdmin},
}

// MayMoveTo says whether actor holds a role that moves releases into to.
func MayMoveTo(actor auth.Actor, to State) error {
	if roles := roleFor[to]; !actor.Has(roles...) {
		return apperr.Forbidden("Moving a release to %s needs the %s role.", to, auth.RoleList(roles))
	}
	return nil
}

// TransitionRoles says, for each state, which roles may move a release
// into it (any one of them), for the API document.
func TransitionRoles() map[State][]auth.Role {
	out := map[State][]auth.Role{}
	for st, roles := range roleFor {
		out[st] = slices.Clone(roles)
	}
	return out
}

// needsReason lists the states whose transitions must say why.
var needsReason = []State{StateRejected, StateCancelled, StateFailed, StateRolledBack}

// editable lists the states in which a release's record and scope may be
// changed; after that the scope is what is being tested and approved.
var editable = []State{StatePlanned, StateBuilding, StateRejected}

// inactive lists the states whose releases no longer take part in
// scheduling conflicts.
var inactive = []State{StateCancelled, StateClosed, StateReviewed, StateFailed, StateRolledBack}

// IsActive reports whether a release in s still takes part in scheduling.
func IsActive(s State) bool { return !slices.Contains(inactive, s) }

// step is a decided transition.
type step struct {
	expedited bool
}

// checkTransition decides whether actor may move a release of type t from
// one state to another, with the given reason.
func checkTransition(r *Release, to State, reason string, actor auth.Actor) (step, error) {
	if !ValidState(to) {
		return step{}, apperr.Invalid("to", "Unknown state %q.", to)
	}
	// Who may move a release into a state does not depend on where it is:
	// the role is checked first, so that the answer does not reveal more.
	if err := MayMoveTo(actor, to); err != nil {
		return step{}, err
	}
	from := r.State
	legal := slices.Contains(next[from], to)
	isExpedited := false
	if !legal && slices.Contains(expedited[from], to) {
		if r.Type != TypeEmergency {
			return step{}, apperr.Conflict("to", "%s cannot go from %s to %s: only emergency releases may skip testing.", r.label(), from, to)
		}
		legal, isExpedited = true, true
	}
	if !legal {
		if len(next[from]) == 0 {
			return step{}, apperr.Conflict("to", "%s is %s, a final state: it cannot change any more.", r.label(), from)
		}
		return step{}, apperr.Conflict("to", "%s is in %s: it can go to %s, not to %s.", r.label(), from, joinStates(allowedFrom(r)), to)
	}
	if strings.TrimSpace(reason) == "" && (slices.Contains(needsReason, to) || isExpedited) {
		what := "Say why"
		if isExpedited {
			what = "Give the emergency justification for skipping testing"
		}
		return step{}, apperr.Invalid("reason", "%s: a move to %s needs a reason.", what, to)
	}
	return step{expedited: isExpedited}, nil
}

func allowedFrom(r *Release) []State {
	out := slices.Clone(next[r.State])
	if r.Type == TypeEmergency {
		out = append(out, expedited[r.State]...)
	}
	return out
}

// viaForm lists the states reached through their own form rather than a
// plain transition: sign-off decides approved and rejected, the
// post-implementation review makes a release reviewed.
var viaForm = []State{StateApproved, StateRejected, StateReviewed}

// allowedFor lists the states actor may move r to now by a plain transition.
func allowedFor(r *Release, actor auth.Actor) []State {
	out := []State{}
	for _, s := range allowedFrom(r) {
		if r.State == StateAwaitingApproval && s == StateTesting && requesterOf(r) != actor.Username {
			continue // only the requester withdraws (see withdrawGate)
		}
		if actor.Has(roleFor[s]...) && !slices.Contains(viaForm, s) {
			out = append(out, s)
		}
	}
	return out
}

// requesterOf is whoever last moved r into awaiting-approval, from its
// loaded transitions ("" when it has none).
func requesterOf(r *Release) string {
	for i := len(r.Transitions) - 1; i >= 0; i-- {
		if r.Transitions[i].To == StateAwaitingApproval {
			return r.Transitions[i].Actor
		}
	}
	return ""
}

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func (r *Release) label() string { return fmt.Sprintf("Release %q %s", r.Name, r.Version) }
