package events

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestBusDropsSlowSubscriberWithoutBlocking(t *testing.T) {
	b := NewBus()
	fast, cancelFast := b.Subscribe(100)
	defer cancelFast()
	slow, _ := b.Subscribe(2)
	for i := 0; i < 10; i++ {
		b.Publish(ReleaseUpdated, ID(int64(i)), map[string]int{"i": i})
	}
	if got := len(fast); got != 10 {
		t.Fatalf("fast subscriber got %d events, want 10", got)
	}
	n := 0
	for range slow { // closed after it fell behind
		n++
	}
	if n != 2 {
		t.Fatalf("slow subscriber got %d events before being dropped, want 2", n)
	}
	if b.Subscribers() != 1 {
		t.Fatalf("subscribers = %d, want 1", b.Subscribers())
	}
}

func TestHubStreamsEventsAndChecksOrigin(t *testing.T) {
	b := NewBus()
	hub := NewHub(b, slog.Default())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hub.Serve(w, r, Viewer{Username: "tess"}) }))
	defer srv.Close()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")

	// A foreign origin is refused.
	_, resp, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err=%v resp=%v", err, resp)
	}

	conn, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for b.Subscribers() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	b.Publish(ReleaseCreated, "42", map[string]string{"name": "<b>x</b>"})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Type string            `json:"type"`
		ID   string            `json:"id"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != ReleaseCreated || ev.ID != "42" || ev.Data["name"] != "<b>x</b>" {
		t.Fatalf("event = %+v", ev)
	}
	conn.Close()
	deadline = time.Now().Add(5 * time.Second)
	for b.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if b.Subscribers() != 0 {
		t.Fatal("closed client still subscribed")
	}
}

// personal is event data with a detail for its owner (and admins) only.
type personal struct {
	Who, Detail string
}

func (p personal) Owner() string  { return p.Who }
func (p personal) ForOthers() any { return personal{Who: p.Who, Detail: "hidden"} }

// private is event data for its owner (and admins) alone.
type private struct{ Who, Detail string }

func (p private) PrivateTo() string { return p.Who }

// Each connection receives what its viewer may see: admin-side events
// (users, tokens, sessions, settings) only admins; personal data in full
// to its owner and admins, in its public form to everyone else.
func TestHubSendsEachViewerWhatItMaySee(t *testing.T) {
	b := NewBus()
	hub := NewHub(b, slog.Default())
	viewers := map[string]Viewer{"tess": {Username: "tess"}, "max": {Username: "max"}, "adam": {Username: "adam", Admin: true}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.Serve(w, r, viewers[r.URL.Query().Get("as")])
	}))
	defer srv.Close()
	conns := map[string]*websocket.Conn{}
	for name := range viewers {
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"?as="+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns[name] = conn
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.Subscribers() < len(viewers) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	b.Publish(UserChanged, "2", map[string]any{"username": "tess", "roles": []string{"tester"}})
	b.Publish(SettingsChanged, "1", map[string]any{"import_networks": []string{"10.0.0.0/8"}})
	b.Publish("token.changed", "3", map[string]any{"name": "ci"})
	b.Publish(OperationUpdated, "op1", personal{Who: "tess", Detail: "connection refused"})
	b.Publish(DeliveryUpdated, "7", private{Who: "tess", Detail: "tess's mail"})
	b.Publish(DeliveryUpdated, "8", private{Detail: "a webhook"})
	b.Publish(ReleaseCreated, "42", map[string]string{"name": "last"})
	want := map[string]string{
		"tess": "operation.updated:connection refused delivery.updated:tess's mail release.created:",
		"max":  "operation.updated:hidden release.created:",
		"adam": "user.changed: settings.changed: token.changed: operation.updated:connection refused delivery.updated:tess's mail delivery.updated:a webhook release.created:",
	}
	for name, conn := range conns {
		var got []string
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("%s: %v after %q", name, err, got)
			}
			var ev struct {
				Type string
				Data struct{ Detail string }
			}
			json.Unmarshal(data, &ev)
			got = append(got, ev.Type+":"+ev.Data.Detail)
			if ev.Type == ReleaseCreated {
				break
			}
		}
		if s := strings.Join(got, " "); s != want[name] {
			t.Errorf("%s received %q, want %q", name, s, want[name])
		}
	}
}
