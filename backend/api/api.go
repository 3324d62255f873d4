// Package api is Shakedown's HTTP API under /api/v1: the route table (which
// also generates the OpenAPI document), authentication, CSRF, JSON in and
// out and the one mapper from domain errors to HTTP statuses. It holds no
// business rules.
package api

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/hostinfo"
	"github.com/shakedown/shakedown/backend/inventory"
	"github.com/shakedown/shakedown/backend/kpi"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/notify"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/backend/settings"
	"github.com/shakedown/shakedown/backend/store"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// SessionCookie names the browser session cookie.
const SessionCookie = "shakedown_session"

// CSRFHeader carries the session's CSRF token on unsafe requests.
const CSRFHeader = "X-CSRF-Token"

// Deps are the services the API serves.
type Deps struct {
	DB       *store.DB
	Auth     *auth.Service
	Releases *release.Service
	KPIs     *kpi.Service
	Settings *settings.Service
	Ops      *ops.Manager
	Bus      *events.Bus
	Host     *hostinfo.Sampler
	Labs     *lab.Service
	Packages *packages.Store
	Targets  *inventory.Service
	Rollouts *rollout.Service
	Notify   *notify.Service
	Log      *slog.Logger
	Version  string
	// Frontend is the built web UI; nil serves a note instead.
	Frontend fs.FS
	// SecureCookies marks the session cookie Secure (behind HTTPS).
	SecureCookies bool
}

// API is the http.Handler for the API and the web UI.
type API struct {
	Deps
	hub    *events.Hub
	mux    *http.ServeMux
	routes []route
	shared *store.Memo[string, []byte] // encoded answers of Shared routes, by URL
}

// Patterns lists the method and path of every API route the mux serves.
func (a *API) Patterns() []string {
	out := make([]string, len(a.routes))
	for i, rt := range a.routes {
		out[i] = rt.Method + " " + Prefix + rt.Path
	}
	return out
}

// New builds the handler.
func New(d Deps) *API {
	a := &API{Deps: d, hub: events.NewHub(d.Bus, d.Log), mux: http.NewServeMux(), shared: store.NewMemo[string, []byte](d.DB, 32)}
	a.routes = a.allRoutes()
	for _, rt := range a.routes {
		a.mux.Handle(rt.Method+" "+Prefix+rt.Path, a.wrap(rt))
	}
	a.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, ErrorBody{ErrorDetail{Code: CodeNotFound,
			Message: "No API route " + r.Method + " " + r.URL.Path + "; see /api/v1/openapi.json."}})
	})
	a.mux.Handle("/", a.frontend())
	return a
}

// allRoutes is the route table: what the mux serves and the document says.
func (a *API) allRoutes() []route {
	return slices.Concat(a.table(), a.labRoutes(), a.signOffRoutes(), a.rolloutRoutes(), a.targetRoutes(), a.notifyRoutes())
}

// contentSecurityPolicy is the policy of every answer: scripts, styles and
// images from this origin only, WebSockets to this host only (not ws: to
// anywhere), no <base> and forms posting only here.
func contentSecurityPolicy(r *http.Request) string {
	connect := "'self'"
	if host := r.Host; host != "" && !strings.ContainsAny(host, " ;,'\"") {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'self'; connect-src " + connect + "; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// ServeHTTP adds the headers every response carries and recovers panics.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentSecurityPolicy(r))
	defer func() {
		if p := recover(); p != nil {
			a.Log.Error("panic", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, ErrorBody{ErrorDetail{Code: CodeInternal, Message: "Something went wrong on the server; it has been logged."}})
		}
	}()
	a.mux.ServeHTTP(w, r)
}

// access says who may call a route.
type access int

const (
	public   access = iota // no credentials
	signedIn               // any signed-in user, optionally narrowed by roles
)

// call is one request as a handler sees it.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	actor auth.Actor
}

func (c *call) ctx() context.Context { return c.r.Context() }

// handled is returned by handlers that wrote the response themselves.
type handledResponse struct{}

var handled = &handledResponse{}

// route is one API endpoint: how it is served and how it is documented.
type route struct {
	Method  string
	Path    string
	Summary string
	Tag     string
	Access  access
	Roles   []auth.Role // nil: any signed-in user
	Query   []param
	Body    any // example value of the request body type, for the document
	// RawBody names the media type of a streamed, non-JSON body.
	RawBody string
	Out     any // example value of the response type; nil means 204
	// Produces names the media type of an answer that is not JSON (a
	// download, a page); Out is then only a marker that there is one.
	Produces string
	List     bool // Out is the item type of a paginated List
	Status   int
	// AlsoStatus is a second success status with the same answer (200 for
	// an upload of bytes stored before, beside 201).
	AlsoStatus int
	// Errors lists error statuses beyond those that follow from how the
	// route is served (see statuses in openapi.go), e.g. 503 when a libvirt
	// host is down.
	Errors []int
	// TextID says the path's {id} is an opaque string, not a number.
	TextID bool
	// Stages is the stage enum of the operation the route starts (202).
	Stages OperationStages
	// RolesBy documents a role rule that depends on the request (the
	// service enforces it): roles per value of a body field, or the
	// resource's owner beside some roles.
	RolesBy *roleRule
	// Shared says the answer depends only on the URL and the database, not
	// on who asks (once allowed) nor on the time: it is encoded once and
	// served to everyone until the next write.
	Shared bool
	Handle func(c *call) (any, error)
}

// roleRule is a role rule that depends on the request, for the document:
// x-roles-by (Field and ByValue) or x-roles-owner (Owner and OrRoles).
type roleRule struct {
	Field   string
	ByValue map[string][]auth.Role
	Owner   string      // the field of the resource naming who may act on it
	OrRoles []auth.Role // who else may
}

// param documents a query parameter.
type param struct {
	Name, Type, Doc string
	Enum            []string // its closed set of values, when its Go type has none
	Of              any      // a value of its Go type (an Enum), documented by that type's schema
	List            bool     // a comma-separated list of values
	Required        bool
}

func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{w: w, r: r}
		err := a.authorize(c, rt)
		if err == nil {
			err = boundQuery(r)
		}
		var out any
		switch {
		case err == nil && rt.Shared:
			out, err = a.sharedAnswer(c, rt)
		case err == nil:
			out, err = rt.Handle(c)
		}
		status := rt.Status
		switch {
		case err != nil:
			writeError(w, r, a.Log, err)
			status = 0
		case out == handled:
		case rt.Shared:
			writeEncoded(w, status, out.([]byte))
		case rt.Out == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, status, out)
		}
		a.Log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", status, "user", c.actor.Username, "took", time.Since(start))
	})
}

// maxQueryValue bounds every query parameter: filters and search text are
// short, and a long pattern only costs the database.
const maxQueryValue = 256

// boundQuery refuses a query parameter longer than maxQueryValue, naming it.
func boundQuery(r *http.Request) error {
	for name, vs := range r.URL.Query() {
		for _, v := range vs {
			if utf8.RuneCountInString(v) > maxQueryValue {
				return apperr.Invalid(name, "%s may be at most %d characters.", name, maxQueryValue)
			}
		}
	}
	return nil
}

// sharedAnswer is the encoded answer of a Shared route for c's URL, read
// (on a context no single caller's cancel ends) when the database changed
// since it was last encoded.
func (a *API) sharedAnswer(c *call, rt route) (any, error) {
	return a.shared.Get(c.r.URL.RequestURI(), func() ([]byte, error) {
		sc := *c
		sc.w, sc.r = nil, c.r.WithContext(context.WithoutCancel(c.r.Context()))
		out, err := rt.Handle(&sc)
		if err != nil {
			return nil, err
		}
		return encodeJSON(out), nil
	})
}

// authorize resolves the caller (bearer token or session cookie + CSRF)
// and checks the route's roles.
func (a *API) authorize(c *call, rt route) error {
	if rt.Access == public {
		return nil
	}
	r := c.r
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return &apperr.UnauthorizedError{Message: "Use an Authorization header of the form \"Bearer <token>\"."}
		}
		actor, err := a.Auth.TokenActor(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		c.actor = actor
	} else if tok := r.URL.Query().Get("token"); tok != "" && rt.Status == http.StatusSwitchingProtocols {
		// Browsers cannot set headers on a WebSocket; scripts may pass the token here.
		actor, err := a.Auth.TokenActor(r.Context(), tok)
		if err != nil {
			return err
		}
		c.actor = actor
	} else {
		cookie, err := r.Cookie(SessionCookie)
		if err != nil || cookie.Value == "" {
			return &apperr.UnauthorizedError{Message: "Sign in first (or send an API token)."}
		}
		actor, csrf, err := a.Auth.SessionActor(r.Context(), cookie.Value)
		if err != nil {
			return err
		}
		if unsafe(r.Method) {
			if !events.SameOrigin(r) {
				return apperr.Forbidden("This request came from another site; it was refused.")
			}
			if !auth.CSRFMatches(csrf, r.Header.Get(CSRFHeader)) {
				return apperr.Forbidden("The request is missing its CSRF token (header %s); reload the page and try again.", CSRFHeader)
			}
		}
		c.actor = actor
	}
	if len(rt.Roles) > 0 && !c.actor.Has(rt.Roles...) {
		return apperr.Forbidden("This needs the %s role; you have %s.", auth.RoleList(rt.Roles), auth.RoleList(c.actor.Roles))
	}
	return nil
}

func unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// pathID reads a numeric id from the path; anything else is not found.
func pathID(c *call, entity string) (int64, error) {
	raw := c.r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound(entity, strconv.Quote(raw))
	}
	return id, nil
}

// idAndBody reads the numeric path id and the JSON body of a write.
func idAndBody[T any](c *call, entity string) (int64, T, error) {
	var in T
	id, err := pathID(c, entity)
	if err != nil {
		return 0, in, err
	}
	err = decode(c.r, &in)
	return id, in, err
}

// byID adapts a service call on the path's numeric id to a handler.
func byID[R any](entity string, fn func(context.Context, auth.Actor, int64) (R, error)) func(*call) (any, error) {
	return func(c *call) (any, error) {
		id, err := pathID(c, entity)
		if err != nil {
			return nil, err
		}
		return fn(c.ctx(), c.actor, id)
	}
}

// byIDBody adapts a service call on the path's id and a JSON body.
func byIDBody[T, R any](entity string, fn func(context.Context, auth.Actor, int64, T) (R, error)) func(*call) (any, error) {
	return func(c *call) (any, error) {
		id, in, err := idAndBody[T](c, entity)
		if err != nil {
			return nil, err
		}
		return fn(c.ctx(), c.actor, id, in)
	}
}

// page reads limit and offset.
func page(c *call) (limit, offset int, err error) {
	q := c.r.URL.Query()
	limit, offset = 50, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			return 0, 0, apperr.Invalid("limit", "limit must be a whole number from 1 to 200.")
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 || offset > 10_000_000 {
			return 0, 0, apperr.Invalid("offset", "offset must be a whole number, 0 or more.")
		}
	}
	return limit, offset, nil
}

// List is the shape of every paginated response.
type List[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// remote is what the API believes about who sent a request.
type remote struct {
	addr  string // the client's address
	https bool   // the client reached Shakedown over HTTPS
}

// remote tells the client's address and whether they came over HTTPS. The
// peer is believed about both only if it is one of the trusted proxies
// (settings.TrustedProxies): then X-Forwarded-For names the client and
// X-Forwarded-Proto the scheme. Anyone else's headers are ignored.
func (a *API) remote(r *http.Request) remote {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	out := remote{addr: peer, https: r.TLS != nil}
	ip, err := netip.ParseAddr(peer)
	if err != nil || a.Settings == nil {
		return out
	}
	st, err := a.Settings.Get(r.Context())
	if err != nil || !settings.Contains(st.TrustedProxies, ip) {
		return out
	}
	// The proxy facing the client wrote the first value.
	if proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); strings.EqualFold(strings.TrimSpace(proto), "https") {
		out.https = true
	}
	out.addr = forwardedClient(r.Header.Values("X-Forwarded-For"), st.TrustedProxies, ip)
	return out
}

// forwardedClient reads X-Forwarded-For from the nearest hop back and
// returns the first address that is not a trusted proxy: what lies further
// back the client wrote itself, and may have made up.
func forwardedClient(values, trusted []string, peer netip.Addr) string {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			ap, perr := netip.ParseAddrPort(strings.TrimSpace(hops[i]))
			if perr != nil {
				break // not an address: believe nothing further back
			}
			a = ap.Addr()
		}
		client = a
		if !settings.Contains(trusted, a) {
			break
		}
	}
	return client.Unmap().String()
}

// frontend serves the built UI; unknown paths get index.html so that
// client-side routes survive a reload.
func (a *API) frontend() http.Handler { return FrontendHandler(a.Frontend) }

// FrontendHandler serves a built UI (dist) as a single-page app; the desktop
// app serves it the same way in front of a team server.
func FrontendHandler(dist fs.FS) http.Handler {
	if dist == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "The web UI is not built into this binary: run `make build`. The API is at /api/v1.", http.StatusNotFound)
		})
	}
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p != "" {
			if _, err := fs.Stat(dist, p); err == nil {
				if strings.HasPrefix(p, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		index, err := fs.ReadFile(dist, "index.html")
		if err != nil {
			http.Error(w, "The web UI is not built into this binary: run `make build`.", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
}
