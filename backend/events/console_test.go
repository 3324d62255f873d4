package events

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// lineConsole prints a prompt and records what is typed into it.
type lineConsole struct {
	mu     sync.Mutex
	typed  strings.Builder
	out    chan []byte
	closed chan struct{}
	once   sync.Once
}

func newLineConsole() *lineConsole {
	c := &lineConsole{out: make(chan []byte, 8), closed: make(chan struct{})}
	c.out <- []byte("login: ")
	return c
}

func (c *lineConsole) Read(p []byte) (int, error) {
	select {
	case b := <-c.out:
		return copy(p, b), nil
	case <-c.closed:
		return 0, http.ErrServerClosed
	}
}

func (c *lineConsole) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.typed.Write(p)
	c.mu.Unlock()
	c.out <- append([]byte("echo:"), p...)
	return len(p), nil
}

func (c *lineConsole) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

func (c *lineConsole) typedText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.typed.String()
}

func TestConsoleOnlyTypistsType(t *testing.T) {
	for _, canType := range []bool{true, false} {
		con := newLineConsole()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ServeConsole(w, r, con, canType) }))
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, b, err := conn.ReadMessage(); err != nil || string(b) != "login: " {
			t.Fatalf("first frame %q %v", b, err)
		}
		conn.WriteMessage(websocket.TextMessage, []byte("root\r"))
		if canType {
			if _, b, err := conn.ReadMessage(); err != nil || string(b) != "echo:root\r" {
				t.Fatalf("echo %q %v", b, err)
			}
		} else {
			time.Sleep(200 * time.Millisecond)
			if got := con.typedText(); got != "" {
				t.Fatalf("a reader typed %q", got)
			}
		}
		conn.Close()
		select {
		case <-con.closed:
		case <-time.After(5 * time.Second):
			t.Fatal("the console was not closed when the client left")
		}
		srv.Close()
	}
}
