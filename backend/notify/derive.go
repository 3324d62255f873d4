package notify

// Who must be told what: from bus events to notifications and recipients.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/release"
)

// catchUpWindow is how old a release's move may be and still be told
// when first seen (after a restart).
const catchUpWindow = 10 * time.Minute

// catchUpLookback is how long ago a lab may have ended, or a rollout
// paused, and still be told when first seen on catching up: what is told
// is their state now, and its key makes a second telling a no-op.
const catchUpLookback = 24 * time.Hour

// system is the actor notify reads releases as.
var system = auth.Actor{Username: "notify", Roles: []auth.Role{auth.RoleAdmin}}

// note is a notification before it is stored.
type note struct {
	Key      string
	Kind     Kind
	Title    string
	Text     string
	Entity   string // release, lab, rollout
	EntityID string
	// To are the usernames told by mail (webhooks get every notification
	// of the kinds they chose).
	To []string
}

func (s *Service) handle(ctx context.Context, m events.Message) error {
	switch m.Type {
	case events.ReleaseUpdated:
		return s.onRelease(ctx, m.ID)
	case events.LabUpdated:
		return s.onLab(ctx, m)
	case events.RolloutUpdated:
		return s.onRollout(ctx, m)
	}
	return nil
}

// onRelease looks at the release's transitions not yet handled (several
// may have happened before the event is read); the key of each (its
// position and time) makes a second sighting of the same move a no-op.
func (s *Service) onRelease(ctx context.Context, id string) error {
	rid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	r, err := s.cfg.Releases.Get(ctx, system, rid)
	if err != nil {
		return err
	}
	s.mu.Lock()
	done, known := s.release[rid]
	s.mu.Unlock()
	if !known {
		done = -1
	}
	for i := done + 1; i < len(r.Transitions); i++ {
		t := r.Transitions[i]
		if s.now().Sub(t.At) > catchUpWindow {
			continue // an old move seen again (after a restart)
		}
		last := i == len(r.Transitions)-1
		if err := s.onTransition(ctx, r, i, t, last); err != nil {
			return err
		}
		s.mu.Lock()
		s.release[rid] = i
		s.mu.Unlock()
	}
	return nil
}

// onTransition tells who must know of one move; last says whether the
// release is still where the move took it.
func (s *Service) onTransition(ctx context.Context, r *release.Release, i int, t release.Transition, last bool) error {
	id := strconv.FormatInt(r.ID, 10)
	name := fmt.Sprintf("%s %s", r.Name, r.Version)
	n := note{Key: fmt.Sprintf("release:%d:transition:%d:%s", r.ID, i, t.At.UTC().Format(time.RFC3339Nano)),
		Entity: "release", EntityID: id}
	owners := people(r.Owner, r.CreatedBy)
	var err error
	switch {
	case t.To == release.StateAwaitingApproval && !last:
		return nil // signed off (or moved on) already: no one need act
	case t.To == release.StateAwaitingApproval && t.From == release.StateApproved:
		n.Kind, n.Title = KindApprovalVoided, "Approval voided: "+name
		n.Text = fmt.Sprintf("The approval of %s is void and the release waits for sign-off again. %s", name, t.Reason)
		approvers, err := s.approvers(ctx, r.ID)
		if err != nil {
			return err
		}
		n.To = people(append(owners, approvers...)...)
	case t.To == release.StateAwaitingApproval:
		n.Kind, n.Title = KindAwaitingApproval, "Awaiting your approval: "+name
		n.Text = fmt.Sprintf("%s (%s, %s) was moved to awaiting approval by %s.", name, r.Type, r.Environment, t.Actor)
		if t.Expedited {
			n.Text += " It is an expedited emergency release."
		}
		if n.To, err = s.approvers(ctx, r.ID); err != nil {
			return err
		}
	case t.To == release.StateDeployed:
		n.Kind, n.Title = KindDeployed, "Deployed: "+name
		n.Text = fmt.Sprintf("%s was deployed to %s.", name, r.Environment)
		n.To = owners
	case t.To == release.StateFailed || t.To == release.StateRolledBack:
		n.Kind, n.Title = KindFailed, fmt.Sprintf("%s: %s", strings.ToUpper(string(t.To[:1]))+string(t.To[1:]), name)
		n.Text = fmt.Sprintf("%s was marked %s by %s. %s", name, t.To, t.Actor, t.Reason)
		n.To = owners
	default:
		return nil
	}
	return s.record(ctx, n)
}

// approvers are the enabled managers who may decide on the release now,
// as its sign-off rules say (separation of duties included).
func (s *Service) approvers(ctx context.Context, id int64) ([]string, error) {
	users, err := s.cfg.Users.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if u.Disabled || !slices.Contains(u.Roles, auth.RoleManager) {
			continue
		}
		so, err := s.cfg.Releases.SignOff(ctx, auth.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles}, id)
		if err != nil {
			return nil, err
		}
		if so.CanDecide {
			out = append(out, u.Username)
		}
	}
	return out, nil
}

func (s *Service) admins(ctx context.Context) ([]string, error) {
	users, err := s.cfg.Users.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if !u.Disabled && slices.Contains(u.Roles, auth.RoleAdmin) {
			out = append(out, u.Username)
		}
	}
	return out, nil
}

// changed records status as the last seen for id and says whether it is
// new; fresh says whether a first sighting counts (recently updated).
func (s *Service) changed(seen map[string]string, id, status string, fresh bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, known := seen[id]
	seen[id] = status
	if !known {
		return fresh
	}
	return prev != status
}

// labState is what notify reads of a lab, from its event or its owner.
type labState struct {
	ID        string    `json:"id"`
	ReleaseID int64     `json:"release_id"`
	Status    string    `json:"status"`
	Error     string    `json:"error"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Service) onLab(ctx context.Context, m events.Message) error {
	var ev struct {
		Data labState `json:"data"`
	}
	if err := json.Unmarshal(m.JSON, &ev); err != nil {
		return err
	}
	return s.tellLab(ctx, ev.Data, s.now().Sub(ev.Data.UpdatedAt) < 2*time.Minute)
}

// tellLab tells a lab's change, once per status; fresh says whether a
// first sighting counts.
func (s *Service) tellLab(ctx context.Context, l labState, fresh bool) error {
	if !s.changed(s.lab, l.ID, l.Status, fresh) {
		return nil
	}
	return s.labEnded(ctx, l)
}

// labEnded tells the lab's creator it passed or failed (its key makes a
// second telling of one status a no-op).
func (s *Service) labEnded(ctx context.Context, l labState) error {
	n := note{Key: "lab:" + l.ID + ":" + l.Status, Entity: "lab", EntityID: l.ID, To: people(l.CreatedBy)}
	switch l.Status {
	case "passed":
		n.Kind, n.Title = KindLabPassed, fmt.Sprintf("Lab %s passed its test period", l.ID)
		n.Text = fmt.Sprintf("The lab %s of release #%d passed its test period: its evidence is on the release.", l.ID, l.ReleaseID)
	case "failed", "error":
		n.Kind, n.Title = KindLabFailed, fmt.Sprintf("Lab %s %s", l.ID, map[string]string{"failed": "failed its test period", "error": "failed"}[l.Status])
		n.Text = fmt.Sprintf("The lab %s of release #%d %s. %s", l.ID, l.ReleaseID, map[string]string{"failed": "failed its test period", "error": "could not be built"}[l.Status], l.Error)
	default:
		return nil
	}
	return s.record(ctx, n)
}

// rolloutState is what notify reads of a rollout, from its event or its owner.
type rolloutState struct {
	ID          string     `json:"id"`
	ReleaseID   int64      `json:"release_id"`
	Status      string     `json:"status"`
	PauseReason string     `json:"pause_reason"`
	PausedAt    *time.Time `json:"paused_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// since is when the rollout's pause began (its last write when unknown).
func (r rolloutState) since() time.Time {
	if r.PausedAt != nil {
		return *r.PausedAt
	}
	return r.UpdatedAt
}

func (s *Service) onRollout(ctx context.Context, m events.Message) error {
	var ev struct {
		Data rolloutState `json:"data"`
	}
	if err := json.Unmarshal(m.JSON, &ev); err != nil {
		return err
	}
	return s.tellRollout(ctx, ev.Data, s.now().Sub(ev.Data.since()) < 2*time.Minute)
}

// tellRollout tells a rollout's pause, once per pause (its key is the
// pause's start: a claim while paused is the same pause, a second pause
// after a resume is another); fresh says whether a first sighting counts.
func (s *Service) tellRollout(ctx context.Context, r rolloutState, fresh bool) error {
	if !s.changed(s.rollout, r.ID, r.Status, fresh) || r.Status != "paused" {
		return nil
	}
	return s.paused(ctx, r)
}

// paused tells the admins of a paused rollout's pause.
func (s *Service) paused(ctx context.Context, r rolloutState) error {
	admins, err := s.admins(ctx)
	if err != nil {
		return err
	}
	return s.record(ctx, note{Key: fmt.Sprintf("rollout:%s:paused:%s", r.ID, r.since().UTC().Format(time.RFC3339Nano)),
		Kind: KindRolloutPaused, Entity: "rollout", EntityID: r.ID, To: admins,
		Title: fmt.Sprintf("Rollout of release #%d paused", r.ReleaseID),
		Text:  fmt.Sprintf("The rollout %s of release #%d paused and waits for an admin: %s", r.ID, r.ReleaseID, r.PauseReason)})
}

// people drops empty and repeated names.
func people(names ...string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	return out
}

// link is where a notification points in the web UI.
func link(base, entity, id string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/#/" + entity + "s/" + id
}
