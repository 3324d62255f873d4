package notify

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/secrets"
	"github.com/shakedown/shakedown/backend/store"
)

var (
	admin  = auth.Actor{UserID: 1, Username: "admin", Roles: []auth.Role{auth.RoleAdmin}}
	tester = auth.Actor{Username: "tess", Roles: []auth.Role{auth.RoleTester}}
)

func p[T any](v T) *T { return &v }

// env is a real store, bus, users and releases with the notify service.
type env struct {
	t        *testing.T
	db       *store.DB
	bus      *events.Bus
	box      *secrets.Box
	users    *auth.Service
	releases *release.Service
	cfg      Config
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secrets.New(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	e := &env{t: t, db: db, bus: bus, box: box, users: auth.NewService(db, bus), releases: release.NewService(db, bus)}
	for _, u := range []struct {
		name  string
		roles []auth.Role
	}{{"admin", []auth.Role{auth.RoleAdmin}}, {"tess", []auth.Role{auth.RoleTester}}, {"mona", []auth.Role{auth.RoleManager}}, {"max", []auth.Role{auth.RoleManager}}} {
		if _, err := e.users.CreateUser(ctx, admin, auth.UserInput{Username: p(u.name), Password: p("password-123"), Roles: &u.roles}); err != nil && !strings.Contains(err.Error(), "exists") {
			t.Fatal(err)
		}
	}
	e.cfg = Config{DB: db, Bus: bus, Box: box, Releases: e.releases, Users: e.users, Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	return e
}

// start runs a notify service until the test ends.
func (e *env) start(mod func(*Config)) *Service {
	cfg := e.cfg
	if mod != nil {
		mod(&cfg)
	}
	s := New(cfg)
	s.Start(e.t.Context())
	e.t.Cleanup(s.Close)
	return s
}

func actor(t *testing.T, e *env, name string) auth.Actor {
	t.Helper()
	us, err := e.users.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == name {
			return auth.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles}
		}
	}
	t.Fatalf("no user %s", name)
	return auth.Actor{}
}

// awaitingRelease makes a release with a package and passing evidence and
// moves it to awaiting approval, as a tester does.
func (e *env) awaitingRelease(t *testing.T) (*release.Release, error) {
	t.Helper()
	ctx := t.Context()
	tess := actor(t, e, "tess")
	start, end := time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339), time.Now().Add(50*time.Hour).UTC().Format(time.RFC3339)
	r, err := e.releases.Create(ctx, tess, release.Input{Name: p("Web shop"), Version: p("2.1"), Type: p(release.TypeMinor), Environment: p("production"),
		PlannedStart: &start, PlannedEnd: &end, Changes: &[]release.ChangeInput{{RFC: "RFC-1", Title: "Patch", Risk: "medium"}}})
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("a", 64)
	if _, err := e.db.Exec(`INSERT OR IGNORE INTO packages (digest, name, version, format, size, manifest, entries, created_by, created_at)
		VALUES (?, 'webapp', '1', 'tar.gz', 100, '{}', '[]', 'tess', '2026-11-01T00:00:00Z')`, digest); err != nil {
		t.Fatal(err)
	}
	for _, to := range []release.State{release.StateBuilding, release.StateTesting} {
		if _, err := e.releases.Transition(ctx, tess, r.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.releases.AttachPackage(ctx, tess, r.ID, digest); err != nil {
		t.Fatal(err)
	}
	tina := auth.Actor{Username: "tina", Roles: []auth.Role{auth.RoleTester}}
	if _, err := e.releases.AddEvidence(ctx, tina, r.ID, release.EvidenceInput{Name: "Smoke", Target: "lab",
		Checks: []release.ManualCheck{{Name: "home page", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.releases.Transition(ctx, tess, r.ID, release.StateAwaitingApproval, "")
	return r, err
}

// smtpServer is a real SMTP server (aiosmtpd) saving what it receives.
type smtpServer struct {
	port int
	dir  string
}

type smtpOpts struct{ cert, key, user, password string }

func startSMTP(t *testing.T, o smtpOpts) *smtpServer {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skip("no aiosmtpd (Debian python3-aiosmtpd; scripts/install-deps.sh installs it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	args := []string{"testdata/smtpd.py", "--port", strconv.Itoa(port), "--out", dir}
	if o.cert != "" {
		args = append(args, "--cert", o.cert, "--key", o.key)
	}
	if o.user != "" {
		args = append(args, "--user", o.user, "--password", o.password)
	}
	cmd := exec.Command(py, args...)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("aiosmtpd did not start: %q %v", line, err)
	}
	return &smtpServer{port: port, dir: dir}
}

// mails returns the messages received so far (decoded bodies).
func (m *smtpServer) mails(t *testing.T) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(m.dir, "*.eml"))
	slices.Sort(names)
	var out []string
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
		dec, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		out = append(out, head+"\n\n"+string(dec))
	}
	return out
}

func (m *smtpServer) waitMails(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := m.mails(t)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails arrived, want %d", len(got), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestAwaitingApprovalMailsTheApproversWithALink(t *testing.T) {
	e := newEnv(t)
	srv := startSMTP(t, smtpOpts{})
	s := e.start(nil)
	ctx := t.Context()
	if _, err := s.PutSettings(ctx, admin, SettingsInput{BaseURL: "https://shakedown.example.com/", SMTPHost: "127.0.0.1", SMTPPort: srv.port,
		Security: SecurityNone, From: "shakedown@example.com", DigestMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	mona := actor(t, e, "mona")
	if _, err := s.PutPrefs(ctx, mona, Prefs{Email: "mona@example.com", Digest: true}); err != nil {
		t.Fatal(err)
	}
	// tess asked for mail too, but she is no approver.
	if _, err := s.PutPrefs(ctx, actor(t, e, "tess"), Prefs{Email: "tess@example.com"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.awaitingRelease(t)
	if err != nil {
		t.Fatal(err)
	}
	got := srv.waitMails(t, 1)
	m := got[0]
	for _, want := range []string{"X-Envelope-To: mona@example.com", "Subject: Shakedown: Awaiting your approval: Web shop 2.1",
		fmt.Sprintf("https://shakedown.example.com/#/releases/%d", r.ID), "moved to awaiting approval by tess"} {
		if !strings.Contains(m, want) {
			t.Errorf("mail lacks %q:\n%s", want, m)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.mails(t)); n != 1 {
		t.Fatalf("%d mails, want only mona's", n)
	}
	ds, err := s.Deliveries(ctx, admin, "email", "", 10)
	if err != nil || len(ds) != 1 || ds[0].State != StateSent || ds[0].Recipient != "mona" || len(ds[0].History) != 1 {
		t.Fatalf("deliveries %+v %v", ds, err)
	}
}

func TestDigestGathersMailsPerUser(t *testing.T) {
	e := newEnv(t)
	srv := startSMTP(t, smtpOpts{})
	s := e.start(func(c *Config) { c.DigestUnit = time.Second })
	ctx := t.Context()
	if _, err := s.PutSettings(ctx, admin, SettingsInput{SMTPHost: "127.0.0.1", SMTPPort: srv.port, Security: SecurityNone,
		From: "shakedown@example.com", DigestMinutes: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPrefs(ctx, actor(t, e, "mona"), Prefs{Email: "mona@example.com", Digest: true}); err != nil {
		t.Fatal(err)
	}
	rec := func(i int) {
		if err := s.record(ctx, note{Key: fmt.Sprintf("t:%d", i), Kind: KindDeployed, Title: fmt.Sprintf("Deployed: app %d", i), Text: "done",
			Entity: "release", EntityID: strconv.Itoa(i), To: []string{"mona"}}); err != nil {
			t.Fatal(err)
		}
	}
	rec(1)
	srv.waitMails(t, 1)
	start := time.Now()
	rec(2)
	rec(3)
	rec(3) // the same thing seen twice is told once
	got := srv.waitMails(t, 2)
	if time.Since(start) < time.Second {
		t.Errorf("the digest came after %v, before its interval", time.Since(start))
	}
	if !strings.Contains(got[1], "Subject: Shakedown: 2 notifications") || !strings.Contains(got[1], "Deployed: app 2") || !strings.Contains(got[1], "Deployed: app 3") {
		t.Fatalf("digest:\n%s", got[1])
	}
	// Without the digest, each goes at once.
	if _, err := s.PutPrefs(ctx, actor(t, e, "mona"), Prefs{Email: "mona@example.com", Digest: false, Events: map[Kind]bool{KindFailed: false}}); err != nil {
		t.Fatal(err)
	}
	rec(4)
	srv.waitMails(t, 3)
	if err := s.record(ctx, note{Key: "off", Kind: KindFailed, Title: "Failed", Entity: "release", EntityID: "9", To: []string{"mona"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.mails(t)); n != 3 {
		t.Fatalf("%d mails: a kind turned off was mailed", n)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns its files and pool.
func selfSigned(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestSTARTTLSWithAuth(t *testing.T) {
	e := newEnv(t)
	certFile, keyFile, pool := selfSigned(t)
	srv := startSMTP(t, smtpOpts{cert: certFile, key: keyFile, user: "mailer", password: "s3cret-pass"})
	s := e.start(func(c *Config) { c.RootCAs = pool })
	ctx := t.Context()
	in := SettingsInput{SMTPHost: "127.0.0.1", SMTPPort: srv.port, Security: SecuritySTARTTLS, Username: "mailer", Password: p("wrong"),
		From: "shakedown@example.com", DigestMinutes: 15}
	if _, err := s.PutSettings(ctx, admin, in); err != nil {
		t.Fatal(err)
	}
	if err := s.TestMail(ctx, admin, "ops@example.com"); err == nil || !strings.Contains(err.Error(), "authentication") {
		t.Fatalf("a wrong password: %v", err)
	}
	in.Password = p("s3cret-pass")
	set, err := s.PutSettings(ctx, admin, in)
	if err != nil || !set.PasswordSet {
		t.Fatal(set, err)
	}
	// The password is sealed, never stored in the clear.
	var sealed []byte
	e.db.QueryRow(`SELECT smtp_password FROM notify_settings`).Scan(&sealed)
	if strings.Contains(string(sealed), "s3cret-pass") {
		t.Fatal("the SMTP password is stored in the clear")
	}
	in.Password = nil // kept
	if _, err := s.PutSettings(ctx, admin, in); err != nil {
		t.Fatal(err)
	}
	if err := s.TestMail(ctx, admin, "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	if m := srv.waitMails(t, 1)[0]; !strings.Contains(m, "X-Envelope-To: ops@example.com") || !strings.Contains(m, "test mail") {
		t.Fatalf("test mail:\n%s", m)
	}
	// Without STARTTLS the server refuses; Shakedown never sends the password in the clear.
	in.Security = SecurityNone
	s.PutSettings(ctx, admin, in)
	if err := s.TestMail(ctx, admin, "ops@example.com"); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("sent without TLS: %v", err)
	}
}

// hookServer checks signatures and fails the first failFirst deliveries.
type hookServer struct {
	*httptest.Server
	secret    atomic.Value
	failFirst int32
	calls     atomic.Int32
	mu        sync.Mutex
	bodies    [][]byte
}

func newHookServer(t *testing.T, failFirst int32) *hookServer {
	h := &hookServer{failFirst: failFirst}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(SignatureHeader)
		var ts, v1 string
		for _, part := range strings.Split(sig, ",") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				v1 = v
			}
		}
		sec, _ := h.secret.Load().(string)
		mac := hmac.New(sha256.New, []byte(sec))
		mac.Write([]byte(ts + "." + string(body)))
		unix, _ := strconv.ParseInt(ts, 10, 64)
		if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(v1)) || time.Since(time.Unix(unix, 0)).Abs() > 5*time.Minute {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if n := h.calls.Add(1); n <= h.failFirst {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) received() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies)
}

func TestWebhookSignedRetriedAndResent(t *testing.T) {
	e := newEnv(t)
	s := e.start(nil)
	ctx := t.Context()
	hook := newHookServer(t, 2)
	if _, err := s.PutSettings(ctx, admin, SettingsInput{BaseURL: "https://sd.example.com", SMTPPort: 25, Security: SecurityNone, DigestMinutes: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWebhook(ctx, tester, WebhookInput{Name: "x", URL: hook.URL}); err == nil {
		t.Fatal("a tester registered a webhook")
	}
	if _, err := s.CreateWebhook(ctx, admin, WebhookInput{Name: "x", URL: "ftp://x"}); err == nil {
		t.Fatal("an ftp URL was taken")
	}
	h, err := s.CreateWebhook(ctx, admin, WebhookInput{Name: "CAB board", URL: hook.URL, Events: []Kind{KindAwaitingApproval}, Format: FormatJSON, Enabled: true})
	if err != nil || !strings.HasPrefix(h.Secret, "whsec_") {
		t.Fatal(h, err)
	}
	hook.secret.Store(h.Secret)
	if ws, _ := s.Webhooks(ctx); len(ws) != 1 || ws[0].Secret != "" {
		t.Fatalf("the secret is listed: %+v", ws)
	}
	r, err := e.awaitingRelease(t)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the webhook delivered", func() bool { return len(hook.received()) == 1 })
	var got Payload
	if err := json.Unmarshal(hook.received()[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != KindAwaitingApproval || got.Link != fmt.Sprintf("https://sd.example.com/#/releases/%d", r.ID) || got.EntityID != strconv.FormatInt(r.ID, 10) {
		t.Fatalf("payload %+v", got)
	}
	var d Delivery
	eventually(t, "the history", func() bool {
		ds, _ := s.Deliveries(ctx, admin, "webhook", strconv.FormatInt(h.ID, 10), 10)
		if len(ds) == 1 {
			d = ds[0]
		}
		return d.State == StateSent
	})
	if d.Attempts != 3 || len(d.History) != 3 || d.History[0].ResponseCode != 503 || d.History[1].OK || !d.History[2].OK || d.History[2].ResponseCode != 204 {
		t.Fatalf("history %+v", d)
	}
	if d.History[1].At.Sub(d.History[0].At) < 40*time.Millisecond {
		t.Errorf("no backoff between attempts: %v", d.History)
	}
	// Re-sent: the same notification again, one more attempt in its history.
	if _, err := s.Resend(ctx, admin, d.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the re-sent delivery", func() bool { return len(hook.received()) == 2 })
	var again Payload
	json.Unmarshal(hook.received()[1], &again)
	if again.ID != got.ID {
		t.Fatalf("re-sent %d, first %d", again.ID, got.ID)
	}
	eventually(t, "the re-sent history", func() bool {
		ds, _ := s.Deliveries(ctx, admin, "webhook", "", 10)
		return len(ds) == 1 && len(ds[0].History) == 4 && ds[0].State == StateSent
	})
	// A kind the webhook did not choose is not sent to it.
	s.record(ctx, note{Key: "other", Kind: KindDeployed, Title: "Deployed", Entity: "release", EntityID: "1"})
	time.Sleep(200 * time.Millisecond)
	if n := len(hook.received()); n != 2 {
		t.Fatalf("%d deliveries: a kind not chosen was sent", n)
	}
}

func TestChatFormatAndGivingUp(t *testing.T) {
	e := newEnv(t)
	s := e.start(func(c *Config) { c.MaxAttempts = 3 })
	ctx := t.Context()
	hook := newHookServer(t, 100)
	h, err := s.CreateWebhook(ctx, admin, WebhookInput{Name: "chat", URL: hook.URL, Format: FormatChat, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	hook.secret.Store(h.Secret)
	s.record(ctx, note{Key: "k", Kind: KindRolloutPaused, Title: "Rollout paused", Text: "wave 2 failed its gate", Entity: "rollout", EntityID: "abc"})
	eventually(t, "giving up", func() bool {
		ds, _ := s.Deliveries(ctx, admin, "webhook", "", 10)
		return len(ds) == 1 && ds[0].State == StateFailed && ds[0].Attempts == 3 && strings.Contains(ds[0].LastError, "503")
	})
	hook.failFirst = 0
	ds, _ := s.Deliveries(ctx, admin, "webhook", "", 10)
	if _, err := s.Resend(ctx, admin, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the chat message", func() bool { return len(hook.received()) == 1 })
	var chat map[string]any
	json.Unmarshal(hook.received()[0], &chat)
	if txt, _ := chat["text"].(string); len(chat) != 1 || !strings.Contains(txt, "**Rollout paused**") || !strings.Contains(txt, "wave 2 failed its gate") {
		t.Fatalf("chat body %v", chat)
	}
}

func TestUndeliveredSurviveARestart(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var up atomic.Bool
	var got atomic.Int32
	var secret atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(SignatureHeader)
		ts := strings.TrimPrefix(strings.Split(sig, ",")[0], "t=")
		unix, _ := strconv.ParseInt(ts, 10, 64)
		if Sign(secret.Load().(string), time.Unix(unix, 0), body) != sig {
			http.Error(w, "bad signature", 401)
			return
		}
		got.Add(1)
	}))
	defer srv.Close()
	first := New(e.cfg)
	first.Start(ctx)
	h, err := first.CreateWebhook(ctx, admin, WebhookInput{Name: "ops", URL: srv.URL, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	secret.Store(h.Secret)
	if _, err := e.awaitingRelease(t); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a failed attempt", func() bool {
		ds, _ := first.Deliveries(ctx, admin, "webhook", "", 10)
		return len(ds) == 1 && ds[0].Attempts >= 1
	})
	first.Close()
	up.Store(true)
	second := e.start(nil)
	eventually(t, "the delivery after the restart", func() bool { return got.Load() == 1 })
	ds, _ := second.Deliveries(ctx, admin, "webhook", "", 10)
	if ds[0].State != StateSent {
		t.Fatalf("%+v", ds[0])
	}
}

func TestSMTPDownNeverFailsTheTransition(t *testing.T) {
	e := newEnv(t)
	s := e.start(nil)
	ctx := t.Context()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there
	if _, err := s.PutSettings(ctx, admin, SettingsInput{SMTPHost: "127.0.0.1", SMTPPort: port, Security: SecurityNone, From: "sd@example.com", DigestMinutes: 1}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"mona", "max"} {
		if _, err := s.PutPrefs(ctx, actor(t, e, u), Prefs{Email: u + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.awaitingRelease(t)
	if err != nil {
		t.Fatalf("the transition failed: %v", err)
	}
	got, _ := e.releases.Get(ctx, admin, r.ID)
	if got.State != release.StateAwaitingApproval {
		t.Fatal(got.State)
	}
	eventually(t, "failed attempts recorded", func() bool {
		ds, _ := s.Deliveries(ctx, admin, "email", "", 10)
		return len(ds) == 2 && ds[0].State == StatePending && ds[0].Attempts >= 1 && strings.Contains(ds[0].LastError, "connect to the SMTP server")
	})
}

func TestPrefsAndSettingsValidation(t *testing.T) {
	e := newEnv(t)
	s := New(e.cfg)
	ctx := t.Context()
	mona := actor(t, e, "mona")
	if _, err := s.PutPrefs(ctx, mona, Prefs{Email: "not an address"}); err == nil {
		t.Fatal("a bad address was taken")
	}
	if _, err := s.PutPrefs(ctx, mona, Prefs{Email: "m@example.com", Events: map[Kind]bool{"nope": true}}); err == nil {
		t.Fatal("an unknown kind was taken")
	}
	v, err := s.PutPrefs(ctx, mona, Prefs{Email: "m@example.com", Events: map[Kind]bool{KindLabPassed: false}})
	if err != nil || v.Events[KindLabPassed] || !v.Events[KindAwaitingApproval] || len(v.Kinds) != len(Kinds) {
		t.Fatal(v, err)
	}
	if _, err := s.PutSettings(ctx, mona, SettingsInput{SMTPPort: 25, Security: SecurityNone, DigestMinutes: 5}); err == nil {
		t.Fatal("a manager changed the mail settings")
	}
	for _, bad := range []SettingsInput{
		{BaseURL: "javascript:alert(1)", SMTPPort: 25, Security: SecurityNone, DigestMinutes: 5},
		{SMTPPort: 0, Security: SecurityNone, DigestMinutes: 5},
		{SMTPPort: 25, Security: "ssl", DigestMinutes: 5},
		{SMTPHost: "mail", SMTPPort: 25, Security: SecurityNone, From: "nobody", DigestMinutes: 5},
		{SMTPPort: 25, Security: SecurityNone, DigestMinutes: 0},
		{SMTPPort: 25, Security: SecurityNone, DigestMinutes: 5, Username: "u"},
	} {
		if _, err := s.PutSettings(ctx, admin, bad); err == nil {
			t.Errorf("taken: %+v", bad)
		}
	}
}
