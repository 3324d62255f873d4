package events

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// consoleUpgrader accepts same-origin browsers (and scripts) only.
var consoleUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 8192, CheckOrigin: SameOrigin}

// ServeConsole bridges a serial console to a WebSocket until either side
// ends: what the console prints goes out as binary frames (from one writer
// goroutine), and frames the client sends are typed into it when canType.
// Frames from a reader that may not type are dropped. It closes con.
func ServeConsole(w http.ResponseWriter, r *http.Request, con io.ReadWriteCloser, canType bool) {
	defer con.Close()
	conn, err := consoleUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	out := make(chan []byte, 64)
	var readErr error // set before out is closed
	stop := make(chan struct{})
	defer close(stop)
	go func() { // reads the console; the writer below is the only one on conn
		defer close(out)
		buf := make([]byte, 4096)
		for {
			n, err := con.Read(buf)
			if n > 0 {
				select {
				case out <- append([]byte(nil), buf[:n]...):
				case <-stop:
					return
				}
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() { // reads the client: keystrokes, pongs, close
		defer close(done)
		conn.SetReadLimit(4096)
		conn.SetReadDeadline(time.Now().Add(pongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			conn.SetReadDeadline(time.Now().Add(pongWait))
			if canType && len(data) > 0 {
				if _, err := con.Write(data); err != nil {
					return
				}
			}
		}
	}()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case b, ok := <-out:
			if !ok {
				reason := "The console ended."
				if readErr != nil && !errors.Is(readErr, io.EOF) {
					reason = "The console ended: " + readErr.Error()
				}
				if len(reason) > 120 { // a close frame's reason has room for 123 bytes
					reason = reason[:117] + "..."
				}
				send(conn, websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, reason))
				return
			}
			if err := send(conn, websocket.BinaryMessage, b); err != nil {
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
