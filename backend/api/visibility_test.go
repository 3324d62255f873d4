package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/ssh"
)

// Who sees what: the audit trail, the event stream and the operations show
// admin-side data (users, tokens, sessions, settings) and other users'
// connection errors only to those who may see them.

var adminSide = []string{"user", "token", "session", "settings"}

// auditPage is a page of GET /audit.
type auditPage struct {
	Items []struct {
		ID       int64
		Actor    string
		Action   string
		Entity   string
		EntityID string `json:"entity_id"`
		Before   json.RawMessage
		After    json.RawMessage
	}
	Total int
}

func putSettings(t *testing.T, admin *client, networks ...string) {
	t.Helper()
	if networks == nil {
		networks = []string{}
	}
	body := map[string]any{"token_max_days": 30, "allow_non_expiring_tokens": false, "import_networks": networks, "trusted_proxies": []string{}}
	var er apiError
	if st := admin.do("PUT", "/api/v1/settings", body, &er); st != 200 {
		t.Fatalf("put settings: %d %+v", st, er)
	}
}

func TestAuditShowsAdminSideEntriesOnlyToAdmins(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")    // user.create, and a sign-in with its address
	mona := e.user("mona", "manager")   // the same
	putSettings(t, admin, "10.0.0.0/8") // settings.update
	if st := tess.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "tess-ci-secret-name"}, nil); st != 201 {
		t.Fatalf("token: %d", st) // token.create
	}
	var rel struct{ ID int64 }
	if st := tess.do("POST", "/api/v1/releases", map[string]any{"name": "Web", "version": "1.0", "type": "minor", "environment": "production",
		"planned_start": "2030-01-10T10:00:00Z", "planned_end": "2030-01-10T12:00:00Z"}, &rel); st != 201 {
		t.Fatalf("release: %d", st)
	}
	var users struct{ Items []struct{ ID int64 } }
	admin.do("GET", "/api/v1/users", nil, &users)

	// An admin reads everything, the admin side included.
	var all auditPage
	if st := admin.do("GET", "/api/v1/audit?limit=200", nil, &all); st != 200 || all.Total != len(all.Items) {
		t.Fatalf("admin's audit: %d, %d of %d", st, len(all.Items), all.Total)
	}
	visible := 0
	seen := map[string]bool{}
	for _, it := range all.Items {
		seen[it.Action] = true
		if !slices.Contains(adminSide, it.Entity) {
			visible++
		}
	}
	for _, a := range []string{"user.create", "session.login", "token.create", "settings.update", "release.create"} {
		if !seen[a] {
			t.Fatalf("the admin does not see %s: %v", a, seen)
		}
	}
	var users2 auditPage
	if st := admin.do("GET", "/api/v1/audit?entity=user", nil, &users2); st != 200 || users2.Total == 0 {
		t.Fatalf("admin's user entries: %d %d", st, users2.Total)
	}

	for name, c := range map[string]*client{"tester": tess, "manager": mona} {
		// Asking for an admin-side entity is refused, and says why.
		for _, entity := range adminSide {
			var er apiError
			if st := c.do("GET", "/api/v1/audit?entity="+entity, nil, &er); st != 403 || !strings.Contains(er.Error.Message, "admins") {
				t.Errorf("%s asks for %s entries: %d %+v", name, entity, st, er.Error)
			}
		}
		// Without a filter, or filtered by id or actor, the admin side is
		// left out of the items and of the total.
		for _, q := range []string{"limit=200", fmt.Sprintf("entity_id=%d&limit=200", users.Items[1].ID), "actor=tess&limit=200", "actor=admin&limit=200"} {
			var page auditPage
			if st := c.do("GET", "/api/v1/audit?"+q, nil, &page); st != 200 {
				t.Fatalf("%s: audit?%s: %d", name, q, st)
			}
			for _, it := range page.Items {
				if slices.Contains(adminSide, it.Entity) || strings.HasPrefix(it.Action, "session.") || strings.Contains(string(it.After), "127.0.0.1") ||
					strings.Contains(string(it.After), "tess-ci-secret-name") || strings.Contains(string(it.After), "10.0.0.0/8") {
					t.Errorf("%s reads audit?%s entry %d: %s %s %s", name, q, it.ID, it.Action, it.Entity, it.After)
				}
			}
			if page.Total != len(page.Items) {
				t.Errorf("%s: audit?%s counts %d entries and lists %d", name, q, page.Total, len(page.Items))
			}
			if q == "limit=200" && page.Total != visible {
				t.Errorf("%s: audit total %d, want the %d release-side entries", name, page.Total, visible)
			}
		}
		// The chain is still verified whole, and the answer holds no content.
		var raw map[string]any
		if st := c.do("GET", "/api/v1/audit/verify", nil, &raw); st != 200 || raw["ok"] != true || raw["entries"] != float64(all.Total) {
			t.Errorf("%s verifies the chain: %d %v (the whole chain has %d entries)", name, st, raw, all.Total)
		}
		for k := range raw {
			if !slices.Contains([]string{"ok", "entries", "first_bad_id", "message"}, k) {
				t.Errorf("%s: verify answers %q", name, k)
			}
		}
	}
	// A release's own history is unchanged for everyone.
	var relAudit auditPage
	if st := tess.do("GET", fmt.Sprintf("/api/v1/releases/%d/audit", rel.ID), nil, &relAudit); st != 200 || relAudit.Total != 1 {
		t.Fatalf("release audit: %d %d", st, relAudit.Total)
	}
}

// socket opens the event stream as c.
func (c *client) socket() *websocket.Conn {
	c.e.t.Helper()
	u, _ := http.NewRequest("GET", c.e.ts.URL, nil)
	hdr := http.Header{"Origin": {c.e.ts.URL}}
	for _, ck := range c.http.Jar.Cookies(u.URL) {
		hdr.Add("Cookie", ck.String())
	}
	before := c.e.srv.Bus.Subscribers()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.e.ts.URL, "http")+"/api/v1/events", hdr)
	if err != nil {
		c.e.t.Fatal(err)
	}
	c.e.t.Cleanup(func() { conn.Close() })
	deadline := time.Now().Add(5 * time.Second)
	for c.e.srv.Bus.Subscribers() == before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return conn
}

type wsEvent struct {
	Type string
	ID   string
	Data json.RawMessage
}

// readUntil reads events until one satisfies stop, and returns all read.
func readUntil(t *testing.T, conn *websocket.Conn, stop func(wsEvent) bool) []wsEvent {
	t.Helper()
	var got []wsEvent
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("websocket: %v after %d events", err, len(got))
		}
		var ev wsEvent
		json.Unmarshal(data, &ev)
		got = append(got, ev)
		if stop(ev) {
			return got
		}
	}
}

func TestEventStreamSendsUserAndSettingsChangesOnlyToAdmins(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	mona := e.user("mona", "manager")
	socks := map[string]*websocket.Conn{"admin": admin.socket(), "tester": tess.socket(), "manager": mona.socket()}

	var users struct {
		Items []struct {
			ID       int64
			Username string
		}
	}
	admin.do("GET", "/api/v1/users", nil, &users)
	for _, u := range users.Items {
		if u.Username == "tess" {
			if st := admin.do("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"roles": []string{"tester", "manager"}}, nil); st != 200 {
				t.Fatalf("patch user: %d", st)
			}
		}
	}
	putSettings(t, admin, "10.0.0.0/8")
	if st := tess.do("POST", "/api/v1/releases", map[string]any{"name": "Marker", "version": "1", "type": "minor", "environment": "production",
		"planned_start": "2030-01-10T10:00:00Z", "planned_end": "2030-01-10T12:00:00Z"}, nil); st != 201 {
		t.Fatalf("release: %d", st)
	}
	for name, conn := range socks {
		var types []string
		for _, ev := range readUntil(t, conn, func(ev wsEvent) bool { return ev.Type == "release.created" }) {
			types = append(types, ev.Type)
		}
		adminSideSeen := slices.Contains(types, "user.changed") || slices.Contains(types, "settings.changed")
		if name == "admin" && !(slices.Contains(types, "user.changed") && slices.Contains(types, "settings.changed")) {
			t.Errorf("the admin received %v", types)
		}
		if name != "admin" && adminSideSeen {
			t.Errorf("the %s received %v", name, types)
		}
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func hostCI(t *testing.T, c *client) int64 {
	t.Helper()
	var ci struct{ ID int64 }
	if st := c.do("POST", "/api/v1/cis", map[string]string{"name": "db7", "kind": "host", "environment": "production", "criticality": "high"}, &ci); st != 201 {
		t.Fatalf("ci: %d", st)
	}
	return ci.ID
}

type operation struct {
	ID        string
	Status    string
	Stage     string
	Error     string
	CreatedBy string `json:"created_by"`
}

func waitOp(t *testing.T, c *client, id string) operation {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var op operation
		if st := c.do("GET", "/api/v1/operations/"+id, nil, &op); st != 200 {
			t.Fatalf("operation: %d", st)
		}
		if op.Status == "success" || op.Status == "failure" || op.Status == "cancelled" {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s did not end: %+v", id, op)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportConnectionErrorIsDetailedOnlyToItsStarterAndAdmins(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess, tom, mona := e.user("tess", "tester"), e.user("tom", "tester"), e.user("mona", "manager")
	ci := hostCI(t, tess)
	socks := map[string]*websocket.Conn{"tess": tess.socket(), "tom": tom.socket(), "mona": mona.socket(), "admin": admin.socket()}
	addr := closedPort(t)
	var op operation
	src := map[string]any{"address": addr, "user": "root", "password": "pw", "device": "/dev/sda", "host_key_fingerprint": "SHA256:pinned"}
	if st := tess.do("POST", fmt.Sprintf("/api/v1/cis/%d/images/ssh", ci), src, &op); st != 202 {
		t.Fatalf("import: %d", st)
	}
	done := waitOp(t, tess, op.ID)
	if done.Status != "failure" || done.Stage != "connect" || !strings.Contains(done.Error, addr) || !strings.Contains(done.Error, "refused") {
		t.Fatalf("the starter reads %+v", done)
	}
	detailed := func(s string) bool {
		return strings.Contains(s, addr) || strings.Contains(s, "refused") || strings.Contains(s, "dial")
	}
	for name, c := range map[string]*client{"tess": tess, "tom": tom, "mona": mona, "admin": admin} {
		full := name == "tess" || name == "admin"
		var one operation
		c.do("GET", "/api/v1/operations/"+op.ID, nil, &one)
		var list struct{ Items []operation }
		c.do("GET", "/api/v1/operations?kind=ci.import", nil, &list)
		if len(list.Items) != 1 {
			t.Fatalf("%s lists %d imports", name, len(list.Items))
		}
		for where, got := range map[string]operation{"GET /operations/{id}": one, "GET /operations": list.Items[0]} {
			if detailed(got.Error) != full || got.Status != "failure" || got.Error == "" {
				t.Errorf("%s reads in %s: %q", name, where, got.Error)
			}
			if !full && !strings.Contains(got.Error, "tess and admins") {
				t.Errorf("%s is not told who may read the details: %q", name, got.Error)
			}
		}
		evs := readUntil(t, socks[name], func(ev wsEvent) bool {
			return ev.Type == "operation.updated" && ev.ID == op.ID && strings.Contains(string(ev.Data), `"status":"failure"`)
		})
		var last operation
		json.Unmarshal(evs[len(evs)-1].Data, &last)
		if detailed(last.Error) != full || last.Error == "" {
			t.Errorf("%s receives the event with %q", name, last.Error)
		}
	}
}

func TestSkippingTheHostKeyCheckIsForAdminsOnly(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	ci := hostCI(t, tess)
	src := map[string]any{"address": closedPort(t), "user": "root", "password": "pw", "device": "/dev/sda", "insecure_ignore_host_key": true}
	var er apiError
	if st := tess.do("POST", fmt.Sprintf("/api/v1/cis/%d/images/ssh", ci), src, &er); st != 403 ||
		!strings.Contains(er.Error.Message, "admin") || !strings.Contains(er.Error.Message, "host key") {
		t.Fatalf("a tester skips the host key check: %d %+v", st, er.Error)
	}
	var ops struct{ Total int }
	admin.do("GET", "/api/v1/operations", nil, &ops)
	var trail auditPage
	admin.do("GET", "/api/v1/audit?entity=ci", nil, &trail)
	for _, it := range trail.Items {
		if it.Action == "ci.image.import-ssh" {
			t.Fatalf("the refused import was audited as done: %s", it.After)
		}
	}
	if ops.Total != 0 {
		t.Fatalf("a refused import started %d operations", ops.Total)
	}
	var op operation
	if st := admin.do("POST", fmt.Sprintf("/api/v1/cis/%d/images/ssh", ci), src, &op); st != 202 {
		t.Fatalf("an admin skips the host key check: %d", st)
	}
	waitOp(t, admin, op.ID)
}

// sshServer is an SSH server on loopback that presents a host key and lets
// nobody in; it counts the sign-in attempts it sees.
type sshServer struct {
	addr, fingerprint string
	attempts          atomic.Int32
}

func startSSHServer(t *testing.T) *sshServer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s := &sshServer{fingerprint: ssh.FingerprintSHA256(signer.PublicKey())}
	cfg := &ssh.ServerConfig{
		AuthLogCallback: func(ssh.ConnMetadata, string, error) { s.attempts.Add(1) },
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			return nil, errors.New("no")
		},
	}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s.addr = ln.Addr().String()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				ssh.NewServerConn(conn, cfg)
			}()
		}
	}()
	return s
}

type hostKey struct {
	Address, Connected, Type, Fingerprint string
}

func TestHostKeyFingerprintIsReadWithoutSigningIn(t *testing.T) {
	e := newEnv(t, false)
	tess, mona := e.user("tess", "tester"), e.user("mona", "manager")
	ci := hostCI(t, tess)
	srv := startSSHServer(t)
	path := fmt.Sprintf("/api/v1/cis/%d/images/ssh/fingerprint", ci)
	var k hostKey
	if st := tess.do("POST", path, map[string]string{"address": srv.addr}, &k); st != 200 ||
		k.Fingerprint != srv.fingerprint || k.Type != "ssh-ed25519" || k.Address != srv.addr || k.Connected != srv.addr {
		t.Fatalf("fingerprint: %d %+v, want %s", st, k, srv.fingerprint)
	}
	if n := srv.attempts.Load(); n != 0 {
		t.Fatalf("reading the host key tried to sign in %d times", n)
	}
	var er apiError
	if st := mona.do("POST", path, map[string]string{"address": srv.addr}, &er); st != 403 {
		t.Fatalf("a manager reads a host key: %d", st)
	}
	if st := tess.do("POST", path, map[string]string{"address": closedPort(t)}, &er); st != 422 || er.Error.Field != "address" {
		t.Fatalf("nothing listening: %d %+v", st, er.Error)
	}
	if st := tess.do("POST", path, map[string]string{"address": "db7"}, &er); st != 422 || er.Error.Field != "address" {
		t.Fatalf("no port: %d %+v", st, er.Error)
	}
	if st := tess.do("POST", "/api/v1/cis/4242/images/ssh/fingerprint", map[string]string{"address": srv.addr}, &er); st != 404 {
		t.Fatalf("unknown CI: %d", st)
	}
}

func TestImportsReachOnlyTheConfiguredNetworksAtTheCheckedAddress(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	ci := hostCI(t, tess)
	srv := startSSHServer(t)
	_, port, _ := net.SplitHostPort(srv.addr)
	fp := fmt.Sprintf("/api/v1/cis/%d/images/ssh/fingerprint", ci)
	imp := fmt.Sprintf("/api/v1/cis/%d/images/ssh", ci)
	src := func(addr string) map[string]any {
		return map[string]any{"address": addr, "user": "root", "password": "pw", "device": "/dev/sda", "host_key_fingerprint": srv.fingerprint}
	}
	// db7.example resolves to an address inside and one outside;
	// rebind.example resolves inside for the first two lookups (one check
	// by the fingerprint, one by the import), then leads elsewhere (DNS
	// rebinding): a lookup between the check and the dial would go there.
	var lookups atomic.Int32
	e.srv.Labs.SetResolver(func(ctx context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "db7.example":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("127.0.0.1")}, nil
		case "rebind.example":
			if lookups.Add(1) <= 2 {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("10.255.255.1")}, nil
		}
		return nil, errors.New("no such host")
	})

	putSettings(t, admin, "10.0.0.0/8")
	for _, addr := range []string{srv.addr, "db7.example:" + port} {
		var er apiError
		if st := tess.do("POST", fp, map[string]string{"address": addr}, &er); st != 422 || er.Error.Field != "address" || !strings.Contains(er.Error.Message, "127.0.0.1") || !strings.Contains(er.Error.Message, "outside") {
			t.Errorf("fingerprint of %s outside the networks: %d %+v", addr, st, er.Error)
		}
		if st := tess.do("POST", imp, src(addr), &er); st != 422 || er.Error.Field != "address" || !strings.Contains(er.Error.Message, "outside") {
			t.Errorf("import from %s outside the networks: %d %+v", addr, st, er.Error)
		}
	}
	var er apiError
	if st := tess.do("POST", fp, map[string]string{"address": "nowhere.example:22"}, &er); st != 422 || er.Error.Field != "address" {
		t.Errorf("a name that does not resolve: %d %+v", st, er.Error)
	}
	var list struct{ Total int }
	admin.do("GET", "/api/v1/operations", nil, &list)
	if list.Total != 0 {
		t.Fatalf("refused imports started %d operations", list.Total)
	}

	// Inside the networks, the address checked is the one connected to.
	putSettings(t, admin, "127.0.0.0/8")
	var k hostKey
	if st := tess.do("POST", fp, map[string]string{"address": "rebind.example:" + port}, &k); st != 200 || k.Fingerprint != srv.fingerprint || k.Connected != srv.addr {
		t.Fatalf("fingerprint inside the networks: %d %+v", st, k)
	}
	var op operation
	if st := tess.do("POST", imp, src("rebind.example:"+port), &op); st != 202 {
		t.Fatalf("import inside the networks: %d", st)
	}
	done := waitOp(t, tess, op.ID)
	// It reached the test server (which lets nobody in), not the rebound address.
	if done.Status != "failure" || !strings.Contains(done.Error, "unable to authenticate") || srv.attempts.Load() == 0 {
		t.Fatalf("import: %+v, %d sign-in attempts", done, srv.attempts.Load())
	}
	if n := lookups.Load(); n != 2 {
		t.Fatalf("rebind.example was looked up %d times for one fingerprint and one import, want 2", n)
	}
}
