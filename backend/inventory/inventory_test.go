package inventory

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/secrets"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

var admin = auth.Actor{UserID: 1, Username: "adam", Roles: []auth.Role{auth.RoleAdmin}}

type fixture struct {
	db  *store.DB
	rel *release.Service
	inv *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "shakedown.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, _, err := secrets.LoadOrCreate(filepath.Join(dir, secrets.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	rel := release.NewService(db, bus)
	return &fixture{db: db, rel: rel, inv: NewService(Config{DB: db, Bus: bus, Box: box, CIs: rel, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})}
}

func p[T any](v T) *T { return &v }

func (f *fixture) ci(t *testing.T, name, kind, env string, domain string) int64 {
	t.Helper()
	in := release.CIInput{Name: &name, Kind: &kind, Environment: &env, Criticality: p("medium")}
	if domain != "" {
		in.LibvirtDomain = &domain
	}
	c, err := f.rel.CreateCI(context.Background(), admin, in)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func names(ts []Target) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return strings.Join(out, ",")
}

// Select picks by CI ids, every tag given, environment and derived kind,
// always in name order.
func TestSelectByTagsEnvironmentAndKind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	web2 := f.ci(t, "web-2", "host", "production", "")
	web1 := f.ci(t, "web-1", "host", "production", "")
	db1 := f.ci(t, "db-1", "vm", "production", "prod-db-1")
	stg := f.ci(t, "web-stg", "host", "staging", "")
	manual := f.ci(t, "mainframe", "host", "production", "")
	for id, tags := range map[int64][]string{web1: {"web", "eu-1"}, web2: {"Web", "us-1"}, db1: {"db", "eu-1"}, stg: {"web", "eu-1"}, manual: {"eu-1"}} {
		if _, err := f.inv.PutTags(ctx, admin, id, TagsInput{Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int64{web1, web2, stg, db1} {
		if _, err := f.inv.Put(ctx, admin, id, TargetInput{Address: p("10.0.0.1"), User: p("deploy")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		sel  Selector
		want string
	}{
		{Selector{}, "db-1,mainframe,web-1,web-2,web-stg"},
		{Selector{Tags: []string{"web"}}, "web-1,web-2,web-stg"},
		{Selector{Tags: []string{"web", "EU-1"}}, "web-1,web-stg"},
		{Selector{Tags: []string{"web", "eu-1"}, Environment: "production"}, "web-1"},
		{Selector{Tags: []string{"eu-1"}, Kinds: []Kind{KindSSH}}, "web-1,web-stg"},
		// db-1 has an address but is linked to a libvirt domain: a vm.
		{Selector{Kinds: []Kind{KindVM}}, "db-1"},
		{Selector{Kinds: []Kind{KindManual}}, "mainframe"},
		{Selector{Kinds: []Kind{KindVM, KindManual}, Environment: "production"}, "db-1,mainframe"},
		{Selector{CIIDs: []int64{stg, web2, web2, db1}}, "db-1,web-2,web-stg"},
		{Selector{CIIDs: []int64{stg, web2}, Environment: "production"}, "web-2"},
		{Selector{Tags: []string{"nowhere"}}, ""},
	} {
		got, err := f.inv.Select(ctx, c.sel)
		if err != nil || names(got) != c.want {
			t.Errorf("Select(%+v) = %q, %v; want %q", c.sel, names(got), err, c.want)
		}
	}
	got, _ := f.inv.Select(ctx, Selector{CIIDs: []int64{web2}})
	if tg := got[0]; tg.Kind != KindSSH || !slices.Equal(tg.Tags, []string{"us-1", "web"}) || tg.Port != 22 || tg.User != "deploy" {
		t.Errorf("web-2: %+v", tg)
	}
	var nf *apperr.NotFoundError
	if _, err := f.inv.Select(ctx, Selector{CIIDs: []int64{web1, 4242}}); !errors.As(err, &nf) || nf.Field != "ci_ids" {
		t.Errorf("an unknown CI: %v", err)
	}
	if _, err := f.inv.Select(ctx, Selector{Kinds: []Kind{"robot"}}); apperr.FieldOf(err) != "kind" {
		t.Errorf("an unknown kind: %v", err)
	}
	// Paginated listing: the same order, a total, text search.
	page, total, err := f.inv.List(ctx, Filter{Selector: Selector{Tags: []string{"eu-1"}}, Limit: 2, Offset: 1})
	if err != nil || total != 4 || names(page) != "mainframe,web-1" {
		t.Errorf("List = %q of %d, %v", names(page), total, err)
	}
	if page, total, _ := f.inv.List(ctx, Filter{Q: "stg", Limit: 50}); total != 1 || names(page) != "web-stg" {
		t.Errorf("search: %q of %d", names(page), total)
	}
}

// A new address or port forgets the pinned host key, and the trail says
// so; the same address (in other case) keeps it.
func TestAddressOrPortChangeForgetsThePinnedKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.ci(t, "web-1", "host", "production", "")
	key := labs.HostKey{Type: "ssh-ed25519", Fingerprint: "SHA256:" + strings.Repeat("A", 43), AuthorizedKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake"}
	var asked []string
	f.inv.readHostKey = func(_ context.Context, addr string) (labs.HostKey, error) {
		asked = append(asked, addr)
		return key, nil
	}
	pin := func() {
		t.Helper()
		tg, err := f.inv.TrustHostKey(ctx, admin, id, TrustRequest{Fingerprint: key.Fingerprint})
		if err != nil || tg.HostKeyFingerprint != key.Fingerprint || tg.TrustedBy != "adam" || tg.TrustedAt == nil || tg.HostKeyType != "ssh-ed25519" {
			t.Fatalf("trust: %+v %v", tg, err)
		}
	}
	if _, err := f.inv.TrustHostKey(ctx, admin, id, TrustRequest{Fingerprint: key.Fingerprint}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("trust without an address: %v", err)
	}
	if _, err := f.inv.Put(ctx, admin, id, TargetInput{Address: p("web1.example.com"), User: p("deploy")}); err != nil {
		t.Fatal(err)
	}
	pin()
	if tg, _ := f.inv.Put(ctx, admin, id, TargetInput{Address: p("WEB1.example.com"), User: p("root")}); tg.HostKeyFingerprint != key.Fingerprint {
		t.Fatalf("the same address in other case forgot the key: %+v", tg)
	}
	for _, in := range []TargetInput{{Address: p("web1.example.net")}, {Port: p(2222)}, {Address: p("")}} {
		pin2 := in.Address == nil || *in.Address != ""
		tg, err := f.inv.Put(ctx, admin, id, in)
		if err != nil || tg.HostKeyFingerprint != "" || tg.TrustedBy != "" || tg.TrustedAt != nil {
			t.Fatalf("after %+v: %+v %v", in, tg, err)
		}
		acc, _ := f.inv.Access(ctx, id)
		if acc.HostKey != "" || acc.HostKeyFingerprint != "" {
			t.Fatalf("access still has the key: %+v", acc)
		}
		entries, _, _ := audit.List(ctx, f.db, audit.Filter{Entity: "target", Limit: 1, Admin: true})
		if !strings.Contains(string(entries[0].After), `"host_key_cleared":true`) {
			t.Fatalf("the trail does not say the key was forgotten: %s", entries[0].After)
		}
		if pin2 {
			pin()
		}
	}
	if tg, _ := f.inv.Get(ctx, id); tg.Kind != KindManual {
		t.Fatalf("no address: kind %s", tg.Kind)
	}
	if !slices.Equal(asked, []string{"web1.example.com:22", "web1.example.net:22", "web1.example.net:2222"}) {
		t.Fatalf("host keys read at %v", asked)
	}
}

// The rules of a target's fields, each refused with its field named and
// nothing written.
func TestTargetInputRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.ci(t, "web-1", "host", "production", "")
	for _, c := range []struct {
		in    TargetInput
		field string
	}{
		{TargetInput{Address: p("web1:22"), User: p("root")}, "address"},
		{TargetInput{Address: p("web 1"), User: p("root")}, "address"},
		{TargetInput{Address: p("web1")}, "user"},
		{TargetInput{Address: p("web1"), User: p("ro ot")}, "user"},
		{TargetInput{Port: p(0)}, "port"},
		{TargetInput{Port: p(70000)}, "port"},
		{TargetInput{AuthKind: p(AuthKind("kerberos"))}, "auth_kind"},
		{TargetInput{AuthKind: p(AuthPassword)}, "credential"},
		{TargetInput{Credential: p("hunter2")}, "auth_kind"},
		{TargetInput{AuthKind: p(AuthPrivateKey), Credential: p("not a key")}, "credential"},
		{TargetInput{SudoPassword: p("s3cret")}, "sudo_password"},
	} {
		if _, err := f.inv.Put(ctx, admin, id, c.in); apperr.FieldOf(err) != c.field {
			t.Errorf("%+v: %v (field %q), want field %q", c.in, err, apperr.FieldOf(err), c.field)
		}
	}
	var n int
	f.db.QueryRow(`SELECT count(*) FROM targets`).Scan(&n)
	if n != 0 {
		t.Fatalf("refused input wrote %d targets", n)
	}
	// IPv6 and IPv4 addresses are fine, in their canonical form.
	if tg, err := f.inv.Put(ctx, admin, id, TargetInput{Address: p("2001:DB8::1"), User: p("root")}); err != nil || tg.Address != "2001:db8::1" || tg.Kind != KindSSH {
		t.Fatalf("IPv6: %+v %v", tg, err)
	}
	// A password, then none: the credential goes, and the trail says so.
	if tg, _ := f.inv.Put(ctx, admin, id, TargetInput{AuthKind: p(AuthPassword), Credential: p("hunter2")}); !tg.HasCredential || tg.AuthKind != AuthPassword {
		t.Fatalf("password: %+v", tg)
	}
	if tg, _ := f.inv.Put(ctx, admin, id, TargetInput{AuthKind: p(AuthNone)}); tg.HasCredential || tg.AuthKind != AuthNone {
		t.Fatalf("none: %+v", tg)
	}
	entries, _, _ := audit.List(ctx, f.db, audit.Filter{Entity: "target", Limit: 1, Admin: true})
	if !strings.Contains(string(entries[0].After), `"credential":"cleared"`) {
		t.Fatalf("trail: %s", entries[0].After)
	}
	// Sudo off drops its password.
	f.inv.Put(ctx, admin, id, TargetInput{Sudo: p(true), SudoPassword: p("s3cret")})
	if tg, _ := f.inv.Put(ctx, admin, id, TargetInput{Sudo: p(false)}); tg.Sudo || tg.HasSudoPassword {
		t.Fatalf("sudo off: %+v", tg)
	}
	if acc, _ := f.inv.Access(ctx, id); acc.SudoPassword != "" {
		t.Fatal("sudo password kept after sudo was turned off")
	}
}
