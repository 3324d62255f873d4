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
	srv := httptest.NewServer(NewHub(b, slog.Default()))
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
