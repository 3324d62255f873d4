package events

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = 25 * time.Second
	// clientBuffer is how far a client may fall behind before it is dropped.
	clientBuffer = 256
)

// Hub upgrades authenticated requests to WebSockets and streams the bus to
// them. Each connection has exactly one writer goroutine.
type Hub struct {
	bus      *Bus
	log      *slog.Logger
	upgrader websocket.Upgrader
}

// NewHub returns a hub for bus. Browsers must come from the same origin as
// the server; clients that send no Origin (scripts) are let through, since
// they have already been authenticated by a token.
func NewHub(bus *Bus, log *slog.Logger) *Hub {
	h := &Hub{bus: bus, log: log}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		CheckOrigin:     SameOrigin,
	}
	return h
}

// SameOrigin accepts requests with no Origin header or one whose host is
// the request's own host.
func SameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	// The Wails desktop window uses its own scheme for the page.
	if u.Scheme == "wails" {
		return true
	}
	return strings.EqualFold(u.Host, r.Host)
}

// Serve upgrades the connection and streams the events v may receive
// (Message.For) until either side goes away. The caller has already
// checked authentication and says who v is.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, v Viewer) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has written the error response
	}
	msgs, cancel := h.bus.Subscribe(clientBuffer)
	done := make(chan struct{})
	go h.read(conn, done)
	h.write(conn, v, msgs, done)
	cancel()
	conn.Close()
}

// read drains client frames (we expect none but pongs and close) so that
// control frames are processed; it closes done when the client goes away.
func (h *Hub) read(conn *websocket.Conn, done chan struct{}) {
	defer close(done)
	conn.SetReadLimit(4096)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// write is the connection's only writer.
func (h *Hub) write(conn *websocket.Conn, v Viewer, msgs <-chan Message, done <-chan struct{}) {
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				// Dropped by the bus for falling behind: tell the client to reconnect.
				send(conn, websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too slow, reconnect"))
				return
			}
			data, ok := m.For(v)
			if !ok {
				continue
			}
			if err := send(conn, websocket.TextMessage, data); err != nil {
				return
			}
		case <-ping.C:
			if err := send(conn, websocket.PingMessage, nil); err != nil {
				return
			}
		case <-done:
			return
		}
	}
}

// send writes one message to a WebSocket within writeWait (the caller is
// the connection's one writer).
func send(conn *websocket.Conn, typ int, data []byte) error {
	conn.SetWriteDeadline(time.Now().Add(writeWait))
	return conn.WriteMessage(typ, data)
}
