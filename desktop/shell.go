package desktop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/api"
	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/server"
)

// Options configure the shell.
type Options struct {
	DataDir    string
	ConfigPath string
	CacheDir   string
	Frontend   fs.FS
	Version    string
	Log        *slog.Logger
	// ServerURL starts in connected mode with this team server, overriding
	// the remembered mode.
	ServerURL string
	// Local mode's libvirt host (default qemu:///system) and pool directory
	// (default DataDir/pool); Demo seeds the demo dataset into a new database.
	LocalURI, PoolDir string
	Demo              bool
}

// Shell is the desktop app without its window: it serves the window's
// requests (the API and UI of the local backend or of a team server, plus a
// few /desktop/ routes of its own) and relays live events to it.
type Shell struct {
	opts    Options
	log     *slog.Logger
	started time.Time

	// Set by the window before Start.
	Emit    func(raw []byte)    // a live event for the window
	Notify  func(Notification)  // a desktop notification
	OpenURL func(url string)    // open in the default browser
	OnSmoke func(result []byte) // the smoke test's result, from the page
	Painted func(ms int64)      // the first paint of the board

	mu         sync.Mutex
	cfg        Config
	handler    http.Handler
	local      *server.Server
	localAuth  *LocalAuth
	remote     *Remote
	stopEvents context.CancelFunc
	notifier   *Notifier
	userRoles  map[string][]auth.Role // remote session → its user's roles
}

// New opens the remembered mode (or connected mode when opts.ServerURL is
// set); if the team server does not answer, it starts in local mode and
// says so in the log.
func New(ctx context.Context, opts Options) (*Shell, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &Shell{opts: opts, log: opts.Log, started: time.Now(), userRoles: map[string][]auth.Role{}}
	cfg, err := LoadConfig(opts.ConfigPath)
	if err != nil {
		s.log.Warn("desktop settings", "err", err)
	}
	s.cfg = cfg
	if opts.ServerURL != "" {
		return s, s.Connect(ctx, opts.ServerURL)
	}
	if cfg.Mode == ModeConnected {
		if err := s.Connect(ctx, cfg.ServerURL); err == nil {
			return s, nil
		} else {
			s.log.Warn("the remembered team server does not answer; starting in local mode", "url", cfg.ServerURL, "err", err)
		}
	}
	return s, s.UseLocal(ctx)
}

// Config returns the current settings.
func (s *Shell) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// UseLocal switches to the in-process backend (started on first use).
func (s *Shell) UseLocal(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local == nil {
		pool := s.opts.PoolDir
		if pool == "" {
			pool = filepath.Join(s.opts.DataDir, "pool")
		}
		srv, err := server.New(ctx, server.Config{DataDir: s.opts.DataDir, AdminPassword: os.Getenv("SHAKEDOWN_ADMIN_PASSWORD"),
			Demo: s.opts.Demo, Version: s.opts.Version, Frontend: s.opts.Frontend, Log: s.log, LocalURI: s.opts.LocalURI, PoolDir: pool})
		if err != nil {
			return err
		}
		la, err := NewLocalAuth(ctx, srv.Auth, LocalUsername())
		if err != nil {
			srv.Close()
			return err
		}
		srv.Start()
		s.local, s.localAuth = srv, la
		s.log.Info("local mode", "data", s.opts.DataDir, "user", la.Username())
	}
	s.handler, s.remote = s.localAuth.Wrap(s.local.Handler()), nil
	s.cfg.Mode = ModeLocal
	s.save()
	s.restartEvents()
	return nil
}

// Connect switches to a team server after checking that it answers.
func (s *Shell) Connect(ctx context.Context, raw string) error {
	u, err := ParseServerURL(raw)
	if err != nil {
		return err
	}
	version, err := Probe(ctx, u)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remote = NewRemote(u, s.opts.Frontend, s.log)
	s.handler = s.remote
	s.cfg.Mode, s.cfg.ServerURL = ModeConnected, u.String()
	s.save()
	s.restartEvents()
	s.log.Info("connected mode", "server", u.String(), "server_version", version)
	return nil
}

// SaveWindowSize remembers the window's size for the next start.
func (s *Shell) SaveWindowSize(w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Width, s.cfg.Height = clamp(w, 800, 7680, 1280), clamp(h, 600, 4320, 800)
	s.save()
}

func (s *Shell) save() {
	if s.opts.ConfigPath == "" {
		return
	}
	if err := s.cfg.Save(s.opts.ConfigPath); err != nil {
		s.log.Warn("cannot save the desktop settings", "path", s.opts.ConfigPath, "err", err)
	}
}

// Start begins relaying live events to the window.
func (s *Shell) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restartEvents()
}

// restartEvents (with s.mu held) relays the current mode's events.
func (s *Shell) restartEvents() {
	if s.stopEvents != nil {
		s.stopEvents()
		s.stopEvents = nil
	}
	if s.Emit == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopEvents = cancel
	s.notifier = NewNotifier(s.canApprove)
	s.notifier.IsAdmin = s.isAdmin
	emit, notifier := s.Emit, s.notifier
	relay := func(raw []byte) {
		emit(raw)
		if n, ok := notifier.Consider(raw); ok && s.Notify != nil {
			s.Notify(n)
		}
	}
	if s.remote != nil {
		go s.remote.Events(ctx, relay)
		return
	}
	msgs, unsubscribe := s.local.Bus.Subscribe(256)
	go func() {
		defer unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					// Fell behind: start over and tell the window to refresh.
					emit([]byte(`{"type":"client.reconnected","id":"","data":null}`))
					msgs, unsubscribe = s.local.Bus.Subscribe(256)
					continue
				}
				relay(m.JSON)
			}
		}
	}()
}

// canApprove says whether the window's user may approve releases: the local
// user always; on a team server, a manager.
func (s *Shell) canApprove() bool { return slices.Contains(s.roles(), auth.RoleManager) }

// isAdmin says whether the window's user decides on rollouts: the local user
// always; on a team server, an admin.
func (s *Shell) isAdmin() bool { return slices.Contains(s.roles(), auth.RoleAdmin) }

// roles are the window's user's roles: the local user holds all three; on a
// team server, the signed-in user's, asked once per session (none when the
// server does not say).
func (s *Shell) roles() []auth.Role {
	s.mu.Lock()
	remote := s.remote
	s.mu.Unlock()
	if remote == nil {
		return auth.AllRoles
	}
	session, _ := remote.Session()
	s.mu.Lock()
	known, ok := s.userRoles[session]
	s.mu.Unlock()
	if ok {
		return known
	}
	res := s.call(remote, http.MethodGet, api.Prefix+"/auth/me", session)
	var me api.Me
	var roles []auth.Role
	if res.Code == http.StatusOK && json.Unmarshal(res.Body.Bytes(), &me) == nil {
		roles = me.User.Roles
	}
	s.mu.Lock()
	s.userRoles[session] = roles
	s.mu.Unlock()
	return roles
}

// call makes a request through h as the window would.
func (s *Shell) call(h http.Handler, method, path, session string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Close stops the events and the local backend.
func (s *Shell) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopEvents != nil {
		s.stopEvents()
	}
	if s.local != nil {
		s.local.Close()
	}
}

// Info is what the window learns about the desktop app.
type Info struct {
	Desktop   bool   `json:"desktop"`
	Mode      string `json:"mode"`
	ServerURL string `json:"server_url"`
	Version   string `json:"version"`
	LocalUser string `json:"local_user"`
	DataDir   string `json:"data_dir"`
}

func (s *Shell) info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := Info{Desktop: true, Mode: s.cfg.Mode, Version: s.opts.Version, DataDir: s.opts.DataDir}
	if s.remote != nil {
		in.ServerURL = s.remote.URL()
	}
	if s.localAuth != nil {
		in.LocalUser = s.localAuth.Username()
	}
	return in
}

// ServeHTTP serves the window: /desktop/ routes here, everything else from
// the current mode's handler.
func (s *Shell) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/desktop/") {
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		h.ServeHTTP(w, r)
		return
	}
	var out any
	var err error
	switch r.Method + " " + r.URL.Path {
	case "GET /desktop/info":
		out = s.info()
	case "POST /desktop/connect":
		var in struct {
			ServerURL string `json:"server_url"`
		}
		if err = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err == nil {
			if err = s.Connect(r.Context(), in.ServerURL); err == nil {
				out = s.info()
			}
		}
	case "POST /desktop/local":
		if err = s.UseLocal(r.Context()); err == nil {
			out = s.info()
		}
	case "POST /desktop/report":
		var in struct {
			ReleaseID int64 `json:"release_id"`
		}
		if err = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err == nil {
			var path string
			if path, err = s.OpenReport(in.ReleaseID, sessionOf(r)); err == nil {
				out = map[string]string{"path": path}
			}
		}
	case "POST /desktop/smoke":
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if s.OnSmoke != nil {
			s.OnSmoke(raw)
		}
		out = map[string]bool{"ok": true}
	case "POST /desktop/painted":
		ms := time.Since(s.started).Milliseconds()
		if s.Painted != nil {
			s.Painted(ms)
		}
		out = map[string]int64{"ms_since_start": ms}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusInternalServerError
		if apperr.KindOf(err) == apperr.KindInvalid || errors.As(err, new(*json.SyntaxError)) {
			status = http.StatusUnprocessableEntity
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.ErrorBody{Error: api.ErrorDetail{Code: "invalid", Message: err.Error(), Field: apperr.FieldOf(err)}})
		return
	}
	json.NewEncoder(w).Encode(out)
}

func sessionOf(r *http.Request) string {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// OpenReport writes a release's report to the cache directory and opens it
// in the default browser (a local backend has no address a browser could
// reach). It returns the file's path.
func (s *Shell) OpenReport(releaseID int64, session string) (string, error) {
	if releaseID <= 0 {
		return "", apperr.Invalid("release_id", "Which release's report?")
	}
	s.mu.Lock()
	h := s.handler
	s.mu.Unlock()
	res := s.call(h, http.MethodGet, api.Prefix+"/releases/"+strconv.FormatInt(releaseID, 10)+"/report", session)
	if res.Code != http.StatusOK {
		var body api.ErrorBody
		json.Unmarshal(res.Body.Bytes(), &body)
		return "", fmt.Errorf("the report cannot be made (HTTP %d): %s", res.Code, body.Error.Message)
	}
	dir := filepath.Join(s.opts.CacheDir, "reports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("release-%d.html", releaseID))
	if err := os.WriteFile(path, res.Body.Bytes(), 0o600); err != nil {
		return "", err
	}
	if s.OpenURL != nil {
		s.OpenURL("file://" + path)
	}
	return path, nil
}
