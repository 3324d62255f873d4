package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/server"
)

func TestMain(m *testing.M) {
	auth.BcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

const adminPassword = "admin-password-1"

type env struct {
	t   *testing.T
	srv *server.Server
	ts  *httptest.Server
	dir string
}

func newEnv(t *testing.T, withDemo bool) *env { return newEnvWith(t, withDemo, nil) }

// newEnvWith is newEnv with a change to the server's configuration.
func newEnvWith(t *testing.T, withDemo bool, configure func(*server.Config)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	cfg := server.Config{DataDir: dir, AdminPassword: adminPassword, Demo: withDemo, Version: "test", Log: log,
		LocalURI: "test:///default", PoolDir: "/sdtest-pool"}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return &env{t: t, srv: srv, ts: ts, dir: dir}
}

// client is a signed-in browser (cookie + CSRF) or a script (token).
type client struct {
	e     *env
	http  *http.Client
	csrf  string
	token string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar}}
}

func (e *env) login(user, password string) *client {
	e.t.Helper()
	c := e.anon()
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	if st := c.do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, &me); st != 200 {
		e.t.Fatalf("login %s: status %d", user, st)
	}
	c.csrf = me.CSRFToken
	return c
}

// user creates a user with roles (through the admin) and signs it in.
func (e *env) user(name string, roles ...string) *client {
	e.t.Helper()
	admin := e.login("admin", adminPassword)
	if st := admin.do("POST", "/api/v1/users", map[string]any{"username": name, "password": "password-" + name, "roles": roles}, nil); st != 201 {
		e.t.Fatalf("create user %s: %d", name, st)
	}
	return e.login(name, "password-"+name)
}

func (c *client) do(method, path string, body any, out any) int {
	c.e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.e.ts.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, out); err != nil {
			c.e.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error struct {
		Code, Message, Field string
	}
}

func TestHealthAndOpenAPIMatchRoutes(t *testing.T) {
	e := newEnv(t, false)
	c := e.anon()
	var h map[string]string
	if st := c.do("GET", "/api/v1/health", nil, &h); st != 200 || h["status"] != "ok" || h["database"] != "ok" {
		t.Fatalf("health = %d %v", st, h)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas   map[string]any `json:"schemas"`
			Responses map[string]any `json:"responses"`
		} `json:"components"`
	}
	if st := c.do("GET", "/api/v1/openapi.json", nil, &doc); st != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %d %q", st, doc.OpenAPI)
	}
	// What is served is the committed document, byte for byte.
	resp, err := http.Get(e.ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if committed, err := os.ReadFile("../../docs/openapi.json"); err != nil || !bytes.Equal(body, committed) {
		t.Errorf("the served document is not docs/openapi.json (%v)", err)
	}
	var documented []string
	for path, methods := range doc.Paths {
		for m, op := range methods {
			documented = append(documented, strings.ToUpper(m)+" /api/v1"+path)
			if op["summary"] == "" || op["responses"] == nil {
				t.Errorf("%s %s has no summary or responses", m, path)
			}
		}
	}
	served := e.srv.API.Patterns()
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("documented routes:\n%v\nserved routes:\n%v", documented, served)
	}
	// Every documented route answers (not the catch-all 404 / 405).
	admin := e.login("admin", adminPassword)
	for _, r := range documented {
		method, path, _ := strings.Cut(r, " ")
		if path == "/api/v1/events" {
			continue
		}
		path = strings.ReplaceAll(path, "{id}", "1")
		var body any
		if method != "GET" && method != "DELETE" {
			body = map[string]any{}
		}
		var er apiError
		st := admin.do(method, path, body, &er)
		if st == 405 || strings.Contains(er.Error.Message, "No API route") {
			t.Errorf("%s is documented but not served (%d %s)", r, st, er.Error.Message)
		}
	}
	// And an undocumented one is not served.
	var er apiError
	if st := admin.do("GET", "/api/v1/nope", nil, &er); st != 404 || er.Error.Code != "not_found" {
		t.Fatalf("undocumented route: %d %+v", st, er)
	}
	// Every $ref resolves.
	raw, _ := json.Marshal(doc)
	for _, m := range regexp.MustCompile(`#/components/(schemas|responses)/(\w+)`).FindAllStringSubmatch(string(raw), -1) {
		in := doc.Components.Schemas
		if m[1] == "responses" {
			in = doc.Components.Responses
		}
		if _, ok := in[m[2]]; !ok {
			t.Errorf("dangling $ref %s", m[0])
		}
	}
}

// Every write route is tried with no credentials and with every role:
// the server must answer 401 / 403 exactly as the document's x-roles say.
func TestEveryWriteRouteAgainstEveryRole(t *testing.T) {
	e := newEnv(t, true)
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
		Paths   map[string]map[string]struct {
			Roles   []string `json:"x-roles"`
			RolesBy *struct {
				Field string              `json:"field"`
				Roles map[string][]string `json:"roles"`
			} `json:"x-roles-by"`
			RolesOwner *struct {
				Field string   `json:"field"`
				Or    []string `json:"or"`
			} `json:"x-roles-owner"`
			Security []any `json:"security"`
		} `json:"paths"`
	}
	e.anon().do("GET", "/api/v1/openapi.json", nil, &doc)
	users := map[string]string{"tester": "t1", "manager": "m1", "admin": "a1"}
	clients := map[string]*client{}
	for role, name := range users {
		clients[role] = e.user(name, role)
	}
	anon := e.anon()
	checked := 0
	// check calls the route as every role: a role the document does not
	// allow gets 403, one it allows is let through (any other answer).
	check := func(method, path, p string, body any, allowed func(role string) bool) {
		t.Helper()
		if st := anon.do(method, p, body, nil); st != 401 {
			t.Errorf("%s %s without credentials: %d, want 401", method, path, st)
		}
		for role, c := range clients {
			var er apiError
			st := c.do(method, p, body, &er)
			if !allowed(role) && st != 403 {
				t.Errorf("%s %s %v as %s: %d, want 403", method, path, body, role, st)
			}
			if allowed(role) && (st == 401 || st == 403) {
				t.Errorf("%s %s %v as %s: %d (%s), want it let through", method, path, body, role, st, er.Error.Message)
			}
			checked++
		}
	}
	for path, methods := range doc.Paths {
		for method, op := range methods {
			method = strings.ToUpper(method)
			if method == "GET" || op.Security != nil || strings.HasSuffix(path, "/logout") {
				continue // logout is tested on its own: it would end the clients' sessions here
			}
			p := doc.Servers[0].URL + strings.ReplaceAll(path, "{id}", "1")
			var body any
			if method != "DELETE" {
				body = map[string]any{}
			}
			switch {
			case op.RolesBy != nil:
				// The roles depend on a body field: every value the document lists.
				for value, roles := range op.RolesBy.Roles {
					check(method, path, p, map[string]any{op.RolesBy.Field: value, "reason": "role matrix"}, func(role string) bool { return slices.Contains(roles, role) })
				}
			case op.RolesOwner != nil:
				// The resource's owner or the listed roles: an operation of t1's.
				if op.RolesOwner.Field != "created_by" || !strings.HasPrefix(path, "/operations/") {
					t.Fatalf("%s %s: an owner rule the test does not know: %+v", method, path, op.RolesOwner)
				}
				for role := range clients {
					opID := blockingOp(t, e, "t1")
					p := doc.Servers[0].URL + strings.ReplaceAll(path, "{id}", opID)
					allowed := users[role] == "t1" || slices.Contains(op.RolesOwner.Or, role)
					st := clients[role].do(method, p, body, nil)
					if allowed != (st != 403) || st == 401 {
						t.Errorf("%s %s on t1's operation as %s: %d, allowed %v", method, path, role, st, allowed)
					}
					e.srv.Ops.Cancel(context.Background(), auth.System, opID)
					checked++
				}
			default:
				check(method, path, p, body, func(role string) bool { return len(op.Roles) == 0 || slices.Contains(op.Roles, role) })
			}
		}
	}
	if checked < 60 {
		t.Fatalf("only %d route×role checks ran", checked)
	}
}

// blockingOp starts an operation of user's that runs until cancelled.
func blockingOp(t *testing.T, e *env, user string) string {
	t.Helper()
	op, err := e.srv.Ops.Start(context.Background(), auth.Actor{Username: user}, ops.Spec{Kind: "test.block",
		Run: func(ctx context.Context, p *ops.Progress) error { <-ctx.Done(); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return op.ID
}

func TestTransitionRolesByTargetState(t *testing.T) {
	e := newEnv(t, false)
	tester, manager, admin := e.user("t1", "tester"), e.user("m1", "manager"), e.user("a1", "admin")
	var rel struct {
		ID                 int64
		AllowedTransitions []string `json:"allowed_transitions"`
	}
	body := map[string]any{"name": "Web", "version": "1.0", "type": "minor", "environment": "production",
		"planned_start": "2026-12-01T08:00:00Z", "planned_end": "2026-12-01T10:00:00Z"}
	if st := tester.do("POST", "/api/v1/releases", body, &rel); st != 201 {
		t.Fatal(st)
	}
	path := fmt.Sprintf("/api/v1/releases/%d/transitions", rel.ID)
	steps := []struct {
		to      string
		allowed *client
		refused []*client
		reason  string
	}{
		{"building", tester, []*client{manager, admin}, ""},
		{"testing", tester, []*client{manager, admin}, ""},
		{"awaiting-approval", tester, []*client{manager, admin}, ""},
		{"deploying", admin, []*client{tester, manager}, ""},
		{"failed", admin, []*client{tester, manager}, "health gate failed"},
		{"closed", admin, []*client{tester}, ""},
	}
	for _, s := range steps {
		switch s.to {
		case "deploying":
			// Approved and reviewed are reached through their forms, not transitions.
			var er apiError
			if st := manager.do("POST", path, map[string]string{"to": "approved"}, &er); st != 409 || !strings.Contains(er.Error.Message, "sign-off") {
				t.Fatalf("→ approved by transition: %d %+v", st, er)
			}
			pkg := map[string]any{"release_id": rel.ID, "manifest": map[string]any{"name": "web", "version": "1.0", "install": "true", "verify": "true", "rollback": "true"},
				"files": []map[string]any{{"path": "README", "content": "hello"}}}
			if st := tester.do("POST", "/api/v1/packages/assemble", pkg, nil); st != 201 {
				t.Fatalf("assemble: %d", st)
			}
			testRun(t, tester, rel.ID)
			for _, c := range []*client{tester, admin} {
				if st := c.do("POST", fmt.Sprintf("/api/v1/releases/%d/approvals", rel.ID), map[string]string{"decision": "approve"}, &er); st != 403 {
					t.Fatalf("approval by a non-manager: %d", st)
				}
			}
			if st := manager.do("POST", fmt.Sprintf("/api/v1/releases/%d/approvals", rel.ID), map[string]string{"decision": "approve"}, nil); st != 200 {
				t.Fatalf("approve: %d", st)
			}
		case "closed":
			review := fmt.Sprintf("/api/v1/releases/%d/review", rel.ID)
			if st := tester.do("PUT", review, map[string]string{"outcome": "failed"}, nil); st != 403 {
				t.Fatalf("review by a tester: %d", st)
			}
			if st := manager.do("PUT", review, map[string]string{"outcome": "failed"}, &rel); st != 200 {
				t.Fatalf("review: %d", st)
			}
		}
		for _, c := range s.refused {
			var er apiError
			if st := c.do("POST", path, map[string]string{"to": s.to, "reason": s.reason}, &er); st != 403 || !strings.Contains(er.Error.Message, "role") {
				t.Fatalf("→ %s by the wrong role: %d %s", s.to, st, er.Error.Message)
			}
		}
		if st := s.allowed.do("POST", path, map[string]string{"to": s.to, "reason": s.reason}, &rel); st != 200 {
			t.Fatalf("→ %s: %d", s.to, st)
		}
	}
	var er apiError
	if st := tester.do("POST", path, map[string]string{"to": "building"}, &er); st != 409 || !strings.Contains(er.Error.Message, "final state") {
		t.Fatalf("closed → building: %d %+v", st, er)
	}
}

func TestBadInputIsRefusedAndNothingIsWritten(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("admin", adminPassword)
	var ci struct{ ID int64 }
	if st := c.do("POST", "/api/v1/cis", map[string]string{"name": "web-1", "kind": "vm", "environment": "production", "criticality": "high"}, &ci); st != 201 {
		t.Fatal(st)
	}
	valid := func() map[string]any {
		return map[string]any{"name": "Web", "version": "1.0", "type": "minor", "environment": "production",
			"planned_start": "2026-12-01T08:00:00Z", "planned_end": "2026-12-01T10:00:00Z", "ci_ids": []int64{ci.ID},
			"changes": []map[string]string{{"rfc": "RFC-1", "title": "Patch", "risk": "low"}}}
	}
	with := func(k string, v any) map[string]any { m := valid(); m[k] = v; return m }
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"malformed json", `{"name": "Web",`, 400, ""},
		{"not an object", `[1,2]`, 400, ""},
		{"two objects", `{} {}`, 400, ""},
		{"empty body", ``, 400, ""},
		{"oversized", `{"description": "` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
		{"unknown field", with("colour", "red"), 422, "colour"},
		{"wrong type", with("name", 42), 422, "name"},
		{"end before start", with("planned_end", "2026-12-01T07:00:00Z"), 422, "planned_end"},
		{"invalid date", with("planned_start", "2026-13-45T99:00:00Z"), 422, "planned_start"},
		{"unknown ci", with("ci_ids", []int64{ci.ID, 4242}), 422, "ci_ids[1]"},
		{"unknown dependency", with("depends_on", []int64{99}), 422, "depends_on[0]"},
		{"bad change", with("changes", []map[string]string{{"rfc": "RFC-1", "title": "", "risk": "low"}}), 422, "changes[0].title"},
		{"bad type", with("type", "gigantic"), 422, "type"},
	}
	for _, tc := range cases {
		var er apiError
		st := c.do("POST", "/api/v1/releases", tc.body, &er)
		if st != tc.status || er.Error.Field != tc.field || er.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d on %q", tc.name, st, er.Error, tc.status, tc.field)
		}
	}
	var list struct{ Total int }
	c.do("GET", "/api/v1/releases", nil, &list)
	if list.Total != 0 {
		t.Fatalf("%d releases written by refused requests", list.Total)
	}
	// Text that looks like SQL or HTML is kept as text and returned JSON-escaped.
	nasty := `<img src=x onerror=alert(1)>'; DROP TABLE releases; --`
	var rel struct {
		ID          int64
		Description string
	}
	if st := c.do("POST", "/api/v1/releases", with("description", nasty), &rel); st != 201 || rel.Description != nasty {
		t.Fatalf("nasty text: %d %q", st, rel.Description)
	}
	resp, _ := http.Get(e.ts.URL + "/api/v1/health")
	resp.Body.Close()
	var dup apiError
	if st := c.do("POST", "/api/v1/releases", valid(), &dup); st != 409 || dup.Error.Field != "version" {
		t.Fatalf("duplicate: %d %+v", st, dup)
	}
	var er apiError
	if st := c.do("GET", "/api/v1/releases?sort=password", nil, &er); st != 422 || er.Error.Field != "sort" {
		t.Fatalf("bad sort: %d %+v", st, er)
	}
	if st := c.do("GET", "/api/v1/releases?limit=0", nil, &er); st != 422 || er.Error.Field != "limit" {
		t.Fatalf("bad limit: %d %+v", st, er)
	}
	if st := c.do("GET", "/api/v1/releases/abc", nil, &er); st != 404 {
		t.Fatalf("bad id: %d", st)
	}
	if st := c.do("GET", "/api/v1/calendar?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", nil, &er); st != 422 || er.Error.Field != "to" {
		t.Fatalf("bad calendar range: %d %+v", st, er)
	}
}

func TestCSRFTokensAndRateLimit(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("admin", adminPassword)
	body := map[string]string{"name": "db", "kind": "vm", "environment": "production", "criticality": "low"}
	csrf := c.csrf
	c.csrf = ""
	var er apiError
	if st := c.do("POST", "/api/v1/cis", body, &er); st != 403 || !strings.Contains(er.Error.Message, "CSRF") {
		t.Fatalf("no CSRF header: %d %+v", st, er)
	}
	c.csrf = csrf
	if st := c.do("POST", "/api/v1/cis", body, nil); st != 201 {
		t.Fatalf("with CSRF header: %d", st)
	}
	// A script with a token needs no CSRF header.
	var created struct{ Secret string }
	if st := c.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "ci"}, &created); st != 201 || !strings.HasPrefix(created.Secret, "sdk_") {
		t.Fatalf("token: %d %+v", st, created)
	}
	script := &client{e: e, http: http.DefaultClient, token: created.Secret}
	body["name"] = "db2"
	if st := script.do("POST", "/api/v1/cis", body, nil); st != 201 {
		t.Fatalf("token write: %d", st)
	}
	if st := script.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "minted"}, nil); st != 403 {
		t.Fatalf("a token minted a token: %d", st)
	}
	// The scheme name is case-insensitive.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/releases", nil)
	req.Header.Set("Authorization", "bearer "+created.Secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("lower-case bearer: %v %v", err, resp)
	}
	script.token = "sdk_forged"
	if st := script.do("GET", "/api/v1/releases", nil, nil); st != 401 {
		t.Fatalf("forged token: %d", st)
	}
	// Logout ends the session.
	c.do("POST", "/api/v1/auth/logout", nil, nil)
	if st := c.do("GET", "/api/v1/auth/me", nil, nil); st != 401 {
		t.Fatalf("after logout: %d", st)
	}
	// Failed logins are rate limited.
	anon := e.anon()
	last := 0
	for i := 0; i < 7; i++ {
		last = anon.do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "guess"}, &er)
	}
	if last != 429 {
		t.Fatalf("7th failed login: %d, want 429", last)
	}
}

func TestLiveEventsOverWebSocket(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("admin", adminPassword)
	wsURL := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/events"
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL, nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("unauthenticated websocket: %v", err)
	}
	u, _ := http.NewRequest("GET", e.ts.URL, nil)
	hdr := http.Header{"Origin": {e.ts.URL}}
	for _, ck := range c.http.Jar.Cookies(u.URL) {
		hdr.Add("Cookie", ck.String())
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.Bus.Subscribers() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	body := map[string]any{"name": "Live", "version": "1", "type": "minor", "environment": "production",
		"planned_start": "2026-12-01T08:00:00Z", "planned_end": "2026-12-01T10:00:00Z"}
	var rel struct{ ID int64 }
	if st := c.do("POST", "/api/v1/releases", body, &rel); st != 201 {
		t.Fatal(st)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Type string
			ID   string
			Data struct{ Name string }
		}
		json.Unmarshal(data, &ev)
		if ev.Type == "release.created" {
			if ev.ID != fmt.Sprint(rel.ID) || ev.Data.Name != "Live" {
				t.Fatalf("event = %+v", ev)
			}
			return
		}
	}
}

func TestListPaginationFiltersAndDemo(t *testing.T) {
	e := newEnv(t, true)
	c := e.login("tess", adminPassword)
	var page struct {
		Items []struct {
			Name      string
			State     string
			Conflicts []struct{ Kind string }
		}
		Total, Limit, Offset int
	}
	if st := c.do("GET", "/api/v1/releases?limit=5&offset=0&sort=name&order=asc", nil, &page); st != 200 || page.Total < 12 || len(page.Items) != 5 {
		t.Fatalf("page = %d %+v", st, page)
	}
	if !slices.IsSortedFunc(page.Items, func(a, b struct {
		Name      string
		State     string
		Conflicts []struct{ Kind string }
	}) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	}) {
		t.Fatalf("not sorted by name: %+v", page.Items)
	}
	c.do("GET", "/api/v1/releases?state=planned,building&limit=200", nil, &page)
	kinds := map[string]bool{}
	for _, r := range page.Items {
		if r.State != "planned" && r.State != "building" {
			t.Fatalf("state filter let %s through", r.State)
		}
		for _, k := range r.Conflicts {
			kinds[k.Kind] = true
		}
	}
	if !kinds["ci_overlap"] || !kinds["dependency"] {
		t.Fatalf("demo data should show overlap and dependency conflicts, got %v", kinds)
	}
	var states = map[string]bool{}
	c.do("GET", "/api/v1/releases?limit=200", nil, &page)
	for _, r := range page.Items {
		states[r.State] = true
	}
	if len(states) < 12 {
		t.Fatalf("demo covers %d states: %v", len(states), states)
	}
	var v struct {
		OK      bool
		Entries int
	}
	if st := c.do("GET", "/api/v1/audit/verify", nil, &v); st != 200 || !v.OK || v.Entries < 50 {
		t.Fatalf("audit verify = %d %+v", st, v)
	}
}

// slowStage is the stage of the test.slow operation below.
type slowStage string

func (slowStage) EnumValues() []string  { return []string{"cloning"} }
func (slowStage) OperationKind() string { return "test.slow" }

func TestOperationsProgressAndCancel(t *testing.T) {
	e := newEnv(t, false)
	owner := e.user("t1", "tester")
	other := e.user("t2", "tester")
	started := make(chan struct{})
	undone := make(chan struct{})
	op, err := e.srv.Ops.Start(context.Background(), auth.Actor{Username: "t1"}, ops.Spec{Kind: "test.slow", Entity: "release", EntityID: "1",
		Run: func(ctx context.Context, p *ops.Progress) error {
			ops.Report(p, slowStage("cloning"), 40, "2 of 5 disks cloned")
			close(started)
			<-ctx.Done()
			close(undone)
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	var got ops.Operation
	if st := owner.do("GET", "/api/v1/operations/"+op.ID, nil, &got); st != 200 || got.Stage != "cloning" || got.Percent != 40 || got.Status != ops.StatusRunning {
		t.Fatalf("operation = %d %+v", st, got)
	}
	var page struct{ Total int }
	if st := owner.do("GET", "/api/v1/operations?status=running&entity=release&entity_id=1", nil, &page); st != 200 || page.Total != 1 {
		t.Fatalf("running operations = %d %+v", st, page)
	}
	if st := other.do("POST", "/api/v1/operations/"+op.ID+"/cancel", nil, nil); st != 403 {
		t.Fatalf("cancel by another tester: %d, want 403", st)
	}
	if st := owner.do("POST", "/api/v1/operations/"+op.ID+"/cancel", nil, &got); st != 202 || got.Status != ops.StatusCancelling {
		t.Fatalf("cancel: %d %+v", st, got)
	}
	<-undone
	done, _ := e.srv.Ops.Wait(context.Background(), op.ID)
	if done.Status != ops.StatusCancelled {
		t.Fatalf("after cancel: %+v", done)
	}
	if st := owner.do("POST", "/api/v1/operations/nope/cancel", nil, nil); st != 404 {
		t.Fatalf("cancel unknown: %d", st)
	}
}

// Lab requests with bad input are refused with the field named, before any
// libvirt work (libvirt's test driver stands in for the host here).
func TestLabInputErrors(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("admin", adminPassword)
	var host, unlinked struct{ ID int64 }
	c.do("POST", "/api/v1/cis", map[string]string{"name": "web", "kind": "vm", "environment": "production", "criticality": "low"}, &unlinked)
	c.do("POST", "/api/v1/cis", map[string]string{"name": "db", "kind": "vm", "environment": "production", "criticality": "low",
		"libvirt_host": "nowhere", "libvirt_domain": "db"}, &host)
	var rel struct{ ID int64 }
	c.do("POST", "/api/v1/releases", map[string]any{"name": "R", "version": "1", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": []int64{unlinked.ID}}, &rel)
	path := fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID)
	cases := []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{}, 422, "ci_ids"},
		{map[string]any{"ci_ids": []int64{999}}, 422, "ci_ids[0]"},
		{map[string]any{"ci_ids": []int64{unlinked.ID}}, 422, "ci_ids[0]"},
		{map[string]any{"ci_ids": []int64{host.ID}}, 422, "host"},
		{map[string]any{"ci_ids": []int64{host.ID}, "test_period": map[string]any{"interval_seconds": 0, "duration_seconds": 5}}, 422, "test_period.interval_seconds"},
		{map[string]any{"ci_ids": []int64{host.ID}, "ttl_minutes": 99999}, 422, "ttl_minutes"},
		{map[string]any{"ci_ids": "all"}, 422, "ci_ids"},
	}
	for _, tc := range cases {
		var er apiError
		if st := c.do("POST", path, tc.body, &er); st != tc.status || er.Error.Field != tc.field {
			t.Errorf("%v: %d %+v, want %d on %s", tc.body, st, er.Error, tc.status, tc.field)
		}
	}
	if st := c.do("POST", "/api/v1/releases/4242/labs", map[string]any{}, nil); st != 404 {
		t.Errorf("lab for an unknown release: %d", st)
	}
	var er apiError
	if st := c.do("PATCH", fmt.Sprintf("/api/v1/cis/%d", unlinked.ID), map[string]string{"libvirt_domain": "bad name;rm -rf"}, &er); st != 422 || er.Error.Field != "libvirt_domain" {
		t.Errorf("bad libvirt domain name: %d %+v", st, er)
	}
	var labsList struct{ Total int }
	c.do("GET", "/api/v1/labs", nil, &labsList)
	if labsList.Total != 0 {
		t.Fatalf("%d labs recorded by refused requests", labsList.Total)
	}
}

// Shared answers (the release list, the calendar) are encoded once for
// everyone, yet still ask who is calling, and a write is seen by the very
// next read.
func TestSharedAnswersFollowWritesAndStillNeedSignIn(t *testing.T) {
	e := newEnv(t, false)
	tess := e.user("tess", "tester")
	calendar := "/api/v1/calendar?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z"
	type list struct {
		Total int `json:"total"`
	}
	var before list
	var cal struct {
		Releases []struct{ Name string } `json:"releases"`
	}
	if st := tess.do("GET", "/api/v1/releases?limit=5", nil, &before); st != 200 {
		t.Fatalf("list = %d", st)
	}
	if st := tess.do("GET", calendar, nil, &cal); st != 200 || len(cal.Releases) != 0 {
		t.Fatalf("calendar = %d, %d releases", st, len(cal.Releases))
	}
	if st := e.anon().do("GET", "/api/v1/releases?limit=5", nil, nil); st != 401 {
		t.Fatalf("a kept list answered a caller who is not signed in: %d", st)
	}
	if st := e.anon().do("GET", calendar, nil, nil); st != 401 {
		t.Fatalf("a kept calendar answered a caller who is not signed in: %d", st)
	}
	in := map[string]any{"name": "Shared", "version": "1.0", "type": "minor", "environment": "production",
		"planned_start": "2030-01-10T10:00:00Z", "planned_end": "2030-01-10T12:00:00Z"}
	if st := tess.do("POST", "/api/v1/releases", in, nil); st != 201 {
		t.Fatalf("create = %d", st)
	}
	var after list
	tess.do("GET", "/api/v1/releases?limit=5", nil, &after)
	tess.do("GET", calendar, nil, &cal)
	if after.Total != before.Total+1 || len(cal.Releases) != 1 || cal.Releases[0].Name != "Shared" {
		t.Fatalf("after a create: total %d (was %d), calendar %v; the kept answers were served stale", after.Total, before.Total, cal.Releases)
	}
}

// A 60,000-character search (and any overlong query parameter) is refused
// with a 422 naming the parameter, not a 500 from SQLite.
func TestOverlongQueryIsRefused(t *testing.T) {
	e := newEnv(t, false)
	tess := e.user("tess", "tester")
	var body apiError
	if st := tess.do("GET", "/api/v1/releases?q="+strings.Repeat("%25a", 20000), nil, &body); st != 422 || body.Error.Field != "q" {
		t.Fatalf("a 60,000-character q: %d %+v, want 422 on q", st, body)
	}
	if st := tess.do("GET", "/api/v1/audit?actor="+strings.Repeat("x", 300), nil, &body); st != 422 || body.Error.Field != "actor" {
		t.Fatalf("a 300-character actor filter: %d %+v", st, body)
	}
	if st := tess.do("GET", "/api/v1/releases?q="+strings.Repeat("a", 200), nil, nil); st != 200 {
		t.Fatalf("a 200-character search: %d", st)
	}
}

// The content security policy: WebSockets to this host only, no <base>,
// forms post here; the release report runs no script at all.
func TestContentSecurityPolicy(t *testing.T) {
	e := newEnv(t, true)
	admin := e.login("admin", adminPassword)
	resp, err := http.Get(e.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	host := strings.TrimPrefix(e.ts.URL, "http://")
	for _, want := range []string{"connect-src 'self' ws://" + host + " wss://" + host + ";", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the app's CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, " ws: ") || strings.Contains(csp, " wss:;") {
		t.Errorf("the app's CSP lets WebSockets go to any host: %q", csp)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/releases/1/report", nil)
	resp, err = admin.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rcsp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || strings.Contains(rcsp, "script-src") && !strings.Contains(rcsp, "script-src 'none'") || strings.Contains(rcsp, "unsafe-inline'; script") {
		t.Fatalf("report: %d, CSP %q", resp.StatusCode, rcsp)
	}
	if strings.Contains(string(page), "<script") || strings.Contains(string(page), "onclick=") {
		t.Fatalf("the report still carries script")
	}
	if !strings.Contains(rcsp, "base-uri 'none'") {
		t.Fatalf("report CSP without base-uri: %q", rcsp)
	}
}
