package labs

import (
	"context"
	"sync"

	"github.com/digitalocean/go-libvirt"
)

// libvirt allows one callback per event type on a connection, so each
// host keeps one subscription per event type and fans its events out to
// every waiter.
type eventHub struct {
	mu   sync.Mutex
	conn *libvirt.Libvirt
	subs map[chan any]struct{}
}

// subscribe returns a channel of the host's events of that type (all
// domains; waiters filter) and a func to stop receiving them.
func (h *Host) subscribe(ctx context.Context, id libvirt.DomainEventID) (<-chan any, func(), error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	if h.hubs == nil {
		h.hubs = map[libvirt.DomainEventID]*eventHub{}
	}
	hub := h.hubs[id]
	if hub == nil || hub.conn != l {
		hub = &eventHub{conn: l, subs: map[chan any]struct{}{}}
		// The subscription lives as long as the connection.
		src, err := l.SubscribeEvents(context.Background(), id, libvirt.OptDomain{})
		if err != nil {
			h.mu.Unlock()
			return nil, nil, err
		}
		h.hubs[id] = hub
		go hub.run(src)
	}
	h.mu.Unlock()
	ch := make(chan any, 16)
	hub.mu.Lock()
	hub.subs[ch] = struct{}{}
	hub.mu.Unlock()
	return ch, func() {
		hub.mu.Lock()
		delete(hub.subs, ch)
		hub.mu.Unlock()
	}, nil
}

func (hub *eventHub) run(src <-chan any) {
	for ev := range src {
		hub.mu.Lock()
		for ch := range hub.subs {
			select {
			case ch <- ev:
			default: // a waiter that is behind re-checks on its own timer
			}
		}
		hub.mu.Unlock()
	}
}
