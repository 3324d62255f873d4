package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

func newService(t *testing.T) *Service {
	t.Helper()
	BcryptCost = bcrypt.MinCost
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewService(db, events.NewBus())
}

func ptr[T any](v T) *T { return &v }

func TestFirstAdminAndLogin(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	created, err := s.EnsureAdmin(ctx, "correct horse")
	if err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v", created, err)
	}
	if again, _ := s.EnsureAdmin(ctx, "other password"); again {
		t.Fatal("second EnsureAdmin created another admin")
	}
	u, secret, csrf, err := s.Login(ctx, "Admin", "correct horse", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "admin" || len(u.Roles) != 3 {
		t.Fatalf("user = %+v", u)
	}
	a, gotCSRF, err := s.SessionActor(ctx, secret)
	if err != nil || a.Username != "admin" || gotCSRF != csrf || !a.Has(RoleManager) {
		t.Fatalf("session actor = %+v, %q, %v", a, gotCSRF, err)
	}
	if _, _, _, err := s.Login(ctx, "admin", "wrong", "127.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := s.Logout(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionActor(ctx, secret); apperr.KindOf(err) != apperr.KindUnauthorized {
		t.Fatalf("after logout: %v", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	for i := 0; i < 5; i++ {
		s.Login(ctx, "admin", "nope", "10.0.0.9")
	}
	_, _, _, err := s.Login(ctx, "admin", "correct horse", "10.0.0.9")
	var rl *apperr.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfterSeconds <= 0 {
		t.Fatalf("sixth attempt: %v, want rate limited", err)
	}
	// The window passes.
	s.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "10.0.0.9"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestUserValidationAndDisable(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	admin, _, _, _ := s.Login(ctx, "admin", "correct horse", "x")
	by := Actor{UserID: admin.ID, Username: "admin", Roles: admin.Roles}
	cases := []struct {
		in    UserInput
		field string
	}{
		{UserInput{Username: ptr("<script>"), Password: ptr("longenough"), Roles: &[]Role{RoleTester}}, "username"},
		{UserInput{Username: ptr("tess"), Password: ptr("short"), Roles: &[]Role{RoleTester}}, "password"},
		{UserInput{Username: ptr("tess"), Password: ptr("longenough"), Roles: &[]Role{"root"}}, "roles[0]"},
		{UserInput{Username: ptr("tess"), Password: ptr("longenough")}, "roles"},
		{UserInput{Username: ptr("admin"), Password: ptr("longenough"), Roles: &[]Role{RoleTester}}, "username"},
	}
	for _, c := range cases {
		_, err := s.CreateUser(ctx, by, c.in)
		if err == nil || apperr.FieldOf(err) != c.field {
			t.Errorf("CreateUser(%v) = %v, want error on %s", *c.in.Username, err, c.field)
		}
	}
	tess, err := s.CreateUser(ctx, by, UserInput{Username: ptr("tess"), Password: ptr("longenough"), Roles: &[]Role{RoleTester, RoleTester}})
	if err != nil || len(tess.Roles) != 1 {
		t.Fatalf("create tess: %+v %v", tess, err)
	}
	_, secret, _, err := s.Login(ctx, "tess", "longenough", "y")
	if err != nil {
		t.Fatal(err)
	}
	tok, tokSecret, err := s.CreateToken(ctx, Actor{UserID: tess.ID, Username: "tess"}, "ci", 0)
	if err != nil || tok.Prefix == "" {
		t.Fatal(err)
	}
	if a, err := s.TokenActor(ctx, tokSecret); err != nil || a.Username != "tess" || !a.ViaToken {
		t.Fatalf("token actor %+v %v", a, err)
	}
	if _, err := s.UpdateUser(ctx, by, tess.ID, UserInput{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionActor(ctx, secret); err == nil {
		t.Fatal("disabled user's session still works")
	}
	if _, err := s.TokenActor(ctx, tokSecret); err == nil {
		t.Fatal("disabled user's token still works")
	}
	if _, _, _, err := s.Login(ctx, "tess", "longenough", "y"); err == nil {
		t.Fatal("disabled user signed in")
	}
	if _, err := s.UpdateUser(ctx, by, admin.ID, UserInput{Roles: &[]Role{RoleTester}}); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("admin removed own admin role: %v", err)
	}
}

func TestExpiredToken(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	_, secret, err := s.CreateToken(ctx, Actor{UserID: 1, Username: "admin"}, "short-lived", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenActor(ctx, secret); err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Now().Add(49 * time.Hour) }
	if _, err := s.TokenActor(ctx, secret); err == nil {
		t.Fatal("expired token accepted")
	}
}
