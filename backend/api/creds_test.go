package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/server"
)

// Tests of credentials and sessions: token lifetimes and revocation, login
// throttling, login CSRF, changing one's own password, and what a trusted
// reverse proxy says about the client.

// auditOf returns the audit entries with that action (newest first), as
// the admin reads them.
func (e *env) auditOf(action string, query string) []map[string]any {
	e.t.Helper()
	var page auditPage
	if st := e.login("admin", adminPassword).do("GET", "/api/v1/audit?limit=200&"+query, nil, &page); st != 200 {
		e.t.Fatalf("audit: %d", st)
	}
	var out []map[string]any
	for _, it := range page.Items {
		if it.Action != action {
			continue
		}
		m := map[string]any{"actor": it.Actor, "entity": it.Entity, "entity_id": it.EntityID}
		var after map[string]any
		json.Unmarshal(it.After, &after)
		for k, v := range after {
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

// raw sends one request with exactly these headers and returns the answer.
func (e *env) raw(method, path, body string, hdr map[string]string) (*http.Response, apiError) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var er apiError
	json.Unmarshal(raw, &er)
	return resp, er
}

// loginAt signs in as if from the client address behind a proxy
// (X-Forwarded-For), returning the status.
func (e *env) loginAt(addr, user, password string) (int, apiError) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, er := e.raw("POST", "/api/v1/auth/login", string(body), map[string]string{"Content-Type": "application/json", "X-Forwarded-For": addr})
	return resp.StatusCode, er
}

func (e *env) trustProxies(nets ...string) {
	e.t.Helper()
	admin := e.login("admin", adminPassword)
	var cur map[string]any
	admin.do("GET", "/api/v1/settings", nil, &cur)
	cur["trusted_proxies"] = nets
	if st := admin.do("PUT", "/api/v1/settings", cur, nil); st != 200 {
		e.t.Fatalf("settings: %d", st)
	}
}

type tokenCreated struct {
	Token struct {
		ID        int64      `json:"id"`
		ExpiresAt *time.Time `json:"expires_at"`
	} `json:"token"`
	Secret string `json:"secret"`
}

func (c *client) newToken(name string) string {
	c.e.t.Helper()
	var created tokenCreated
	if st := c.do("POST", "/api/v1/auth/tokens", map[string]any{"name": name}, &created); st != 201 {
		c.e.t.Fatalf("create token %s: %d", name, st)
	}
	return created.Secret
}

func (e *env) script(secret string) *client {
	return &client{e: e, http: http.DefaultClient, token: secret}
}

// An admin resetting a user's password, or disabling them, revokes every
// API token of theirs (rows deleted: re-enabling brings none back), and
// the trail says so.
func TestPasswordResetAndDisableRevokeTokens(t *testing.T) {
	e := newEnv(t, false)
	tess := e.user("tess", "tester")
	var me struct {
		User struct{ ID int64 } `json:"user"`
	}
	tess.do("GET", "/api/v1/auth/me", nil, &me)
	admin := e.login("admin", adminPassword)
	userPath := fmt.Sprintf("/api/v1/users/%d", me.User.ID)

	secret := tess.newToken("ci")
	if st := e.script(secret).do("GET", "/api/v1/releases", nil, nil); st != 200 {
		t.Fatalf("token before the reset: %d", st)
	}
	if st := admin.do("PATCH", userPath, map[string]any{"password": "a-new-password"}, nil); st != 200 {
		t.Fatalf("reset: %d", st)
	}
	if st := e.script(secret).do("GET", "/api/v1/releases", nil, nil); st != 401 {
		t.Fatalf("token after the password reset: %d, want 401", st)
	}
	tess = e.login("tess", "a-new-password")
	var list struct{ Items []any }
	if tess.do("GET", "/api/v1/auth/tokens", nil, &list); len(list.Items) != 0 {
		t.Fatalf("tokens listed after the reset: %v", list.Items)
	}

	secret = tess.newToken("ci again")
	if st := admin.do("PATCH", userPath, map[string]any{"disabled": true}, nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	if st := admin.do("PATCH", userPath, map[string]any{"disabled": false}, nil); st != 200 {
		t.Fatalf("enable: %d", st)
	}
	if st := e.script(secret).do("GET", "/api/v1/releases", nil, nil); st != 401 {
		t.Fatalf("token after disable and enable: %d, want 401", st)
	}
	tess = e.login("tess", "a-new-password")
	if tess.do("GET", "/api/v1/auth/tokens", nil, &list); len(list.Items) != 0 {
		t.Fatalf("tokens listed after disable and enable: %v", list.Items)
	}

	revoked := e.auditOf("token.revoke-all", fmt.Sprintf("entity=user&entity_id=%d", me.User.ID))
	if len(revoked) != 2 || revoked[0]["actor"] != "admin" || revoked[0]["reason"] != "account disabled" || revoked[1]["reason"] != "password reset" {
		t.Fatalf("audit of the revocations: %v", revoked)
	}
}

// Tokens expire: within the admin's longest lifetime, by default that
// lifetime, never only when the admin allows it. A user sees each token's
// expiry and last use and can revoke one or all.
func TestTokenLifetimeFollowsSettings(t *testing.T) {
	e := newEnv(t, false)
	tess := e.user("tess", "tester")
	admin := e.login("admin", adminPassword)
	create := func(body map[string]any) (int, tokenCreated, apiError) {
		var answer json.RawMessage
		st := tess.do("POST", "/api/v1/auth/tokens", body, &answer)
		var created tokenCreated
		var er apiError
		json.Unmarshal(answer, &created)
		json.Unmarshal(answer, &er)
		return st, created, er
	}
	days := func(c tokenCreated) float64 {
		if c.Token.ExpiresAt == nil {
			return 0
		}
		return time.Until(*c.Token.ExpiresAt).Hours() / 24
	}

	st, _, er := create(map[string]any{"name": "forever", "expires_in_days": 0})
	if st != 422 || er.Error.Field != "expires_in_days" {
		t.Fatalf("a token that never expires, not allowed: %d %+v", st, er)
	}
	st, _, er = create(map[string]any{"name": "long", "expires_in_days": 91})
	if st != 422 || er.Error.Field != "expires_in_days" || !strings.Contains(er.Error.Message, "90") {
		t.Fatalf("a token over the limit: %d %+v", st, er)
	}
	st, c, _ := create(map[string]any{"name": "default"})
	if st != 201 || days(c) < 89.9 || days(c) > 90.1 {
		t.Fatalf("a token without an expiry: %d, expires in %.1f days, want 90", st, days(c))
	}

	var cur map[string]any
	admin.do("GET", "/api/v1/settings", nil, &cur)
	cur["token_max_days"], cur["allow_non_expiring_tokens"] = 30, true
	if st := admin.do("PUT", "/api/v1/settings", cur, nil); st != 200 {
		t.Fatalf("settings: %d", st)
	}
	if st, c, _ := create(map[string]any{"name": "forever", "expires_in_days": 0}); st != 201 || c.Token.ExpiresAt != nil {
		t.Fatalf("a token that never expires, allowed: %d %+v", st, c.Token)
	}
	if st, _, er := create(map[string]any{"name": "long", "expires_in_days": 31}); st != 422 || !strings.Contains(er.Error.Message, "30") {
		t.Fatalf("a token over the new limit: %d %+v", st, er)
	}
	if st, c, _ = create(map[string]any{"name": "default"}); st != 201 || days(c) < 29.9 || days(c) > 30.1 {
		t.Fatalf("a token without an expiry: %d, expires in %.1f days, want 30", st, days(c))
	}

	// The list shows when each expires and when it was last used.
	e.script(c.Secret).do("GET", "/api/v1/releases", nil, nil)
	var list struct {
		Items []struct {
			Name       string     `json:"name"`
			ExpiresAt  *time.Time `json:"expires_at"`
			LastUsedAt *time.Time `json:"last_used_at"`
		} `json:"items"`
	}
	tess.do("GET", "/api/v1/auth/tokens", nil, &list)
	if len(list.Items) != 3 || list.Items[2].ExpiresAt == nil || list.Items[2].LastUsedAt == nil || list.Items[1].ExpiresAt != nil {
		t.Fatalf("token list: %+v", list.Items)
	}
	// Revoke them all at once.
	var revoked struct {
		Revoked int `json:"revoked"`
	}
	if st := tess.do("DELETE", "/api/v1/auth/tokens", nil, &revoked); st != 200 || revoked.Revoked != 3 {
		t.Fatalf("revoke all: %d %+v", st, revoked)
	}
	if st := e.script(c.Secret).do("GET", "/api/v1/releases", nil, nil); st != 401 {
		t.Fatalf("a token after revoke all: %d", st)
	}
}

// Failed logins slow down the username at that address only: an attacker
// cannot lock a real user out from elsewhere, nor lock out everyone behind
// their address with a few guesses; the trail records each failure with
// the username as typed and the address, never the password.
func TestLoginThrottleCannotLockOthersOut(t *testing.T) {
	e := newEnv(t, false)
	e.user("tess", "tester")
	e.user("max", "manager")
	e.trustProxies("127.0.0.1")

	const attacker, office = "203.0.113.7", "198.51.100.2"
	last := 0
	var er apiError
	for range 7 {
		last, er = e.loginAt(attacker, "tess", "guess-Zq81")
	}
	if last != 429 || !strings.Contains(er.Error.Message, "Try again") {
		t.Fatalf("7th guess from one address: %d %+v, want 429", last, er)
	}
	if st, er := e.loginAt(office, "tess", "password-tess"); st != 200 {
		t.Fatalf("tess from her office while an attacker guesses elsewhere: %d %+v", st, er)
	}
	// A handful of unknown usernames from one address (typos behind a NAT)
	// does not lock out the address.
	for i := range 8 {
		e.loginAt(office, fmt.Sprintf("nobody%d", i), "whatever-1")
	}
	if st, er := e.loginAt(office, "max", "password-max"); st != 200 {
		t.Fatalf("max behind the same address after 8 failures of others: %d %+v", st, er)
	}
	// Without X-Forwarded-For (no proxy) the same holds for the peer address.
	anon := e.anon()
	for i := range 8 {
		anon.do("POST", "/api/v1/auth/login", map[string]string{"username": fmt.Sprintf("typo%d", i), "password": "nope-1234"}, nil)
	}
	e.login("max", "password-max")

	failed := e.auditOf("session.login-failed", "actor=tess")
	if len(failed) < 5 || failed[0]["ip"] != attacker || failed[0]["username"] != "tess" {
		t.Fatalf("failures in the audit trail: %v", failed)
	}
	var page json.RawMessage
	e.login("admin", adminPassword).do("GET", "/api/v1/audit?limit=200", nil, &page)
	if bytes.Contains(page, []byte("guess-Zq81")) {
		t.Fatal("a typed password is in the audit trail")
	}
}

// Sign-in is a write like any other: a page of another site cannot post it
// (login CSRF), and only a JSON body is read.
func TestLoginRefusesOtherSitesAndNonJSON(t *testing.T) {
	e := newEnv(t, false)
	good := `{"username":"admin","password":"` + adminPassword + `"}`
	resp, er := e.raw("POST", "/api/v1/auth/login", good, map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:9999"})
	if resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Fatalf("sign-in from another origin: %d %+v, cookies %v", resp.StatusCode, er, resp.Cookies())
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		hdr := map[string]string{"Origin": e.ts.URL}
		if ct != "" {
			hdr["Content-Type"] = ct
		}
		if resp, er := e.raw("POST", "/api/v1/auth/login", good, hdr); resp.StatusCode != 415 || len(resp.Cookies()) != 0 {
			t.Errorf("sign-in with Content-Type %q: %d %+v", ct, resp.StatusCode, er)
		}
	}
	for _, hdr := range []map[string]string{
		{"Content-Type": "application/json", "Origin": e.ts.URL},
		{"Content-Type": "application/json; charset=utf-8"}, // a script: no Origin
	} {
		if resp, er := e.raw("POST", "/api/v1/auth/login", good, hdr); resp.StatusCode != 200 {
			t.Errorf("sign-in with %v: %d %+v", hdr, resp.StatusCode, er)
		}
	}
}

// A user changes their own password with the current one: their other
// sessions end, their API tokens are revoked, this session goes on.
func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t, false)
	tess := e.user("tess", "tester")
	other := e.login("tess", "password-tess")
	secret := tess.newToken("ci")
	path := "/api/v1/auth/password"

	var er apiError
	cases := []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"new_password": "brand-new-pass"}, "current_password"},
		{map[string]string{"current_password": "not-it-at-all", "new_password": "brand-new-pass"}, "current_password"},
		{map[string]string{"current_password": "password-tess", "new_password": "short"}, "new_password"},
	}
	for _, tc := range cases {
		if st := tess.do("POST", path, tc.body, &er); st != 422 || er.Error.Field != tc.field {
			t.Fatalf("%v: %d %+v, want 422 on %s", tc.body, st, er, tc.field)
		}
	}
	if st := e.script(secret).do("POST", path, map[string]string{"current_password": "password-tess", "new_password": "brand-new-pass"}, &er); st != 403 {
		t.Fatalf("changed with an API token: %d %+v", st, er)
	}
	var changed struct {
		SessionsEnded int `json:"sessions_ended"`
		TokensRevoked int `json:"tokens_revoked"`
	}
	if st := tess.do("POST", path, map[string]string{"current_password": "password-tess", "new_password": "brand-new-pass"}, &changed); st != 200 {
		t.Fatalf("change: %d", st)
	}
	if changed.TokensRevoked != 1 || changed.SessionsEnded < 1 {
		t.Fatalf("change answered %+v", changed)
	}
	if st := tess.do("GET", "/api/v1/auth/me", nil, nil); st != 200 {
		t.Fatalf("this session after the change: %d", st)
	}
	if st := other.do("GET", "/api/v1/auth/me", nil, nil); st != 401 {
		t.Fatalf("the other session after the change: %d", st)
	}
	if st := e.script(secret).do("GET", "/api/v1/releases", nil, nil); st != 401 {
		t.Fatalf("the token after the change: %d", st)
	}
	if st := e.anon().do("POST", "/api/v1/auth/login", map[string]string{"username": "tess", "password": "password-tess"}, nil); st != 401 {
		t.Fatalf("the old password: %d", st)
	}
	e.login("tess", "brand-new-pass")
	if got := e.auditOf("user.password-change", "actor=tess"); len(got) != 1 {
		t.Fatalf("audit of the change: %v", got)
	}

	// Wrong current passwords count as failed sign-ins.
	for range 5 {
		tess.do("POST", path, map[string]string{"current_password": "guess-guess", "new_password": "another-pass"}, nil)
	}
	if st := tess.do("POST", path, map[string]string{"current_password": "brand-new-pass", "new_password": "another-pass"}, &er); st != 429 {
		t.Fatalf("6th try after 5 wrong current passwords: %d %+v", st, er)
	}
}

// The session cookie is Secure when the request came over HTTPS: directly,
// or through a trusted proxy that says so; a trusted proxy's
// X-Forwarded-For is the client's address. Untrusted peers' headers are
// ignored.
func TestSecureCookieAndClientAddressBehindProxy(t *testing.T) {
	e := newEnv(t, false)
	e.user("tess", "tester")
	body := `{"username":"tess","password":"password-tess"}`
	secure := func(hdr map[string]string) bool {
		t.Helper()
		hdr["Content-Type"] = "application/json"
		resp, er := e.raw("POST", "/api/v1/auth/login", body, hdr)
		if resp.StatusCode != 200 || len(resp.Cookies()) != 1 {
			t.Fatalf("login %v: %d %+v", hdr, resp.StatusCode, er)
		}
		return resp.Cookies()[0].Secure
	}
	lastIP := func() any {
		got := e.auditOf("session.login", "actor=tess")
		return got[0]["ip"]
	}
	if secure(map[string]string{}) {
		t.Fatal("Secure over plain HTTP")
	}
	if secure(map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}) {
		t.Fatal("Secure on the word of a peer that is not a trusted proxy")
	}
	if ip := lastIP(); ip != "127.0.0.1" {
		t.Fatalf("client address from an untrusted X-Forwarded-For: %v", ip)
	}

	e.trustProxies("127.0.0.0/8")
	if !secure(map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}) {
		t.Fatal("not Secure behind a trusted proxy that terminates HTTPS")
	}
	if ip := lastIP(); ip != "198.51.100.9" {
		t.Fatalf("client address behind a trusted proxy: %v", ip)
	}
	// A client's own X-Forwarded-For is not believed past the trusted proxy.
	secure(map[string]string{"X-Forwarded-For": "10.6.6.6, 198.51.100.10"})
	if ip := lastIP(); ip != "198.51.100.10" {
		t.Fatalf("client address with a forged hop: %v", ip)
	}

	// Over TLS directly.
	tls := httptest.NewTLSServer(e.srv.Handler())
	defer tls.Close()
	req, _ := http.NewRequest("POST", tls.URL+"/api/v1/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := tls.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure {
		t.Fatalf("login over TLS: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}

	// --secure-cookies: always.
	e = newEnvWith(t, false, func(c *server.Config) { c.SecureCookies = true })
	e.user("tess", "tester")
	if !secure(map[string]string{}) {
		t.Fatal("not Secure with SecureCookies on")
	}
}
