package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/shakedown/shakedown/labs/labtest"
)

// The target inventory over HTTP: credentials sealed at rest and never
// answered, the CSV/JSON import refusing a bad file whole, the host-key
// trust flow against a real sshd, and the listing's filters.

type target struct {
	CIID               int64 `json:"ci_id"`
	Name               string
	Kind               string
	Environment        string
	Address            string
	Port               int
	User               string
	AuthKind           string `json:"auth_kind"`
	HasCredential      bool   `json:"has_credential"`
	Sudo               bool
	HasSudoPassword    bool       `json:"has_sudo_password"`
	HostKeyFingerprint string     `json:"host_key_fingerprint"`
	HostKeyType        string     `json:"host_key_type"`
	TrustedBy          string     `json:"trusted_by"`
	TrustedAt          *time.Time `json:"trusted_at"`
	Tags               []string
}

type rowError struct {
	Row, Line      int
	Field, Message string
}

type importError struct {
	Error struct {
		Code, Message string
		Rows          []rowError
	}
}

type importResult struct {
	DryRun           bool `json:"dry_run"`
	Created, Updated int
	Rows             []struct {
		Row          int
		Name         string
		Action       string
		CIID         int64 `json:"ci_id"`
		Kind         string
		Tags         []string
		SetsPassword bool `json:"sets_password"`
	}
}

// send makes one request with a body of the given type and returns the
// status and the raw answer (decoded into out when it is JSON).
func (c *client) send(method, path, contentType string, body []byte, out any) (int, []byte) {
	c.e.t.Helper()
	req, _ := http.NewRequest(method, c.e.ts.URL+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, out); err != nil {
			c.e.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

func (c *client) newCI(name, kind, env string) int64 {
	c.e.t.Helper()
	var ci struct{ ID int64 }
	if st := c.do("POST", "/api/v1/cis", map[string]string{"name": name, "kind": kind, "environment": env, "criticality": "medium"}, &ci); st != 201 {
		c.e.t.Fatalf("create CI %s: %d", name, st)
	}
	return ci.ID
}

func randomText(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// privateKeyPEM is a fresh ed25519 key in OpenSSH form, and a line of its
// base64 body that no other text would hold.
func privateKeyPEM(t *testing.T) (string, string) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	text := string(pem.EncodeToMemory(block))
	return text, strings.Split(text, "\n")[3]
}

// dataFiles is every file of the data directory, the database's WAL
// included, as bytes.
func dataFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if raw, err := os.ReadFile(path); err == nil {
				out[path] = raw
			}
		}
		return nil
	})
	return out
}

func TestTargetCredentialsAreSealedAtRest(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	id := admin.newCI("web-1", "host", "production")
	password, sudoPassword := randomText("pw-"), randomText("sudo-")
	key, keyLine := privateKeyPEM(t)
	user := randomText("u")[:20]
	var tg target
	if st := admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", id), map[string]any{"address": "web1.example.com", "user": user,
		"auth_kind": "password", "credential": password, "sudo": true, "sudo_password": sudoPassword}, &tg); st != 200 ||
		!tg.HasCredential || tg.AuthKind != "password" || !tg.HasSudoPassword || tg.Kind != "ssh" || tg.Port != 22 {
		t.Fatalf("set a password: %d %+v", st, tg)
	}
	other := admin.newCI("web-2", "host", "production")
	if st := admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", other), map[string]any{"address": "web2.example.com", "user": "deploy",
		"auth_kind": "private-key", "credential": key}, &tg); st != 200 || tg.AuthKind != "private-key" || !tg.HasCredential {
		t.Fatalf("set a private key: %d %+v", st, tg)
	}

	files := dataFiles(t, e.dir)
	found := func(s string) []string {
		var in []string
		for path, raw := range files {
			if bytes.Contains(raw, []byte(s)) {
				in = append(in, filepath.Base(path))
			}
		}
		return in
	}
	// The search does read what was written (the user name, in the clear)…
	if in := found(user); len(in) == 0 {
		t.Fatalf("the user name %q is in no file of %v: the search reads the wrong files", user, slices.Collect(func(yield func(string) bool) {
			for p := range files {
				if !yield(filepath.Base(p)) {
					return
				}
			}
		}))
	}
	// …and no secret is in any file, the database's WAL included.
	for what, secret := range map[string]string{"password": password, "sudo password": sudoPassword, "private key": keyLine} {
		if in := found(secret); len(in) > 0 {
			t.Errorf("the %s is stored in the clear in %v", what, in)
		}
	}
	// The key that seals them: 32 bytes, readable by the server's user only.
	st, err := os.Stat(filepath.Join(e.dir, "secret.key"))
	if err != nil || st.Size() != 32 || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", st, err)
	}
	// And they are there for the rollout, opened with that key.
	acc, err := e.srv.Targets.Access(context.Background(), id)
	if err != nil || acc.Password != password || acc.SudoPassword != sudoPassword || acc.User != user || acc.Address != "web1.example.com" {
		t.Fatalf("access: %+v %v", acc, err)
	}
	acc, err = e.srv.Targets.Access(context.Background(), other)
	if err != nil || acc.PrivateKey != key || acc.Password != "" {
		t.Fatalf("access to the key: %v", err)
	}
}

func TestTargetSecretsAreNeverAnswered(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	adminEvents, tessEvents := admin.socket(), tess.socket()
	id := admin.newCI("web-1", "host", "production")
	password, sudoPassword, importPassword := randomText("pw-"), randomText("sudo-"), randomText("imp-")
	key, keyLine := privateKeyPEM(t)
	secrets := []string{password, sudoPassword, importPassword, keyLine}
	var answers [][]byte
	keep := func(st int, raw []byte) int { answers = append(answers, raw); return st }
	path := fmt.Sprintf("/api/v1/cis/%d/target", id)
	body := func(v string) []byte { return []byte(v) }

	if st := keep(admin.send("PUT", path, "application/json", body(fmt.Sprintf(`{"address":"10.0.0.7","user":"deploy","auth_kind":"password","credential":%q,"sudo":true,"sudo_password":%q}`, password, sudoPassword)), nil)); st != 200 {
		t.Fatalf("put: %d", st)
	}
	keyJSON := strings.ReplaceAll(key, "\n", `\n`)
	if st := keep(admin.send("PUT", path, "application/json", body(`{"auth_kind":"private-key","credential":"`+keyJSON+`"}`), nil)); st != 200 {
		t.Fatalf("put key: %d", st)
	}
	// A refused credential is not echoed either.
	if st := keep(admin.send("PUT", path, "application/json", body(`{"auth_kind":"private-key","credential":"`+password+`"}`), nil)); st != 422 {
		t.Fatalf("a bad key: %d", st)
	}
	csv := "name,address,user,environment,criticality,password\nweb-1,10.0.0.7,deploy,,," + importPassword + "\nweb-9,10.0.0.9,deploy,production,low," + importPassword + "\n"
	for _, q := range []string{"?dry_run=true", ""} {
		if st := keep(admin.send("POST", "/api/v1/targets/import"+q, "text/csv", body(csv), nil)); st != 200 {
			t.Fatalf("import%s: %d", q, st)
		}
	}
	long := strings.Repeat(importPassword, 100)
	if st := keep(admin.send("POST", "/api/v1/targets/import", "text/csv", body("name,address,user,password\nweb-1,10.0.0.7,deploy,"+long+"\n"), nil)); st != 422 {
		t.Fatalf("an over-long password: %d", st)
	}
	for _, c := range []*client{admin, tess} {
		for _, p := range []string{"/api/v1/targets", "/api/v1/targets?q=web", path, fmt.Sprintf("/api/v1/cis/%d", id),
			"/api/v1/audit?limit=200", "/api/v1/audit?entity=target&limit=200", "/api/v1/audit?entity=ci&limit=200"} {
			st, raw := c.send("GET", p, "", nil, nil)
			if st != 200 {
				t.Fatalf("GET %s: %d", p, st)
			}
			keep(st, raw)
		}
	}
	var trail auditPage
	admin.do("GET", "/api/v1/audit?entity=target&limit=200", nil, &trail)
	var changes []string
	for _, it := range trail.Items {
		var after struct{ Secrets map[string]any }
		json.Unmarshal(it.After, &after)
		changes = append(changes, fmt.Sprintf("%s:%v", it.Action, after.Secrets["credential"]))
	}
	// Newest first: the import set web-9's password and changed web-1's
	// key to a password; the key replaced the password; the password was set.
	if want := []string{"target.import:set", "target.import:changed", "target.update:changed", "target.update:set"}; !slices.Equal(changes, want) {
		t.Errorf("the trail's credential changes: %v, want %v", changes, want)
	}
	// The events of every write, to an admin and to a tester.
	for _, conn := range [][]wsEvent{
		readUntil(t, adminEvents, func(ev wsEvent) bool {
			return ev.Type == "target.changed" && strings.Contains(string(ev.Data), "web-9")
		}),
		readUntil(t, tessEvents, func(ev wsEvent) bool {
			return ev.Type == "target.changed" && strings.Contains(string(ev.Data), "web-9")
		}),
	} {
		for _, ev := range conn {
			answers = append(answers, ev.Data)
		}
	}
	for i, raw := range answers {
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, []byte(s[:12])) {
				t.Errorf("answer %d holds a secret: %.300s", i, raw)
			}
		}
	}
	if len(answers) < 20 {
		t.Fatalf("only %d answers checked", len(answers))
	}
}

func TestTargetImportRefusesBadRowsAndWritesNothing(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	admin.newCI("db-1", "vm", "production")
	counts := func() (n [3]int) {
		for i, q := range []string{`SELECT count(*) FROM cis`, `SELECT count(*) FROM targets`, `SELECT count(*) FROM audit_log`} {
			e.srv.DB.QueryRow(q).Scan(&n[i])
		}
		n[1] += func() (m int) { e.srv.DB.QueryRow(`SELECT count(*) FROM target_tags`).Scan(&m); return }()
		return n
	}
	before := counts()
	csv := strings.Join([]string{
		"name,address,port,user,tags,environment,criticality",
		"web-1,10.0.0.1,22,deploy,web;eu-1,production,high",    // good
		"web-2,10.0.0.2,ssh,deploy,web,production,high",        // row 2: port
		"web-3,10.0.0.3,22,deploy,web,,high",                   // row 3: a new CI needs its environment
		"WEB-1,10.0.0.4,22,deploy,web,production,high",         // row 4: the same name as row 1
		"web-5,10.0.0.5,22,deploy,Web Servers,production,high", // row 5: a tag
		"db-1,10.0.0.6,22,deploy,db,staging,",                  // row 6: db-1 is in production
		"web-7,web7:22,,deploy,,production,low",                // row 7: the port inside the address
		"web-8,10.0.0.8,,,,production,low",                     // row 8: an address needs a user
		"web-9,,,,,production,urgent",                          // row 9: criticality
	}, "\n") + "\n"
	var er importError
	st, _ := admin.send("POST", "/api/v1/targets/import", "text/csv", []byte(csv), &er)
	if st != 422 || er.Error.Code != "invalid" || !strings.Contains(er.Error.Message, "8 of 9 rows") {
		t.Fatalf("bad CSV: %d %+v", st, er.Error)
	}
	var got []string
	for _, r := range er.Error.Rows {
		got = append(got, fmt.Sprintf("%d@%d:%s", r.Row, r.Line, r.Field))
		if r.Message == "" {
			t.Errorf("row %d has no message", r.Row)
		}
	}
	want := []string{"2@3:port", "3@4:environment", "4@5:name", "5@6:tags", "6@7:environment", "7@8:address", "8@9:user", "9@10:criticality"}
	if !slices.Equal(got, want) {
		t.Fatalf("row errors %v, want %v\n%+v", got, want, er.Error.Rows)
	}
	if after := counts(); after != before {
		t.Fatalf("a refused import wrote: %v → %v", before, after)
	}
	// The same as JSON: rows numbered from 1, no lines.
	er = importError{}
	st, _ = admin.send("POST", "/api/v1/targets/import", "application/json",
		[]byte(`{"rows":[{"name":"web-1","address":"10.0.0.1","user":"deploy","environment":"production","criticality":"high"},{"name":"web-2","port":99999,"environment":"production","criticality":"high"}]}`), &er)
	if st != 422 || len(er.Error.Rows) != 1 || er.Error.Rows[0].Row != 2 || er.Error.Rows[0].Line != 0 || er.Error.Rows[0].Field != "port" {
		t.Fatalf("bad JSON: %d %+v", st, er.Error)
	}
	// A file that is not the format at all.
	for _, c := range []struct{ csv, field string }{
		{"name,address,colour\nweb-1,10.0.0.1,red\n", "header"},
		{"address,user\n10.0.0.1,deploy\n", "header"},
		{"", "body"},
		{"name,address\n\"web-1,10.0.0.1\n", "body"},
	} {
		var er apiError
		if st, _ := admin.send("POST", "/api/v1/targets/import", "text/csv", []byte(c.csv), &er); st != 422 || er.Error.Field != c.field {
			t.Errorf("%q: %d %+v", c.csv, st, er.Error)
		}
	}
	var er2 importError
	if st, _ := admin.send("POST", "/api/v1/targets/import", "text/csv", []byte("name,address,user\nweb-1,10.0.0.1\n"), &er2); st != 422 || len(er2.Error.Rows) != 1 || er2.Error.Rows[0].Line != 2 {
		t.Errorf("a short row: %d %+v", st, er2.Error)
	}
	if st, _ := admin.send("POST", "/api/v1/targets/import", "text/plain", []byte("name\nweb-1\n"), nil); st != 415 {
		t.Errorf("text/plain: %d", st)
	}
	if after := counts(); after != before {
		t.Fatalf("refused imports wrote: %v → %v", before, after)
	}
	tess := e.user("tess", "tester")
	if st, _ := tess.send("POST", "/api/v1/targets/import", "text/csv", []byte("name,environment,criticality\nweb-1,production,low\n"), nil); st != 403 {
		t.Fatalf("a tester imports: %d", st)
	}
}

func TestTargetImportCreatesCIsAndSetsTargets(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	db1 := admin.newCI("db-1", "host", "production")
	csv := "\xef\xbb\xbfName,Address,Port,User,Tags,Environment,Criticality,Password\n" +
		"web-1,10.0.0.1,,deploy,web;EU-1,production,high,\n" +
		"web-2,10.0.0.2,2222,deploy,web;us-1,production,medium,s3cret-web-2\n" +
		"DB-1,10.0.0.3,,root,db,,,\n" +
		"switch-1,,,,,production,low,\n"
	var plan importResult
	if st, raw := admin.send("POST", "/api/v1/targets/import?dry_run=true", "text/csv; charset=utf-8", []byte(csv), &plan); st != 200 ||
		!plan.DryRun || plan.Created != 3 || plan.Updated != 1 || len(plan.Rows) != 4 {
		t.Fatalf("dry run: %d %s", st, raw)
	}
	if r := plan.Rows[2]; r.Action != "update" || r.CIID != db1 || r.Name != "db-1" || r.Kind != "ssh" {
		t.Fatalf("dry run of db-1: %+v", r)
	}
	if r := plan.Rows[1]; r.Action != "create" || r.CIID != 0 || !r.SetsPassword || !slices.Equal(r.Tags, []string{"us-1", "web"}) {
		t.Fatalf("dry run of web-2: %+v", r)
	}
	var list struct{ Total int }
	admin.do("GET", "/api/v1/cis", nil, &list)
	if list.Total != 1 {
		t.Fatalf("a dry run created CIs: %d", list.Total)
	}

	var res importResult
	if st, raw := admin.send("POST", "/api/v1/targets/import", "text/csv", []byte(csv), &res); st != 200 || res.DryRun || res.Created != 3 || res.Updated != 1 {
		t.Fatalf("import: %d %s", st, raw)
	}
	get := func(id int64) target {
		var tg target
		if st := admin.do("GET", fmt.Sprintf("/api/v1/cis/%d/target", id), nil, &tg); st != 200 {
			t.Fatalf("target %d: %d", id, st)
		}
		return tg
	}
	web2 := get(res.Rows[1].CIID)
	if web2.Name != "web-2" || web2.Port != 2222 || web2.AuthKind != "password" || !web2.HasCredential || web2.Environment != "production" || web2.Kind != "ssh" {
		t.Fatalf("web-2: %+v", web2)
	}
	if acc, _ := e.srv.Targets.Access(context.Background(), web2.CIID); acc.Password != "s3cret-web-2" {
		t.Fatalf("web-2's password: %q", acc.Password)
	}
	if sw := get(res.Rows[3].CIID); sw.Kind != "manual" || sw.Address != "" {
		t.Fatalf("switch-1: %+v", sw)
	}
	var ci struct{ Kind, Criticality string }
	admin.do("GET", fmt.Sprintf("/api/v1/cis/%d", res.Rows[0].CIID), nil, &ci)
	if ci.Kind != "host" || ci.Criticality != "high" {
		t.Fatalf("the created CI: %+v", ci)
	}
	if n := len(e.auditOf("ci.create", "entity=ci")); n != 4 {
		t.Fatalf("%d ci.create entries, want 4 (db-1 and three imported)", n)
	}
	if n := len(e.auditOf("target.import", "entity=target")); n != 4 {
		t.Fatalf("%d target.import entries", n)
	}

	// An existing CI's empty cells change nothing; the same file again
	// updates every row and creates nothing.
	if st, _ := admin.send("POST", "/api/v1/targets/import", "text/csv", []byte("name,address\nweb-2,10.0.0.22\n"), &res); st != 200 || res.Updated != 1 {
		t.Fatalf("a partial row: %d", st)
	}
	if w := get(web2.CIID); w.Address != "10.0.0.22" || w.Port != 2222 || w.User != "deploy" || !w.HasCredential || !slices.Equal(w.Tags, []string{"us-1", "web"}) {
		t.Fatalf("web-2 after a partial row: %+v", w)
	}
	if st, _ := admin.send("POST", "/api/v1/targets/import", "text/csv", []byte(csv), &res); st != 200 || res.Created != 0 || res.Updated != 4 {
		t.Fatalf("the same file again: %d %+v", st, res)
	}
	// JSON rows do the same.
	if st, raw := admin.send("POST", "/api/v1/targets/import", "application/json",
		[]byte(`{"rows":[{"name":"web-3","address":"web3.example.com","user":"deploy","tags":["web"],"environment":"staging","criticality":"low"}]}`), &res); st != 200 || res.Created != 1 {
		t.Fatalf("JSON: %d %s", st, raw)
	}
	if w := get(res.Rows[0].CIID); w.Environment != "staging" || w.Address != "web3.example.com" || !slices.Equal(w.Tags, []string{"web"}) {
		t.Fatalf("web-3: %+v", w)
	}
}

// A thousand rows import whole in one go (BenchmarkTargetImport times it).
func TestImportOfAThousandRows(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	var res importResult
	if st, raw := admin.send("POST", "/api/v1/targets/import", "text/csv", thousandRows("node"), &res); st != 200 || res.Created != 1000 || len(res.Rows) != 1000 {
		t.Fatalf("import: %d %.300s", st, raw)
	}
	var page struct{ Total int }
	admin.do("GET", "/api/v1/targets?tag=rack-7&kind=ssh&environment=production", nil, &page)
	if page.Total != 100 {
		t.Fatalf("rack-7: %d targets, want 100", page.Total)
	}
}

func thousandRows(prefix string) []byte {
	var b strings.Builder
	b.WriteString("name,address,port,user,tags,environment,criticality\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%s-%04d,10.%d.%d.%d,22,deploy,web;rack-%d,production,medium\n", prefix, i, i/65536, i/256%256, i%256, i%10)
	}
	return []byte(b.String())
}

// proxy forwards loopback connections to one address or another, so that
// one target address can present a new host key.
type proxy struct {
	addr string
	to   atomic.Pointer[string]
}

func startProxy(t *testing.T, to string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &proxy{addr: ln.Addr().String()}
	p.to.Store(&to)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("tcp", *p.to.Load())
				if err != nil {
					return
				}
				defer d.Close()
				go io.Copy(d, c)
				io.Copy(c, d)
			}()
		}
	}()
	return p
}

type hostKeyScan struct {
	Address, Type, Fingerprint string
	PinnedFingerprint          string `json:"pinned_fingerprint"`
	Matches                    bool
}

func TestHostKeyTrustFlowAgainstARealSSHD(t *testing.T) {
	one, two := labtest.StartSSHD(t), labtest.StartSSHD(t)
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	id := admin.newCI("web-1", "host", "production")
	fetch := fmt.Sprintf("/api/v1/cis/%d/target/host-key/fetch", id)
	trust := fmt.Sprintf("/api/v1/cis/%d/target/host-key/trust", id)
	var er apiError
	if st := admin.do("POST", fetch, nil, &er); st != 409 || er.Error.Field != "address" {
		t.Fatalf("fetch without an address: %d %+v", st, er.Error)
	}
	px := startProxy(t, one.Addr)
	host, port, _ := net.SplitHostPort(px.addr)
	if st := admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", id), map[string]any{"address": host, "port": atoi(port), "user": "root"}, nil); st != 200 {
		t.Fatalf("put: %d", st)
	}
	if st := tess.do("POST", fetch, nil, &er); st != 403 {
		t.Fatalf("a tester fetches: %d", st)
	}
	var k hostKeyScan
	if st := admin.do("POST", fetch, nil, &k); st != 200 || k.Fingerprint != one.Fingerprint || k.Type != "ssh-ed25519" || k.Matches || k.PinnedFingerprint != "" || k.Address != px.addr {
		t.Fatalf("fetch: %d %+v, want %s", st, k, one.Fingerprint)
	}
	// Fetching pins nothing.
	var tg target
	admin.do("GET", fmt.Sprintf("/api/v1/cis/%d/target", id), nil, &tg)
	if tg.HostKeyFingerprint != "" {
		t.Fatalf("fetching pinned %s", tg.HostKeyFingerprint)
	}
	// Another fingerprint than the one presented is refused.
	if st := admin.do("POST", trust, map[string]string{"fingerprint": two.Fingerprint}, &er); st != 409 || er.Error.Field != "fingerprint" || !strings.Contains(er.Error.Message, one.Fingerprint) {
		t.Fatalf("trust another key: %d %+v", st, er.Error)
	}
	if st := tess.do("POST", trust, map[string]string{"fingerprint": one.Fingerprint}, &er); st != 403 {
		t.Fatalf("a tester trusts: %d", st)
	}
	if st := admin.do("POST", trust, map[string]string{"fingerprint": "not a fingerprint"}, &er); st != 422 {
		t.Fatalf("trust garbage: %d", st)
	}
	if st := admin.do("POST", trust, map[string]string{"fingerprint": one.Fingerprint}, &tg); st != 200 ||
		tg.HostKeyFingerprint != one.Fingerprint || tg.TrustedBy != "admin" || tg.TrustedAt == nil || tg.HostKeyType != "ssh-ed25519" {
		t.Fatalf("trust: %d %+v", st, tg)
	}
	// The pinned key is the machine's own: the rollout can check it.
	acc, _ := e.srv.Targets.Access(context.Background(), id)
	pub, err := os.ReadFile(filepath.Join(one.Dir, "hostkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	want, _, _, _, _ := ssh.ParseAuthorizedKey(pub)
	got, _, _, _, err := ssh.ParseAuthorizedKey([]byte(acc.HostKey))
	if err != nil || !bytes.Equal(got.Marshal(), want.Marshal()) || acc.HostKeyFingerprint != one.Fingerprint {
		t.Fatalf("pinned key %q (%v), want the sshd's", acc.HostKey, err)
	}
	if st := admin.do("POST", fetch, nil, &k); st != 200 || !k.Matches || k.PinnedFingerprint != one.Fingerprint {
		t.Fatalf("fetch of the pinned key: %+v", k)
	}
	// The machine is replaced behind the same address: its new key shows,
	// not matching, and the one trusted before is refused.
	addr2 := two.Addr
	px.to.Store(&addr2)
	if st := admin.do("POST", fetch, nil, &k); st != 200 || k.Matches || k.Fingerprint != two.Fingerprint || k.PinnedFingerprint != one.Fingerprint {
		t.Fatalf("fetch after the key changed: %+v", k)
	}
	if st := admin.do("POST", trust, map[string]string{"fingerprint": one.Fingerprint}, &er); st != 409 || !strings.Contains(er.Error.Message, two.Fingerprint) {
		t.Fatalf("trust the old key: %d %+v", st, er.Error)
	}
	admin.do("GET", fmt.Sprintf("/api/v1/cis/%d/target", id), nil, &tg)
	if tg.HostKeyFingerprint != one.Fingerprint {
		t.Fatalf("a refused trust changed the pin: %+v", tg)
	}
	trail := e.auditOf("target.host-key.trust", "entity=target")
	if len(trail) != 1 || trail[0]["host_key_fingerprint"] != one.Fingerprint || trail[0]["actor"] != "admin" {
		t.Fatalf("trail: %v", trail)
	}
	// A new address forgets the pinned key.
	if st := admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", id), map[string]any{"address": "localhost"}, &tg); st != 200 ||
		tg.HostKeyFingerprint != "" || tg.TrustedBy != "" || tg.TrustedAt != nil {
		t.Fatalf("after a new address: %d %+v", st, tg)
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func TestTargetListFiltersAndTags(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	web1 := admin.newCI("web-1", "host", "production")
	web2 := admin.newCI("web-2", "host", "staging")
	admin.newCI("db-1", "vm", "production")
	for id, tags := range map[int64][]string{web1: {"web", "EU-1", "web"}, web2: {"web", "us-1"}} {
		var tg target
		if st := admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/tags", id), map[string]any{"tags": tags}, &tg); st != 200 {
			t.Fatalf("tags: %d", st)
		}
		if id == web1 && !slices.Equal(tg.Tags, []string{"eu-1", "web"}) {
			t.Fatalf("tags are lower-cased, sorted, once: %v", tg.Tags)
		}
	}
	admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", web1), map[string]any{"address": "10.0.0.1", "user": "deploy"}, nil)
	if st := tess.do("PUT", fmt.Sprintf("/api/v1/cis/%d/tags", web1), map[string]any{"tags": []string{"x"}}, nil); st != 403 {
		t.Fatalf("a tester tags: %d", st)
	}
	if st := tess.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", web1), map[string]any{"address": "10.6.6.6"}, nil); st != 403 {
		t.Fatalf("a tester sets an address: %d", st)
	}
	for q, want := range map[string]string{
		"":              "db-1,web-1,web-2",
		"?tag=web":      "web-1,web-2",
		"?tag=web,eu-1": "web-1",
		"?kind=ssh":     "web-1",
		"?kind=manual":  "db-1,web-2",
		"?kind=manual,ssh&environment=production": "db-1,web-1",
		"?q=WEB-2":          "web-2",
		"?q=10.0.0":         "web-1",
		"?limit=1&offset=1": "web-1",
	} {
		var page struct {
			Items []target
			Total int
		}
		if st := tess.do("GET", "/api/v1/targets"+q, nil, &page); st != 200 {
			t.Fatalf("%s: %d", q, st)
		}
		var got []string
		for _, it := range page.Items {
			got = append(got, it.Name)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("GET /targets%s = %v, want %s", q, got, want)
		}
	}
	var er apiError
	if st := tess.do("GET", "/api/v1/targets?kind=robot", nil, &er); st != 422 || er.Error.Field != "kind" {
		t.Fatalf("an unknown kind: %d %+v", st, er.Error)
	}
	// Forgetting the target keeps the tags.
	if st := admin.do("DELETE", fmt.Sprintf("/api/v1/cis/%d/target", web1), nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	var tg target
	admin.do("GET", fmt.Sprintf("/api/v1/cis/%d/target", web1), nil, &tg)
	if tg.Kind != "manual" || tg.Address != "" || !slices.Equal(tg.Tags, []string{"eu-1", "web"}) {
		t.Fatalf("after delete: %+v", tg)
	}
	if st := admin.do("GET", "/api/v1/cis/4242/target", nil, &er); st != 404 {
		t.Fatalf("an unknown CI: %d", st)
	}
	if n := len(e.auditOf("target.delete", "entity=target")); n != 1 {
		t.Fatalf("%d target.delete entries", n)
	}
}
