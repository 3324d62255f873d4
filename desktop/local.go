package desktop

import (
	"context"
	"net/http"
	"os/user"
	"regexp"
	"strings"
	"sync"

	"github.com/shakedown/shakedown/backend/api"
	"github.com/shakedown/shakedown/backend/auth"
)

// usernameRE is what auth accepts as a username.
var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// LocalUsername is the account the local user works as: the operating
// system's user name when it is a valid Shakedown username, else "local".
func LocalUsername() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = strings.ToLower(u.Username)
	}
	if !usernameRE.MatchString(name) || name == "admin" || name == "system" {
		return "local"
	}
	return name
}

// LocalAuth signs every request from the desktop window in as the local
// user, who holds all three roles. Requests reach it only through the
// window (Wails' AssetServer opens no port), so the window is the only
// client; the audit trail still records each action under the user's name.
type LocalAuth struct {
	auth     *auth.Service
	username string

	mu     sync.Mutex
	secret string
	csrf   string
}

// NewLocalAuth signs the local user in (creating the account on first use).
func NewLocalAuth(ctx context.Context, as *auth.Service, username string) (*LocalAuth, error) {
	l := &LocalAuth{auth: as, username: username}
	if _, _, err := l.session(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Username is the local user's account name.
func (l *LocalAuth) Username() string { return l.username }

// session returns a live session secret and its CSRF token, opening a new
// session when the old one expired or was signed out.
func (l *LocalAuth) session(ctx context.Context) (secret, csrf string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secret != "" {
		if _, _, err := l.auth.SessionActor(ctx, l.secret); err == nil {
			return l.secret, l.csrf, nil
		}
	}
	if _, l.secret, l.csrf, err = l.auth.LocalSession(ctx, l.username); err != nil {
		l.secret, l.csrf = "", ""
	}
	return l.secret, l.csrf, err
}

// Wrap authenticates the window's requests to h.
func (l *LocalAuth) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, api.Prefix+"/") && r.Header.Get("Authorization") == "" {
			secret, csrf, err := l.session(r.Context())
			if err != nil {
				http.Error(w, "The local user cannot be signed in: "+err.Error(), http.StatusInternalServerError)
				return
			}
			r = r.Clone(r.Context())
			r.Header.Del("Cookie")
			r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: secret})
			// The window is the only client: its writes are the user's own.
			r.Header.Del("Origin")
			r.Header.Set(api.CSRFHeader, csrf)
		}
		h.ServeHTTP(w, r)
	})
}
