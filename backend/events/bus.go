// Package events is Shakedown's in-process event bus and the WebSocket hub
// that pushes its events to browsers.
package events

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shakedown/shakedown/backend/jsonenc"
)

// Event types pushed to clients.
const (
	ReleaseCreated   = "release.created"
	ReleaseUpdated   = "release.updated"
	FreezeChanged    = "freeze.changed"
	CIChanged        = "ci.changed"
	UserChanged      = "user.changed"
	OperationUpdated = "operation.updated"
	HostSample       = "host.sample"
	LabUpdated       = "lab.updated"
	PackageCreated   = "package.created"
	SignOffChanged   = "signoff.changed"
	SettingsChanged  = "settings.changed"
	TargetChanged    = "target.changed"
	RolloutUpdated   = "rollout.updated"
	// DeliveryUpdated is a notification delivery queued, attempted, sent
	// or given up: admins receive every one, a user their own mails'.
	DeliveryUpdated = "delivery.updated"
)

// adminSide are the kinds of thing whose events only admins receive: the
// users (their roles and disabled flag), their API tokens and sessions,
// and the run-time settings. An event type names its kind before the dot.
var adminSide = []string{"user", "token", "session", "settings"}

// AdminOnly reports whether events of type typ are for admins only.
func AdminOnly(typ string) bool {
	kind, _, _ := strings.Cut(typ, ".")
	return slices.Contains(adminSide, kind)
}

// Viewer is who a stream of events is sent to.
type Viewer struct {
	Username string
	Admin    bool
}

// Personal is event data with details only its owner and admins may see
// (an operation's connection error): ForOthers is the data as everyone
// else receives it.
type Personal interface {
	Owner() string
	ForOthers() any
}

// Private is event data only its owner and admins receive (a user's own
// notification deliveries); everyone else receives nothing of it. An empty
// owner is for admins only.
type Private interface {
	PrivateTo() string
}

// Event is one thing that happened. Data is marshalled once at publish time
// and the same bytes go to every subscriber.
type Event struct {
	Type string    `json:"type"`
	ID   string    `json:"id"`
	At   time.Time `json:"at"`
	Data any       `json:"data"`
}

// Message is a published event with its encoded form.
type Message struct {
	Event
	// JSON is the event as admins (and the owner of Personal data) receive it.
	JSON []byte
	// owner and others are set for Personal data whose form for everyone
	// else differs: others is that form, encoded.
	owner  string
	others []byte
	// private: only owner and admins receive it.
	private bool
}

// For returns the encoded event as v may receive it, or false when v may
// not receive it at all. This is the one place that decides who receives
// what: admin-side events go to admins only, Private data to its owner and
// admins only, and Personal data to its owner and admins in full, to
// everyone else in the form it has for them.
func (m Message) For(v Viewer) ([]byte, bool) {
	switch {
	case v.Admin:
		return m.JSON, true
	case AdminOnly(m.Type):
		return nil, false
	case m.private:
		return m.JSON, m.owner != "" && v.Username == m.owner
	case m.others != nil && v.Username != m.owner:
		return m.others, true
	}
	return m.JSON, true
}

// Publisher is the narrow interface domain packages write events through.
type Publisher interface {
	Publish(typ, id string, data any)
}

// Bus fans events out to subscribers without ever blocking the publisher: a
// subscriber whose buffer is full is dropped and its channel closed.
type Bus struct {
	mu     sync.RWMutex
	subs   map[uint64]*subscription
	nextID atomic.Uint64
	now    func() time.Time
}

type subscription struct {
	ch     chan Message
	closed bool
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[uint64]*subscription{}, now: time.Now}
}

// Subscribe returns a channel of the next events and a func that ends the
// subscription. The channel is closed when the subscription ends, either by
// cancel or because the subscriber fell more than buffer events behind.
func (b *Bus) Subscribe(buffer int) (<-chan Message, func()) {
	id := b.nextID.Add(1)
	s := &subscription{ch: make(chan Message, buffer)}
	b.mu.Lock()
	b.subs[id] = s
	b.mu.Unlock()
	return s.ch, func() { b.drop(id) }
}

func (b *Bus) drop(id uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.subs[id]; ok {
		delete(b.subs, id)
		if !s.closed {
			s.closed = true
			close(s.ch)
		}
	}
}

// Subscribers counts the live subscriptions.
func (b *Bus) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

// Publish sends an event to every subscriber.
func (b *Bus) Publish(typ, id string, data any) {
	m := Message{Event: Event{Type: typ, ID: id, At: b.now().UTC(), Data: data}}
	m.JSON = encode(m.Event)
	if p, ok := data.(Private); ok {
		m.owner, m.private = p.PrivateTo(), true
	} else if p, ok := data.(Personal); ok {
		others := m.Event
		others.Data = p.ForOthers()
		if raw := encode(others); !bytes.Equal(raw, m.JSON) {
			m.owner, m.others = p.Owner(), raw
		}
	}
	var slow []uint64
	b.mu.RLock()
	for sid, s := range b.subs {
		select {
		case s.ch <- m:
		default:
			slow = append(slow, sid)
		}
	}
	b.mu.RUnlock()
	for _, sid := range slow {
		b.drop(sid)
	}
}

func encode(ev Event) []byte {
	raw, err := json.Marshal(jsonenc.EmptyLists(ev))
	if err != nil {
		raw, _ = json.Marshal(Event{Type: ev.Type, ID: ev.ID, At: ev.At})
	}
	return raw
}

// ID formats a numeric entity id for an event.
func ID(n int64) string { return strconv.FormatInt(n, 10) }
