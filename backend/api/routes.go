package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/hostinfo"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/settings"
)

var (
	testers  = []auth.Role{auth.RoleTester, auth.RoleAdmin}
	admins   = []auth.Role{auth.RoleAdmin}
	pageArgs = []param{{Name: "limit", Type: "integer", Doc: "page size, 1–200 (default 50)"}, {Name: "offset", Type: "integer", Doc: "items to skip"}}
)

// Health is the answer of the health check.
type Health struct {
	Status   string `json:"status"`
	Version  string `json:"version"`
	Database string `json:"database"`
}

// LoginRequest signs a user in.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Me is the signed-in user and the CSRF token for their session.
type Me struct {
	User      auth.User `json:"user"`
	CSRFToken string    `json:"csrf_token"`
}

// TokenRequest creates a personal API token.
type TokenRequest struct {
	Name string `json:"name"`
	// ExpiresInDays is how long the token lives: 1 to the settings'
	// token_max_days, which is also the lifetime when it is absent. 0 means
	// it never expires, only if the settings allow_non_expiring_tokens.
	ExpiresInDays *int `json:"expires_in_days,omitempty"`
}

// TokensRevoked says how many tokens a revocation removed.
type TokensRevoked struct {
	Revoked int `json:"revoked"`
}

// PasswordRequest changes the signed-in user's own password.
type PasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// TokenCreated carries the new token's secret, shown once.
type TokenCreated struct {
	Token  auth.Token `json:"token"`
	Secret string     `json:"secret"`
}

// TransitionRequest moves a release to another state.
type TransitionRequest struct {
	To release.State `json:"to"`
	// Reason says why; moves to rejected, cancelled, failed and rolled-back
	// (and an emergency release's expedited move) need one.
	Reason string `json:"reason,omitempty"`
	// Digest, on a move to deploying, must be the approved package digest.
	Digest string `json:"digest,omitempty"`
	// OverrideFreeze, on a move to deploying, lets an admin start the
	// deployment inside a freeze window; it needs a reason and is audited.
	OverrideFreeze bool `json:"override_freeze,omitempty"`
}

func (a *API) table() []route {
	return []route{
		{Method: "GET", Path: "/health", Tag: "system", Summary: "Liveness and database check (no auth)", Access: public, Out: Health{}, Status: 200, Handle: a.health},
		{Method: "GET", Path: "/openapi.json", Tag: "system", Summary: "This OpenAPI document (no auth)", Access: public, Out: map[string]any{}, Status: 200, Handle: a.openapi},
		{Method: "GET", Path: "/host", Tag: "system", Summary: "Host CPU, memory, load and data-disk figures", Access: signedIn, Out: hostinfo.Status{}, Status: 200, Handle: a.host},
		{Method: "GET", Path: "/events", Tag: "system", Summary: "WebSocket stream of events (release.*, freeze.changed, ci.changed, operation.updated, host.sample, …); user.changed and settings.changed only to admins; an operation's connection error only to who started it and admins", Access: signedIn,
			Query: []param{{Name: "token", Type: "string", Doc: "API token, for clients that cannot send headers"}}, Out: map[string]any{}, Status: 101, Handle: a.events},

		{Method: "POST", Path: "/auth/login", Tag: "auth", Summary: "Sign in (a JSON body, from this site or a script); sets the session cookie and returns the CSRF token. Failed attempts slow down that username from that address", Access: public, Body: LoginRequest{}, Out: Me{}, Status: 200,
			Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests}, Handle: a.login},
		{Method: "POST", Path: "/auth/password", Tag: "auth", Summary: "Change your own password (the current one is required); ends your other sessions and revokes your API tokens", Access: signedIn, Body: PasswordRequest{}, Out: auth.PasswordChange{}, Status: 200,
			Errors: []int{http.StatusTooManyRequests}, Handle: a.changePassword},
		{Method: "POST", Path: "/auth/logout", Tag: "auth", Summary: "Sign out", Access: signedIn, Status: 204, Handle: a.logout},
		{Method: "GET", Path: "/auth/me", Tag: "auth", Summary: "The signed-in user and the session's CSRF token", Access: signedIn, Out: Me{}, Status: 200, Handle: a.me},
		{Method: "GET", Path: "/auth/tokens", Tag: "auth", Summary: "Your personal API tokens, with their expiry and last use", Access: signedIn, Out: auth.Token{}, List: true, Status: 200, Handle: a.listTokens},
		{Method: "POST", Path: "/auth/tokens", Tag: "auth", Summary: "Create a personal API token (the secret is shown once); its lifetime is bounded by the settings", Access: signedIn, Body: TokenRequest{}, Out: TokenCreated{}, Status: 201, Handle: a.createToken},
		{Method: "DELETE", Path: "/auth/tokens", Tag: "auth", Summary: "Revoke all of your tokens", Access: signedIn, Out: TokensRevoked{}, Status: 200, Handle: a.revokeAllTokens},
		{Method: "DELETE", Path: "/auth/tokens/{id}", Tag: "auth", Summary: "Revoke one of your tokens", Access: signedIn, Status: 204, Handle: a.deleteToken},

		{Method: "GET", Path: "/settings", Tag: "users", Summary: "Run-time settings: token lifetimes, networks disk imports may reach, trusted proxies", Access: signedIn, Out: settings.Settings{}, Status: 200, Handle: a.getSettings},
		{Method: "PUT", Path: "/settings", Tag: "users", Summary: "Change the run-time settings (admins; audited with before and after)", Access: signedIn, Roles: admins, Body: settings.Settings{}, Out: settings.Settings{}, Status: 200, Handle: a.putSettings},
		{Method: "GET", Path: "/users", Tag: "users", Summary: "List users", Access: signedIn, Roles: admins, Out: auth.User{}, List: true, Status: 200, Handle: a.listUsers},
		{Method: "POST", Path: "/users", Tag: "users", Summary: "Create a user", Access: signedIn, Roles: admins, Body: auth.UserInput{}, Out: auth.User{}, Status: 201, Handle: a.createUser},
		{Method: "GET", Path: "/users/{id}", Tag: "users", Summary: "One user", Access: signedIn, Roles: admins, Out: auth.User{}, Status: 200, Handle: a.getUser},
		{Method: "PATCH", Path: "/users/{id}", Tag: "users", Summary: "Change a user's name, roles, password or disabled flag (a new password or disabling ends their sessions and revokes their API tokens)", Access: signedIn, Roles: admins, Body: auth.UserInput{}, Out: auth.User{}, Status: 200, Handle: a.updateUser},

		{Method: "GET", Path: "/releases", Tag: "releases", Summary: "List releases with filters, sorting and pagination", Access: signedIn, Out: release.Summary{}, List: true, Status: 200, Shared: true, Handle: a.listReleases,
			Query: append([]param{
				{Name: "state", Of: release.State(""), List: true, Doc: "one state or a comma-separated list"},
				{Name: "type", Of: release.Type("")},
				{Name: "environment", Type: "string"},
				{Name: "q", Type: "string", Doc: "text in name, version, description or owner"},
				{Name: "ci_id", Type: "integer", Doc: "releases touching this configuration item"},
				{Name: "sort", Type: "string", Enum: release.SortKeys()},
				{Name: "order", Type: "string", Enum: []string{"asc", "desc"}},
			}, pageArgs...)},
		{Method: "POST", Path: "/releases", Tag: "releases", Summary: "Create a release (state planned)", Access: signedIn, Roles: testers, Body: release.Input{}, Out: release.Release{}, Status: 201, Handle: a.createRelease},
		{Method: "GET", Path: "/releases/{id}", Tag: "releases", Summary: "One release with scope, risk, conflicts, timeline and the transitions you may take", Access: signedIn, Out: release.Release{}, Status: 200, Handle: byID("release", a.Releases.Get)},
		{Method: "PATCH", Path: "/releases/{id}", Tag: "releases", Summary: "Change a release (planned, building or rejected only); changes, ci_ids and depends_on replace the whole set", Access: signedIn, Roles: testers, Body: release.Input{}, Out: release.Release{}, Status: 200, Handle: byIDBody("release", a.Releases.Update)},
		{Method: "POST", Path: "/releases/{id}/transitions", Tag: "releases", Summary: "Move a release to another lifecycle state (roles depend on the target state)", Access: signedIn, Body: TransitionRequest{}, Out: release.Release{}, Status: 200,
			RolesBy: &roleRule{Field: "to", ByValue: transitionRoles()}, Handle: a.transition},
		{Method: "GET", Path: "/releases/{id}/audit", Tag: "releases", Summary: "Audit entries of one release, newest first", Access: signedIn, Query: pageArgs, Out: audit.Entry{}, List: true, Status: 200, Handle: a.releaseAudit},

		{Method: "GET", Path: "/cis", Tag: "configuration items", Summary: "List the configuration item catalog", Access: signedIn, Out: release.CI{}, List: true, Status: 200, Handle: a.listCIs,
			Query: append([]param{{Name: "q", Type: "string"}, {Name: "kind", Type: "string", Enum: []string{"vm", "host"}}, {Name: "environment", Type: "string"}}, pageArgs...)},
		{Method: "POST", Path: "/cis", Tag: "configuration items", Summary: "Add a configuration item", Access: signedIn, Roles: testers, Body: release.CIInput{}, Out: release.CI{}, Status: 201, Handle: a.createCI},
		{Method: "GET", Path: "/cis/{id}", Tag: "configuration items", Summary: "One configuration item", Access: signedIn, Out: release.CI{}, Status: 200, Handle: a.getCI},
		{Method: "PATCH", Path: "/cis/{id}", Tag: "configuration items", Summary: "Change a configuration item (re-scores the open releases touching it)", Access: signedIn, Roles: testers, Body: release.CIInput{}, Out: release.CI{}, Status: 200, Handle: a.updateCI},

		{Method: "GET", Path: "/freezes", Tag: "calendar", Summary: "List freeze windows", Access: signedIn, Out: release.FreezeWindow{}, List: true, Status: 200, Handle: a.listFreezes},
		{Method: "POST", Path: "/freezes", Tag: "calendar", Summary: "Create a freeze window (one-off or recurring)", Access: signedIn, Roles: admins, Body: release.FreezeInput{}, Out: release.FreezeWindow{}, Status: 201, Handle: a.createFreeze},
		{Method: "PATCH", Path: "/freezes/{id}", Tag: "calendar", Summary: "Change a freeze window", Access: signedIn, Roles: admins, Body: release.FreezeInput{}, Out: release.FreezeWindow{}, Status: 200, Handle: a.updateFreeze},
		{Method: "DELETE", Path: "/freezes/{id}", Tag: "calendar", Summary: "Delete a freeze window", Access: signedIn, Roles: admins, Status: 204, Handle: a.deleteFreeze},
		{Method: "GET", Path: "/calendar", Tag: "calendar", Summary: "Releases and freeze occurrences in a time range", Access: signedIn, Out: release.Calendar{}, Status: 200, Shared: true, Handle: a.calendar,
			Query: []param{{Name: "from", Type: "string", Doc: "RFC 3339 start", Required: true}, {Name: "to", Type: "string", Doc: "RFC 3339 end", Required: true}}},

		{Method: "GET", Path: "/audit", Tag: "audit", Summary: "The audit trail, newest first; entries about users, tokens, sessions and settings only for admins (others: 403 when they ask for those entities, left out otherwise)", Access: signedIn, Out: audit.Entry{}, List: true, Status: 200, Errors: []int{http.StatusForbidden}, Handle: a.listAudit,
			Query: append([]param{{Name: "entity", Type: "string", Doc: "user, token, session and settings: admins only"}, {Name: "entity_id", Type: "string"}, {Name: "actor", Type: "string"}}, pageArgs...)},
		{Method: "GET", Path: "/audit/verify", Tag: "audit", Summary: "Recompute the whole hash chain and report the first broken entry (by id; for every role)", Access: signedIn, Out: audit.Verification{}, Status: 200, Handle: a.verifyAudit},

		{Method: "GET", Path: "/operations", Tag: "operations", Summary: "List long operations, newest first", Access: signedIn, Out: ops.Operation{}, List: true, Status: 200, Handle: a.listOps,
			Query: append([]param{{Name: "status", Of: ops.Status(""), List: true, Doc: "one status or a comma-separated list"}, {Name: "kind", Type: "string"}, {Name: "entity", Type: "string"}, {Name: "entity_id", Type: "string"}}, pageArgs...)},
		{Method: "GET", Path: "/operations/{id}", Tag: "operations", Summary: "One operation's status and progress", Access: signedIn, TextID: true, Out: ops.Operation{}, Status: 200, Handle: a.getOp},
		{Method: "POST", Path: "/operations/{id}/cancel", Tag: "operations", Summary: "Cancel a running operation (it undoes its half-done work)", Access: signedIn, TextID: true, Out: ops.Operation{}, Status: 202,
			RolesBy: &roleRule{Owner: "created_by", OrRoles: admins}, Handle: a.cancelOp},
	}
}

func (a *API) health(c *call) (any, error) {
	h := Health{Status: "ok", Version: a.Version, Database: "ok"}
	if err := a.DB.PingContext(c.ctx()); err != nil {
		h.Status, h.Database = "degraded", err.Error()
	}
	return h, nil
}

func (a *API) host(c *call) (any, error) {
	st := a.Host.Latest()
	if st.SampledAt.IsZero() {
		return a.Host.Sample(c.ctx(), 200*time.Millisecond)
	}
	return st, nil
}

func (a *API) events(c *call) (any, error) {
	a.hub.Serve(c.w, c.r, events.Viewer{Username: c.actor.Username, Admin: c.actor.Has(auth.RoleAdmin)})
	return handled, nil
}

func (a *API) login(c *call) (any, error) {
	// Signing in needs no credentials but is a write all the same: a page
	// of another site must not sign the browser in to an account of its
	// choosing (login CSRF), so it gets the Origin check of every write,
	// and a body no form can send.
	if !events.SameOrigin(c.r) {
		return nil, apperr.Forbidden("This sign-in came from another site; it was refused.")
	}
	if err := requireJSON(c.r); err != nil {
		return nil, err
	}
	var in LoginRequest
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Username) == "" {
		return nil, apperr.Invalid("username", "Username is required.")
	}
	if in.Password == "" {
		return nil, apperr.Invalid("password", "Password is required.")
	}
	from := a.remote(c.r)
	u, secret, csrf, err := a.Auth.Login(c.ctx(), in.Username, in.Password, from.addr)
	if err != nil {
		return nil, err
	}
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: a.SecureCookies || from.https, MaxAge: int(auth.SessionTTL.Seconds())})
	return Me{User: u, CSRFToken: csrf}, nil
}

func (a *API) logout(c *call) (any, error) {
	if cookie, err := c.r.Cookie(SessionCookie); err == nil {
		if err := a.Auth.Logout(c.ctx(), cookie.Value); err != nil {
			return nil, err
		}
	}
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: a.SecureCookies || a.remote(c.r).https, MaxAge: -1})
	return nil, nil
}

func (a *API) me(c *call) (any, error) {
	u, err := a.Auth.GetUser(c.ctx(), c.actor.UserID)
	if err != nil {
		return nil, err
	}
	csrf := ""
	if cookie, err := c.r.Cookie(SessionCookie); err == nil && !c.actor.ViaToken {
		_, csrf, _ = a.Auth.SessionActor(c.ctx(), cookie.Value)
	}
	return Me{User: u, CSRFToken: csrf}, nil
}

func (a *API) listTokens(c *call) (any, error) {
	ts, err := a.Auth.ListTokens(c.ctx(), c.actor)
	return List[auth.Token]{Items: ts, Total: len(ts), Limit: len(ts)}, err
}

func (a *API) createToken(c *call) (any, error) {
	var in TokenRequest
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	t, secret, err := a.Auth.CreateToken(c.ctx(), c.actor, in.Name, in.ExpiresInDays)
	return TokenCreated{Token: t, Secret: secret}, err
}

func (a *API) revokeAllTokens(c *call) (any, error) {
	n, err := a.Auth.RevokeAllTokens(c.ctx(), c.actor)
	return TokensRevoked{Revoked: n}, err
}

func (a *API) changePassword(c *call) (any, error) {
	var in PasswordRequest
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	session := ""
	if cookie, err := c.r.Cookie(SessionCookie); err == nil && !c.actor.ViaToken {
		session = cookie.Value
	}
	return a.Auth.ChangePassword(c.ctx(), c.actor, session, in.CurrentPassword, in.NewPassword, a.remote(c.r).addr)
}

func (a *API) deleteToken(c *call) (any, error) {
	id, err := pathID(c, "token")
	if err != nil {
		return nil, err
	}
	return nil, a.Auth.DeleteToken(c.ctx(), c.actor, id)
}

func (a *API) listUsers(c *call) (any, error) {
	us, err := a.Auth.ListUsers(c.ctx())
	return List[auth.User]{Items: us, Total: len(us), Limit: len(us)}, err
}

func (a *API) createUser(c *call) (any, error) {
	var in auth.UserInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Auth.CreateUser(c.ctx(), c.actor, in)
}

func (a *API) getUser(c *call) (any, error) {
	id, err := pathID(c, "user")
	if err != nil {
		return nil, err
	}
	return a.Auth.GetUser(c.ctx(), id)
}

func (a *API) updateUser(c *call) (any, error) {
	id, in, err := idAndBody[auth.UserInput](c, "user")
	if err != nil {
		return nil, err
	}
	return a.Auth.UpdateUser(c.ctx(), c.actor, id, in)
}

func (a *API) listReleases(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	f := release.Filter{Type: release.Type(q.Get("type")), Environment: q.Get("environment"), Q: q.Get("q"),
		Sort: q.Get("sort"), Order: q.Get("order"), Limit: limit, Offset: offset}
	for _, s := range strings.Split(q.Get("state"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.States = append(f.States, release.State(s))
		}
	}
	if v := q.Get("ci_id"); v != "" {
		if f.CIID, err = strconv.ParseInt(v, 10, 64); err != nil || f.CIID <= 0 {
			return nil, apperr.Invalid("ci_id", "ci_id must be a configuration item id.")
		}
	}
	items, total, err := a.Releases.List(c.ctx(), f)
	return List[release.Summary]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

func (a *API) createRelease(c *call) (any, error) {
	var in release.Input
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Releases.Create(c.ctx(), c.actor, in)
}

// transitionRoles is release.TransitionRoles keyed by the state's name.
func transitionRoles() map[string][]auth.Role {
	out := map[string][]auth.Role{}
	for st, roles := range release.TransitionRoles() {
		out[string(st)] = roles
	}
	return out
}

func (a *API) transition(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	var in TransitionRequest
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	if in.To == "" {
		return nil, apperr.Invalid("to", "Say which state to move to (field \"to\").")
	}
	return a.Rollouts.Transition(c.ctx(), c.actor, id, release.Move{To: in.To, Reason: in.Reason, Digest: in.Digest, OverrideFreeze: in.OverrideFreeze})
}

func (a *API) releaseAudit(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	if _, err := a.Releases.Get(c.ctx(), c.actor, id); err != nil {
		return nil, err
	}
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	items, total, err := audit.List(c.ctx(), a.DB, audit.Filter{Entity: "release", EntityID: strconv.FormatInt(id, 10), Limit: limit, Offset: offset})
	return List[audit.Entry]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

func (a *API) listCIs(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	items, total, err := a.Releases.ListCIs(c.ctx(), release.CIFilter{Q: q.Get("q"), Kind: q.Get("kind"), Environment: q.Get("environment"), Limit: limit, Offset: offset})
	return List[release.CI]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

func (a *API) createCI(c *call) (any, error) {
	var in release.CIInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Releases.CreateCI(c.ctx(), c.actor, in)
}

func (a *API) getCI(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	return a.Releases.GetCI(c.ctx(), id)
}

func (a *API) updateCI(c *call) (any, error) {
	id, in, err := idAndBody[release.CIInput](c, "configuration item")
	if err != nil {
		return nil, err
	}
	return a.Releases.UpdateCI(c.ctx(), c.actor, id, in)
}

func (a *API) getSettings(c *call) (any, error) { return a.Settings.Get(c.ctx()) }

func (a *API) putSettings(c *call) (any, error) {
	var in settings.Settings
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Settings.Put(c.ctx(), c.actor, in)
}

func (a *API) listFreezes(c *call) (any, error) {
	fs, err := a.Releases.ListFreezes(c.ctx())
	return List[release.FreezeWindow]{Items: fs, Total: len(fs), Limit: len(fs)}, err
}

func (a *API) createFreeze(c *call) (any, error) {
	var in release.FreezeInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Releases.CreateFreeze(c.ctx(), c.actor, in)
}

func (a *API) updateFreeze(c *call) (any, error) {
	id, in, err := idAndBody[release.FreezeInput](c, "freeze window")
	if err != nil {
		return nil, err
	}
	return a.Releases.UpdateFreeze(c.ctx(), c.actor, id, in)
}

func (a *API) deleteFreeze(c *call) (any, error) {
	id, err := pathID(c, "freeze window")
	if err != nil {
		return nil, err
	}
	return nil, a.Releases.DeleteFreeze(c.ctx(), c.actor, id)
}

func (a *API) calendar(c *call) (any, error) {
	q := c.r.URL.Query()
	from, err := queryTime(q.Get("from"), "from")
	if err != nil {
		return nil, err
	}
	to, err := queryTime(q.Get("to"), "to")
	if err != nil {
		return nil, err
	}
	return a.Releases.CalendarRange(c.ctx(), from, to)
}

func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, apperr.Invalid(field, "%s is required: a date and time like 2026-12-01T00:00:00Z.", field)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apperr.Invalid(field, "%s must be a date and time like 2026-12-01T00:00:00Z.", field)
	}
	return t.UTC(), nil
}

func (a *API) listAudit(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	f := audit.Filter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Actor: q.Get("actor"), Admin: c.actor.Has(auth.RoleAdmin), Limit: limit, Offset: offset}
	if !f.Admin && audit.AdminOnly(f.Entity) {
		return nil, apperr.Forbidden("Audit entries about users, tokens, sessions and settings are for admins; you have %s.", auth.RoleList(c.actor.Roles))
	}
	items, total, err := audit.List(c.ctx(), a.DB, f)
	return List[audit.Entry]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

// verifyAudit walks the whole chain, admin-side entries included, for
// everyone: the answer names entries by id only, never their content.
func (a *API) verifyAudit(c *call) (any, error) {
	return audit.Verify(c.ctx(), a.DB)
}

func (a *API) listOps(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	f := ops.Filter{Kind: q.Get("kind"), Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Limit: limit, Offset: offset}
	for _, s := range strings.Split(q.Get("status"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.Statuses = append(f.Statuses, ops.Status(s))
		}
	}
	items, total, err := a.Ops.List(c.ctx(), f)
	for i := range items {
		items[i] = items[i].For(c.actor)
	}
	return List[ops.Operation]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

func (a *API) getOp(c *call) (any, error) {
	op, err := a.Ops.Get(c.ctx(), c.r.PathValue("id"))
	return op.For(c.actor), err
}

func (a *API) cancelOp(c *call) (any, error) {
	op, err := a.Ops.Cancel(c.ctx(), c.actor, c.r.PathValue("id"))
	return op.For(c.actor), err
}
