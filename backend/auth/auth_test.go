package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
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
	tok, tokSecret, err := s.CreateToken(ctx, Actor{UserID: tess.ID, Username: "tess"}, "ci", nil)
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
	_, secret, err := s.CreateToken(ctx, Actor{UserID: 1, Username: "admin"}, "short-lived", ptr(1))
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

// clock is a settable time for the service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func withClock(s *Service) *clock {
	c := &clock{t: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)}
	s.now = c.now
	return c
}
func retryAfter(err error) int {
	var rl *apperr.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfterSeconds
	}
	return 0
}

// Guesses at one address slow down that username there, and nowhere else.
func TestThrottleIsPerUsernameAndAddress(t *testing.T) {
	s := newService(t)
	withClock(s)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	for range 5 {
		if _, _, _, err := s.Login(ctx, "admin", "nope", "10.0.0.9"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess: %v", err)
		}
	}
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "10.0.0.9"); retryAfter(err) == 0 {
		t.Fatalf("the right password from the guessing address: %v, want a wait", err)
	}
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "10.0.0.10"); err != nil {
		t.Fatalf("the right password from another address: %v", err)
	}
	// An IPv6 host counts by its /64: hopping addresses inside it gains nothing.
	for i := range 5 {
		s.Login(ctx, "admin", "nope", fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	if _, _, _, err := s.Login(ctx, "admin", "nope", "2001:db8:1:2::99"); retryAfter(err) == 0 {
		t.Fatalf("a new address in the same /64: %v, want a wait", err)
	}
}

// After the free failures each one doubles the wait, up to a cap; a
// success clears it.
func TestThrottleDelayDoublesUpToCap(t *testing.T) {
	s := newService(t)
	c := withClock(s)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	for range 4 {
		s.Login(ctx, "admin", "nope", "10.0.0.9")
	}
	var waits []int
	for range 12 {
		s.Login(ctx, "admin", "nope", "10.0.0.9")
		_, _, _, err := s.Login(ctx, "admin", "nope", "10.0.0.9")
		w := retryAfter(err)
		waits = append(waits, w)
		c.advance(time.Duration(w) * time.Second)
	}
	want := []int{2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "10.0.0.9"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	s.Login(ctx, "admin", "nope", "10.0.0.9")
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "10.0.0.9"); err != nil {
		t.Fatalf("one failure after a success: %v", err)
	}
}

// Failures of many usernames at one address (typos behind a NAT) do not
// stop the others there; only a spray up to the address cap does, for the
// rest of its window.
func TestThrottleAddressCapOnlyStopsSpraying(t *testing.T) {
	s := newService(t)
	c := withClock(s)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	for i := range 50 {
		s.Login(ctx, fmt.Sprintf("user%d", i), "nope", "192.0.2.1")
	}
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("after 50 failures of others at the address: %v", err)
	}
	for i := 50; i < defaultThrottle.AddrMax; i++ {
		s.Login(ctx, fmt.Sprintf("user%d", i), "nope", "192.0.2.1")
	}
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "192.0.2.1"); retryAfter(err) == 0 {
		t.Fatalf("after %d failures at the address: %v, want a wait", defaultThrottle.AddrMax, err)
	}
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "192.0.2.2"); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	c.advance(defaultThrottle.AddrWindow)
	if _, _, _, err := s.Login(ctx, "admin", "correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// Failed attempts are audited (username as typed, address, never the
// password) up to a budget; what the budget leaves out is counted on the
// next entry.
func TestFailedLoginsAuditedWithinBudget(t *testing.T) {
	s := newService(t)
	c := withClock(s)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	burst := int(defaultThrottle.AuditBurst)
	for i := range burst + 10 {
		s.Login(ctx, " Mallory ", "hunter2-secret", fmt.Sprintf("198.51.100.%d", i))
	}
	c.advance(time.Second)
	s.Login(ctx, "mallory", "hunter2-secret", "203.0.113.1")
	entries, total, err := audit.List(ctx, s.db, audit.Filter{Actor: "mallory", Admin: true, Limit: 200})
	if err != nil || total != burst+1 {
		t.Fatalf("%d failure entries (%v), want %d", total, err, burst+1)
	}
	var last struct {
		Username   string `json:"username"`
		IP         string `json:"ip"`
		Suppressed int    `json:"suppressed_before"`
	}
	json.Unmarshal(entries[0].After, &last)
	if entries[0].Action != "session.login-failed" || last.Username != "mallory" || last.IP != "203.0.113.1" || last.Suppressed != 10 {
		t.Fatalf("newest entry %s %+v", entries[0].Action, last)
	}
	for _, e := range entries {
		if strings.Contains(string(e.After), "hunter2") {
			t.Fatal("a password in the audit trail")
		}
	}
}

// Guesses sent all at once are counted as they are let in, not after their
// password check: they cannot all slip past the count together.
func TestThrottleHoldsForGuessesSentTogether(t *testing.T) {
	s := newService(t)
	withClock(s)
	ctx := context.Background()
	s.EnsureAdmin(ctx, "correct horse")
	errs := make(chan error, 40)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			_, _, _, err := s.Login(ctx, "admin", "nope", "10.0.0.9")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	checked := 0
	for err := range errs {
		if errors.Is(err, ErrBadCredentials) {
			checked++
		}
	}
	if checked != 5 {
		t.Fatalf("%d of 40 guesses sent together had their password checked, want 5", checked)
	}
}
