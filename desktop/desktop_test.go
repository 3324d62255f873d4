package desktop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shakedown/shakedown/backend/server"
)

const password = "desktop-test-pass-1"

var ui = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>Shakedown</title><div id=app></div>")}}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestConfigRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shakedown", "desktop.json")
	c, err := LoadConfig(path)
	if err != nil || c.Mode != ModeLocal || c.Width != 1280 || c.Height != 800 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c = Config{Mode: ModeConnected, ServerURL: "https://sd.example.com", Width: 1500, Height: 20}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(path)
	if err != nil || got.Mode != ModeConnected || got.ServerURL != "https://sd.example.com" || got.Width != 1500 || got.Height != 600 {
		t.Fatalf("reloaded: %+v %v", got, err)
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if got, err := LoadConfig(path); err == nil || got.Mode != ModeLocal {
		t.Fatalf("a broken file: %+v %v", got, err)
	}
	for _, bad := range []string{"", "ftp://x", "https://", "https://u:p@host", "http://host/?q=1"} {
		if _, err := ParseServerURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if u, err := ParseServerURL("sd.example.com:8443/"); err != nil || u.String() != "https://sd.example.com:8443" {
		t.Errorf("a bare host: %v %v", u, err)
	}
}

// events collects what the shell sends to the window.
type events struct {
	mu     sync.Mutex
	raw    []string
	notes  []Notification
	opened []string
}

func (e *events) wire(s *Shell) {
	s.Emit = func(raw []byte) { e.mu.Lock(); e.raw = append(e.raw, string(raw)); e.mu.Unlock() }
	s.Notify = func(n Notification) { e.mu.Lock(); e.notes = append(e.notes, n); e.mu.Unlock() }
	s.OpenURL = func(u string) { e.mu.Lock(); e.opened = append(e.opened, u); e.mu.Unlock() }
}

func (e *events) wait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		done := ok()
		e.mu.Unlock()
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; events %v, notifications %v", what, e.raw, e.notes)
}

func (e *events) has(typ, text string) bool {
	for _, r := range e.raw {
		if strings.Contains(r, `"type":"`+typ+`"`) && strings.Contains(r, text) {
			return true
		}
	}
	return false
}

// window is a browser-like client of the shell: a cookie jar, JSON in and out.
type window struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newWindow(t *testing.T, h http.Handler) *window {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	return &window{t: t, base: ts.URL, http: &http.Client{Jar: jar}}
}

func (w *window) do(method, path string, body, out any) int {
	w.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, w.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Origin", w.base) // a page of the window
		if w.csrf != "" {
			req.Header.Set("X-CSRF-Token", w.csrf)
		}
	}
	res, err := w.http.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

func release(name string) map[string]any {
	return map[string]any{"name": name, "version": "1.0", "type": "minor", "environment": "production",
		"planned_start": "2031-03-01T08:00:00Z", "planned_end": "2031-03-01T10:00:00Z"}
}

type created struct {
	ID        int64
	Name      string
	CreatedBy string `json:"created_by"`
}

// Local mode: the whole backend in-process, every request signed in as the
// local user (all three roles), the audit trail naming them, events and
// notifications relayed to the window, reports written for the browser.
func TestLocalMode(t *testing.T) {
	dir := t.TempDir()
	s, err := New(context.Background(), Options{DataDir: filepath.Join(dir, "data"), ConfigPath: filepath.Join(dir, "desktop.json"),
		CacheDir: filepath.Join(dir, "cache"), Frontend: ui, Version: "test", Log: quiet(), LocalURI: "test:///default", PoolDir: "/sdtest-pool"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ev events
	ev.wire(s)
	s.Start()
	w := newWindow(t, s)

	var info Info
	if st := w.do("GET", "/desktop/info", nil, &info); st != 200 || info.Mode != ModeLocal || info.LocalUser == "" {
		t.Fatalf("info: %d %+v", st, info)
	}
	var me struct {
		User struct {
			Username string
			Roles    []string
		}
	}
	if st := w.do("GET", "/api/v1/auth/me", nil, &me); st != 200 || me.User.Username != info.LocalUser || len(me.User.Roles) != 3 {
		t.Fatalf("the local user: %d %+v", st, me)
	}
	// No cookie, no CSRF token from the page: the window is the only client.
	var r created
	if st := w.do("POST", "/api/v1/releases", release("Desktop release"), &r); st != 201 || r.CreatedBy != info.LocalUser {
		t.Fatalf("create: %d %+v", st, r)
	}
	ev.wait(t, "the release.created event", func() bool { return ev.has("release.created", "Desktop release") })
	var audit struct {
		Items []struct{ Actor, Action string }
	}
	w.do("GET", fmt.Sprintf("/api/v1/releases/%d/audit", r.ID), nil, &audit)
	if len(audit.Items) == 0 || audit.Items[0].Actor != info.LocalUser {
		t.Fatalf("audit: %+v", audit)
	}
	for _, to := range []string{"building", "testing", "awaiting-approval"} {
		if st := w.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", r.ID), map[string]string{"to": to}, nil); st != 200 {
			t.Fatalf("→ %s: %d", to, st)
		}
	}
	ev.wait(t, "an approval notification", func() bool {
		return len(ev.notes) == 1 && ev.notes[0].Title == "Approval waiting" && strings.Contains(ev.notes[0].Body, "Desktop release 1.0")
	})
	// Signing out does not lock the local user out.
	w.do("POST", "/api/v1/auth/logout", nil, nil)
	if st := w.do("GET", "/api/v1/auth/me", nil, &me); st != 200 {
		t.Fatalf("after sign-out: %d", st)
	}
	var rep struct{ Path string }
	if st := w.do("POST", "/desktop/report", map[string]int64{"release_id": r.ID}, &rep); st != 200 {
		t.Fatalf("report: %d", st)
	}
	page, _ := os.ReadFile(rep.Path)
	if !strings.Contains(string(page), "Desktop release") || len(ev.opened) != 1 || ev.opened[0] != "file://"+rep.Path {
		t.Fatalf("report %s opened %v", rep.Path, ev.opened)
	}
	var bad struct{ Error struct{ Field string } }
	if st := w.do("POST", "/desktop/connect", map[string]string{"server_url": "ftp://nowhere"}, &bad); st != 422 || bad.Error.Field != "server_url" {
		t.Fatalf("a bad server URL: %d %+v", st, bad)
	}
	if c, _ := LoadConfig(filepath.Join(dir, "desktop.json")); c.Mode != ModeLocal {
		t.Fatalf("saved mode %q", c.Mode)
	}
}

// teamServer starts a real `shakedown serve` (SHAKEDOWN_BIN, as make test
// sets it), or the same server in-process behind a real TCP listener.
func teamServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if bin := os.Getenv("SHAKEDOWN_BIN"); bin != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir, "--pool-dir", filepath.Join(dir, "pool"))
		cmd.Env = append(os.Environ(), "SHAKEDOWN_ADMIN_PASSWORD="+password)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
		for i := 0; i < 200; i++ {
			if res, err := http.Get("http://" + addr + "/api/v1/health"); err == nil {
				res.Body.Close()
				return "http://" + addr
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("shakedown serve did not start:\n%s", log.String())
	}
	srv, err := server.New(context.Background(), server.Config{DataDir: dir, AdminPassword: password, Version: "team", Log: quiet(),
		LocalURI: "test:///default", PoolDir: "/sdtest-pool"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

// Connected mode against a real team server: sign in through the window,
// work with the server's roles and data, get its live events.
func TestConnectedMode(t *testing.T) {
	team := teamServer(t)
	dir := t.TempDir()
	s, err := New(context.Background(), Options{DataDir: filepath.Join(dir, "data"), ConfigPath: filepath.Join(dir, "desktop.json"),
		CacheDir: filepath.Join(dir, "cache"), Frontend: ui, Log: quiet(), LocalURI: "test:///default", PoolDir: "/sdtest-pool"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ev events
	ev.wire(s)
	s.Start()
	w := newWindow(t, s)

	// The user enters the team server's address (File → Connect…).
	var info Info
	if st := w.do("POST", "/desktop/connect", map[string]string{"server_url": "http://127.0.0.1:1"}, nil); st != 422 {
		t.Fatalf("a server that does not answer: %d", st)
	}
	if st := w.do("POST", "/desktop/connect", map[string]string{"server_url": team}, &info); st != 200 || info.Mode != ModeConnected || info.ServerURL != team {
		t.Fatalf("connect: %d %+v", st, info)
	}
	if c, _ := LoadConfig(filepath.Join(dir, "desktop.json")); c.Mode != ModeConnected || c.ServerURL != team {
		t.Fatalf("the mode was not remembered: %+v", c)
	}
	// The UI is the app's own copy; the API is the server's, which wants a sign-in.
	res, _ := w.http.Get(w.base + "/releases/1")
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "<div id=app>") {
		t.Fatalf("UI: %s", body)
	}
	if st := w.do("GET", "/api/v1/auth/me", nil, nil); st != 401 {
		t.Fatalf("before sign-in: %d", st)
	}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	if st := w.do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": password}, &me); st != 200 || me.CSRFToken == "" {
		t.Fatalf("sign-in through the window: %d", st)
	}
	w.csrf = me.CSRFToken
	ev.wait(t, "the event stream to open after sign-in", func() bool { return ev.has("client.reconnected", "") })
	var r created
	if st := w.do("POST", "/api/v1/releases", release("Team release"), &r); st != 201 || r.CreatedBy != "admin" {
		t.Fatalf("create on the team server: %d %+v", st, r)
	}
	// The server has it, and its WebSocket told the window.
	res, err = http.Get(team + "/api/v1/health")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("team server health: %v", err)
	}
	ev.wait(t, "the team server's release.created event", func() bool { return ev.has("release.created", "Team release") })
	for _, to := range []string{"building", "testing", "awaiting-approval"} {
		if st := w.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", r.ID), map[string]string{"to": to}, nil); st != 200 {
			t.Fatalf("→ %s: %d", to, st)
		}
	}
	ev.wait(t, "an approval notification for a manager", func() bool { return len(ev.notes) == 1 && strings.Contains(ev.notes[0].Body, "Team release") })
	// A write without the CSRF token is refused by the server, as in a browser.
	w.csrf = ""
	if st := w.do("POST", "/api/v1/releases", release("No token"), nil); st != 403 {
		t.Fatalf("write without CSRF: %d", st)
	}
	// The report comes from the server, for the browser.
	var rep struct{ Path string }
	if st := w.do("POST", "/desktop/report", map[string]int64{"release_id": r.ID}, &rep); st != 200 {
		t.Fatalf("report: %d", st)
	}
	if page, _ := os.ReadFile(rep.Path); !strings.Contains(string(page), "Team release") {
		t.Fatal("the report is not the team server's")
	}
	// Back to local mode.
	if st := w.do("POST", "/desktop/local", nil, &info); st != 200 || info.Mode != ModeLocal {
		t.Fatalf("local: %d %+v", st, info)
	}
}
