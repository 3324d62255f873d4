package desktop

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/shakedown/shakedown/backend/api"
	"github.com/shakedown/shakedown/backend/apperr"
)

// Remote is the connected mode: the window shows the app's own copy of the
// UI and its API calls go to a team server through a reverse proxy, so the
// server's roles and data apply. Live events come from the server's
// WebSocket, opened here with the window's session, and reach the window as
// Wails events.
type Remote struct {
	base   *url.URL
	ui     http.Handler
	proxy  *httputil.ReverseProxy
	log    *slog.Logger
	dialer *websocket.Dialer

	mu      sync.Mutex
	session string
	changed chan struct{} // closed when the session changes
}

// ParseServerURL checks a team server URL as a user typed it.
func ParseServerURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, apperr.Invalid("server_url", "Give the team server's address, such as https://shakedown.example.com or http://10.0.0.5:8080.")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// Probe checks that a Shakedown server answers at u.
func Probe(ctx context.Context, u *url.URL) (version string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+api.Prefix+"/health", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", apperr.Invalid("server_url", "No server answers at %s: %v.", u, err)
	}
	defer res.Body.Close()
	var h api.Health
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&h) != nil || h.Status == "" {
		return "", apperr.Invalid("server_url", "%s answers, but it is not a Shakedown server (HTTP %d on %s/health).", u, res.StatusCode, api.Prefix)
	}
	return h.Version, nil
}

// NewRemote serves dist (the built UI) and proxies the API to the server at u.
func NewRemote(u *url.URL, dist fs.FS, log *slog.Logger) *Remote {
	r := &Remote{base: u, ui: api.FrontendHandler(dist), log: log, changed: make(chan struct{}),
		dialer: &websocket.Dialer{HandshakeTimeout: 10 * time.Second}}
	origin := u.Scheme + "://" + u.Host
	r.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = u.Host
			// The server checks that writes come from its own origin; for
			// it, the window is a page of its own.
			if pr.In.Header.Get("Origin") != "" {
				pr.Out.Header.Set("Origin", origin)
			}
			pr.Out.Header.Del("Referer")
			// The app keeps the session itself: a webview does not always
			// store cookies for its custom scheme (WebKitGTK and wails://).
			if c, err := pr.In.Cookie(api.SessionCookie); err == nil {
				r.setSession(c.Value)
			} else if session, _ := r.Session(); session != "" {
				pr.Out.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
			}
		},
		ModifyResponse: r.rewriteCookies,
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			json.NewEncoder(w).Encode(api.ErrorBody{Error: api.ErrorDetail{Code: "unavailable",
				Message: fmt.Sprintf("The team server %s cannot be reached: %v. Check the connection, or switch to local mode.", u, err)}})
		},
	}
	return r
}

// URL is the team server's address.
func (r *Remote) URL() string { return r.base.String() }

// rewriteCookies keeps the server's session cookie usable by the window
// (its origin is not the server's: no Domain, no Secure) and remembers the
// session for the event stream.
func (r *Remote) rewriteCookies(res *http.Response) error {
	cookies := res.Cookies()
	if len(cookies) == 0 {
		return nil
	}
	res.Header.Del("Set-Cookie")
	for _, c := range cookies {
		if c.Name == api.SessionCookie {
			if c.MaxAge < 0 || c.Value == "" {
				r.setSession("")
			} else {
				r.setSession(c.Value)
			}
		}
		c.Domain, c.Secure = "", false
		res.Header.Add("Set-Cookie", c.String())
	}
	return nil
}

func (r *Remote) setSession(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s == r.session {
		return
	}
	r.session = s
	close(r.changed)
	r.changed = make(chan struct{})
}

// Session is the window's current session with the server ("" when signed out).
func (r *Remote) Session() (string, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.session, r.changed
}

func (r *Remote) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, api.Prefix+"/") {
		r.proxy.ServeHTTP(w, req)
		return
	}
	r.ui.ServeHTTP(w, req)
}

// Events relays the server's live events to emit until ctx ends: it opens
// the WebSocket whenever the window has a session, reopens it after a drop
// (telling the window to refresh with a client.reconnected event on every
// connection), and
// follows sign-in and sign-out.
func (r *Remote) Events(ctx context.Context, emit func(raw []byte)) {
	wsURL := *r.base
	wsURL.Scheme = map[string]string{"http": "ws", "https": "wss"}[r.base.Scheme]
	wsURL.Path += api.Prefix + "/events"
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		session, changed := r.Session()
		if session == "" {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		hdr := http.Header{"Origin": {r.base.Scheme + "://" + r.base.Host}}
		hdr.Set("Cookie", (&http.Cookie{Name: api.SessionCookie, Value: session}).String())
		conn, res, err := r.dialer.DialContext(ctx, wsURL.String(), hdr)
		if err != nil {
			if res != nil && res.StatusCode == http.StatusUnauthorized {
				r.setSession("") // signed out or expired: wait for the next sign-in
				continue
			}
			r.log.Warn("team server events: cannot connect", "url", wsURL.String(), "err", err)
			select {
			case <-ctx.Done():
			case <-changed:
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 15*time.Second)
			continue
		}
		backoff = 500 * time.Millisecond
		// Events may have been missed before this connection (at sign-in
		// or during a drop): tell the window to refresh what it shows.
		emit([]byte(`{"type":"client.reconnected","id":"","data":null}`))
		r.pump(ctx, conn, changed, emit)
	}
}

// pump forwards one connection's messages until it drops, the session
// changes or ctx ends.
func (r *Remote) pump(ctx context.Context, conn *websocket.Conn, changed <-chan struct{}, emit func([]byte)) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-changed:
		case <-done:
		}
		conn.Close()
	}()
	defer close(done)
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return
		}
		emit(raw)
	}
}
