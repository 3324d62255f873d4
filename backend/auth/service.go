package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// SessionTTL is how long a browser session lasts after login.
const SessionTTL = 24 * time.Hour

// TokenPrefix starts every personal API token, so that a leaked one is
// recognisable in logs and secret scanners.
const TokenPrefix = "sdk_"

// BcryptCost is the password hashing cost; tests lower it.
var BcryptCost = bcrypt.DefaultCost

// User is an account.
type User struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Roles       []Role    `json:"roles"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// Token is a personal API token as listed (never its secret).
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// TokenPolicy bounds the lifetime of new API tokens. The admin settings
// hold it; auth reads it through the function given to WithTokenPolicy.
type TokenPolicy struct {
	// MaxDays is the longest lifetime, and the lifetime of a token created
	// without one.
	MaxDays int
	// AllowNonExpiring lets expires_in_days 0 mean "never expires".
	AllowNonExpiring bool
}

// DefaultTokenPolicy holds until an admin changes the settings.
var DefaultTokenPolicy = TokenPolicy{MaxDays: 90}

// Service manages accounts and credentials.
type Service struct {
	db          *store.DB
	bus         events.Publisher
	now         func() time.Time
	throttle    *throttle
	tokenPolicy func(context.Context) (TokenPolicy, error)

	// cache maps a credential hash to its actor for a few seconds, so that
	// API reads do not hit the database for every request. Any write to
	// users, sessions or tokens empties it.
	cacheMu sync.RWMutex
	cache   map[string]cachedActor
}

type cachedActor struct {
	actor   Actor
	csrf    string
	until   time.Time
	expires time.Time
}

const actorCacheTTL = 5 * time.Second

// Option configures a Service.
type Option func(*Service)

// WithTokenPolicy makes the service read the token policy from policy
// (the run-time settings) whenever a token is created; without it,
// DefaultTokenPolicy holds.
func WithTokenPolicy(policy func(context.Context) (TokenPolicy, error)) Option {
	return func(s *Service) { s.tokenPolicy = policy }
}

// NewService returns the auth service.
func NewService(db *store.DB, bus events.Publisher, opts ...Option) *Service {
	s := &Service{db: db, bus: bus, now: time.Now, throttle: newThrottle(defaultThrottle), cache: map[string]cachedActor{},
		tokenPolicy: func(context.Context) (TokenPolicy, error) { return DefaultTokenPolicy, nil }}
	for _, o := range opts {
		o(s)
	}
	return s
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// UserInput creates or changes a user; nil fields are left alone.
type UserInput struct {
	Username    *string `json:"username"`
	DisplayName *string `json:"display_name"`
	Password    *string `json:"password"`
	Roles       *[]Role `json:"roles"`
	Disabled    *bool   `json:"disabled"`
}

func validatePassword(p string) error {
	if utf8.RuneCountInString(p) < 8 {
		return apperr.Invalid("password", "Password must be at least 8 characters long.")
	}
	if len(p) > 72 {
		return apperr.Invalid("password", "Password must be at most 72 bytes long.")
	}
	return nil
}

func validateRoles(roles []Role) ([]Role, error) {
	if len(roles) == 0 {
		return nil, apperr.Invalid("roles", "A user needs at least one role: tester, manager or admin.")
	}
	out := []Role{}
	for i, r := range roles {
		if !ValidRole(r) {
			return nil, apperr.Invalid(fmt.Sprintf("roles[%d]", i), "Unknown role %q: use tester, manager or admin.", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Role) int { return slices.Index(AllRoles, a) - slices.Index(AllRoles, b) })
	return out, nil
}

func validateDisplayName(s string) error {
	if utf8.RuneCountInString(s) > 100 {
		return apperr.Invalid("display_name", "Display name must be at most 100 characters.")
	}
	return nil
}

// CreateUser adds an account.
func (s *Service) CreateUser(ctx context.Context, by Actor, in UserInput) (User, error) {
	if in.Username == nil || *in.Username == "" {
		return User{}, apperr.Invalid("username", "Username is required.")
	}
	name := strings.ToLower(strings.TrimSpace(*in.Username))
	if !usernameRE.MatchString(name) {
		return User{}, apperr.Invalid("username", "Username must be 2–32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.")
	}
	if in.Password == nil {
		return User{}, apperr.Invalid("password", "Password is required.")
	}
	if err := validatePassword(*in.Password); err != nil {
		return User{}, err
	}
	var roles []Role
	if in.Roles != nil {
		var err error
		if roles, err = validateRoles(*in.Roles); err != nil {
			return User{}, err
		}
	} else {
		return User{}, apperr.Invalid("roles", "A user needs at least one role: tester, manager or admin.")
	}
	display := name
	if in.DisplayName != nil && strings.TrimSpace(*in.DisplayName) != "" {
		display = strings.TrimSpace(*in.DisplayName)
	}
	if err := validateDisplayName(display); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(*in.Password), BcryptCost)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u := User{Username: name, DisplayName: display, Roles: roles, CreatedAt: now.Truncate(time.Millisecond)}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			name, display, string(hash), store.FormatTime(now))
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("username", "A user named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		u.ID, _ = res.LastInsertId()
		if err := setRoles(ctx, tx, u.ID, roles); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "user.create",
			Entity: "user", EntityID: events.ID(u.ID), After: u})
	})
	if err != nil {
		return User{}, err
	}
	s.flushCache()
	s.bus.Publish(events.UserChanged, events.ID(u.ID), u)
	return u, nil
}

func setRoles(ctx context.Context, tx *sql.Tx, userID int64, roles []Role) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?)`, userID, string(r)); err != nil {
			return err
		}
	}
	return nil
}

// UpdateUser changes an account. An admin cannot remove their own admin
// role or disable themselves, so that the last door is never locked.
func (s *Service) UpdateUser(ctx context.Context, by Actor, id int64, in UserInput) (User, error) {
	if in.Username != nil {
		return User{}, apperr.Invalid("username", "A username cannot be changed; create a new user instead.")
	}
	var hash []byte
	if in.Password != nil {
		if err := validatePassword(*in.Password); err != nil {
			return User{}, err
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*in.Password), BcryptCost); err != nil {
			return User{}, err
		}
	}
	var roles []Role
	if in.Roles != nil {
		var err error
		if roles, err = validateRoles(*in.Roles); err != nil {
			return User{}, err
		}
		if id == by.UserID && !slices.Contains(roles, RoleAdmin) {
			return User{}, apperr.Conflict("roles", "You cannot remove your own admin role; ask another admin.")
		}
	}
	if in.Disabled != nil && *in.Disabled && id == by.UserID {
		return User{}, apperr.Conflict("disabled", "You cannot disable your own account.")
	}
	var after User
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getUser(ctx, tx, id)
		if err != nil {
			return err
		}
		after = before
		if in.DisplayName != nil {
			d := strings.TrimSpace(*in.DisplayName)
			if d == "" {
				d = before.Username
			}
			if err := validateDisplayName(d); err != nil {
				return err
			}
			after.DisplayName = d
		}
		if in.Disabled != nil {
			after.Disabled = *in.Disabled
		}
		if roles != nil {
			after.Roles = roles
			if err := setRoles(ctx, tx, id, roles); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = ?, disabled = ? WHERE id = ?`,
			after.DisplayName, after.Disabled, id); err != nil {
			return err
		}
		if hash != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(hash), id); err != nil {
				return err
			}
		}
		action := "user.update"
		if hash != nil {
			action = "user.password"
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: action,
			Entity: "user", EntityID: events.ID(id), Before: before, After: after}); err != nil {
			return err
		}
		if !after.Disabled && hash == nil {
			return nil
		}
		// A disabled account or a new password ends every open session and
		// revokes every API token: whoever held them no longer may.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		reason := "password reset"
		if after.Disabled {
			reason = "account disabled"
		}
		_, err = revokeTokens(ctx, tx, now, by.Username, id, reason)
		return err
	})
	if err != nil {
		return User{}, err
	}
	s.flushCache()
	s.bus.Publish(events.UserChanged, events.ID(id), after)
	return after, nil
}

func getUser(ctx context.Context, q store.Querier, id int64) (User, error) {
	users, err := queryUsers(ctx, q, `WHERE u.id = ?`, id)
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		return User{}, apperr.NotFound("user", id)
	}
	return users[0], nil
}

// GetUser returns one account.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) { return getUser(ctx, s.db, id) }

// ListUsers returns every account by username.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	return queryUsers(ctx, s.db, ``)
}

func queryUsers(ctx context.Context, q store.Querier, where string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.disabled, u.created_at,
		coalesce((SELECT group_concat(role) FROM user_roles r WHERE r.user_id = u.id), '')
		FROM users u `+where+` ORDER BY u.username`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		var u User
		var created, roles string
		if err := rows.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Disabled, &created, &roles); err != nil {
			return nil, err
		}
		u.CreatedAt, _ = store.ParseTime(created)
		u.Roles = parseRoles(roles)
		out = append(out, u)
	}
	return out, rows.Err()
}

func parseRoles(s string) []Role {
	out := []Role{}
	for _, r := range AllRoles {
		if slices.Contains(strings.Split(s, ","), string(r)) {
			out = append(out, r)
		}
	}
	return out
}

// System is the actor for what Shakedown does by itself (first start,
// demo data, expiry).
var System = Actor{Username: "system", Roles: AllRoles}

// EnsureAdmin creates the user "admin" with every role if no user exists
// yet. It reports whether it created the account.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	name, display, roles := "admin", "Administrator", append([]Role{}, AllRoles...)
	_, err := s.CreateUser(ctx, System, UserInput{Username: &name, DisplayName: &display, Password: &password, Roles: &roles})
	return err == nil, err
}

// ErrBadCredentials is returned for a wrong username or password; it does
// not say which.
var ErrBadCredentials = &apperr.UnauthorizedError{Message: "Wrong username or password."}

// Login checks a password and opens a session. It returns the session
// secret for the cookie and the session's CSRF token. remoteIP is the
// client's address, which failed attempts are counted by (see throttle).
func (s *Service) Login(ctx context.Context, username, password, remoteIP string) (User, string, string, error) {
	// No username is longer than 32 characters; the clip bounds what a
	// made-up one costs the throttle's memory and the audit trail.
	username = clip(strings.ToLower(strings.TrimSpace(username)), 64)
	at, err := s.admit(username, remoteIP)
	if err != nil {
		return User{}, "", "", err
	}
	var id int64
	var hash string
	var disabled bool
	err = s.db.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM users WHERE username = ?`, username).
		Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check so that timing does not reveal which usernames exist.
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, "", "", s.failed(ctx, "session.login-failed", username, remoteIP, at, ErrBadCredentials)
	}
	if err != nil {
		return User{}, "", "", err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, "", "", s.failed(ctx, "session.login-failed", username, remoteIP, at, ErrBadCredentials)
	}
	s.throttle.succeed(username, remoteIP, s.now())
	if disabled {
		return User{}, "", "", &apperr.UnauthorizedError{Message: "This account is disabled; ask an admin to enable it."}
	}
	return s.openSession(ctx, id, map[string]string{"ip": remoteIP})
}

// admit lets an attempt of username from addr check a password, or refuses
// it while that pair (or the address) must wait. See throttle.
func (s *Service) admit(username, addr string) (attempt, error) {
	at, wait := s.throttle.begin(username, addr, s.now())
	if wait <= 0 {
		return at, nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	return at, &apperr.RateLimitedError{RetryAfterSeconds: secs,
		Message: fmt.Sprintf("Too many failed sign-in attempts. Try again in %d seconds.", secs)}
}

// failedAttempt is the audit record of a wrong password: the username as
// typed and the address, never the password.
type failedAttempt struct {
	Username string `json:"username"`
	IP       string `json:"ip"`
	// Failures of this username from this address in a row.
	Failures int `json:"failures"`
	// RetryAfterSeconds is the wait this failure imposed, if any.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
	// Suppressed counts the failures (of any user) left out of the trail
	// before this one, when they came faster than it takes them.
	Suppressed int `json:"suppressed_before,omitempty"`
}

// failed writes a wrong password of username at addr (an attempt admit
// counted already) to the audit trail as action, and returns err (or the
// error of that write). Attempts refused while throttled are not written:
// they checked nothing.
func (s *Service) failed(ctx context.Context, action, username, addr string, at attempt, err error) error {
	now := s.now()
	write, suppressed := s.throttle.auditFailure(now)
	if !write {
		return err
	}
	rec := failedAttempt{Username: username, IP: addr, Failures: at.failures, Suppressed: suppressed}
	if at.delay > 0 {
		rec.RetryAfterSeconds = int(math.Ceil(at.delay.Seconds()))
	}
	// Written even when the client hangs up at once.
	ctx = context.WithoutCancel(ctx)
	if werr := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Append(ctx, tx, now, audit.Record{Actor: username, Action: action, Entity: "session", After: rec})
	}); werr != nil {
		return werr
	}
	return err
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// PasswordChange says what changing one's password ended.
type PasswordChange struct {
	// SessionsEnded counts the user's other sessions, now signed out.
	SessionsEnded int `json:"sessions_ended"`
	// TokensRevoked counts the user's API tokens, all revoked.
	TokensRevoked int `json:"tokens_revoked"`
}

// ChangePassword sets the actor's password after checking the current one.
// It ends their other sessions (all but the one with secret session) and
// revokes their API tokens. A wrong current password counts as a failed
// sign-in of the actor from addr.
func (s *Service) ChangePassword(ctx context.Context, by Actor, session, current, next, addr string) (PasswordChange, error) {
	var out PasswordChange
	if by.ViaToken {
		return out, apperr.Forbidden("An API token cannot change a password; sign in to Shakedown and change it there.")
	}
	if current == "" {
		return out, apperr.Invalid("current_password", "Enter your current password.")
	}
	if err := validatePassword(next); err != nil {
		return out, apperr.Invalid("new_password", "%s", err.Error())
	}
	at, err := s.admit(by.Username, addr)
	if err != nil {
		return out, err
	}
	var hash string
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, by.UserID).Scan(&hash); err != nil {
		return out, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(current)) != nil {
		return out, s.failed(ctx, "user.password-failed", by.Username, addr, at,
			apperr.Invalid("current_password", "That is not your current password."))
	}
	s.throttle.succeed(by.Username, addr, s.now())
	if next == current {
		return out, apperr.Invalid("new_password", "The new password is the one you have; choose another.")
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(next), BcryptCost)
	if err != nil {
		return out, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(newHash), by.UserID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, by.UserID, hashSecret(session))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		out.SessionsEnded = int(n)
		if out.TokensRevoked, err = revokeTokens(ctx, tx, now, by.Username, by.UserID, "password changed"); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "user.password-change",
			Entity: "user", EntityID: events.ID(by.UserID), After: out})
	})
	if err != nil {
		return PasswordChange{}, err
	}
	s.flushCache()
	return out, nil
}

// openSession starts a session for a user and records the sign-in.
func (s *Service) openSession(ctx context.Context, id int64, how map[string]string) (User, string, string, error) {
	now := s.now()
	secret, csrf := randomToken(32), randomToken(24)
	var u User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, store.FormatTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			hashSecret(secret), id, csrf, store.FormatTime(now), store.FormatTime(now.Add(SessionTTL))); err != nil {
			return err
		}
		var err error
		if u, err = getUser(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: u.Username, Action: "session.login",
			Entity: "user", EntityID: events.ID(id), After: how})
	})
	if err != nil {
		return User{}, "", "", err
	}
	return u, secret, csrf, nil
}

// LocalSession signs in the desktop app's local user: the account named
// username, created with every role if it does not exist (with a random
// password nobody knows: it is only ever used from the desktop window).
// It returns the session secret and CSRF token.
func (s *Service) LocalSession(ctx context.Context, username string) (User, string, string, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM users WHERE username = ?`, username).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		display, password, roles := "Local user ("+username+")", RandomPassword(), append([]Role{}, AllRoles...)
		u, err := s.CreateUser(ctx, System, UserInput{Username: &username, DisplayName: &display, Password: &password, Roles: &roles})
		if err != nil {
			return User{}, "", "", err
		}
		id = u.ID
	} else if err != nil {
		return User{}, "", "", err
	}
	return s.openSession(ctx, id, map[string]string{"via": "desktop"})
}

// Logout ends the session with that secret.
func (s *Service) Logout(ctx context.Context, secret string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(secret))
		return err
	})
	s.flushCache()
	return err
}

// SessionActor resolves a session cookie to its actor and CSRF token.
func (s *Service) SessionActor(ctx context.Context, secret string) (Actor, string, error) {
	key := "s:" + hashSecret(secret)
	if a, csrf, ok := s.cached(key); ok {
		return a, csrf, nil
	}
	var a Actor
	var csrf, expires, roles string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.username, u.disabled, s.csrf_token, s.expires_at,
		coalesce((SELECT group_concat(role) FROM user_roles r WHERE r.user_id = u.id), '')
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, hashSecret(secret)).
		Scan(&a.UserID, &a.Username, &disabled, &csrf, &expires, &roles)
	if errors.Is(err, sql.ErrNoRows) {
		return Actor{}, "", &apperr.UnauthorizedError{Message: "Your session has ended; sign in again."}
	}
	if err != nil {
		return Actor{}, "", err
	}
	exp, _ := store.ParseTime(expires)
	if disabled || !s.now().Before(exp) {
		return Actor{}, "", &apperr.UnauthorizedError{Message: "Your session has ended; sign in again."}
	}
	a.Roles = parseRoles(roles)
	s.remember(key, a, csrf, exp)
	return a, csrf, nil
}

// CreateToken issues a personal API token for the actor; the secret is
// returned once and only its hash is kept. expiresInDays nil is the
// policy's longest lifetime; 0 is never, if the policy allows it.
func (s *Service) CreateToken(ctx context.Context, by Actor, name string, expiresInDays *int) (Token, string, error) {
	if by.ViaToken {
		// Otherwise a leaked short-lived token could mint a token that never expires.
		return Token{}, "", apperr.Forbidden("An API token cannot create tokens; sign in to Shakedown and create it there.")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Token{}, "", apperr.Invalid("name", "Give the token a name that says where it is used, e.g. \"CI pipeline\".")
	}
	if utf8.RuneCountInString(name) > 100 {
		return Token{}, "", apperr.Invalid("name", "Token name must be at most 100 characters.")
	}
	policy, err := s.tokenPolicy(ctx)
	if err != nil {
		return Token{}, "", err
	}
	days := policy.MaxDays
	if expiresInDays != nil {
		days = *expiresInDays
	}
	switch {
	case days == 0 && !policy.AllowNonExpiring:
		return Token{}, "", apperr.Invalid("expires_in_days", "Tokens must expire: give expires_in_days from 1 to %d (an admin can allow tokens that never expire).", policy.MaxDays)
	case days < 0 || days > policy.MaxDays:
		return Token{}, "", apperr.Invalid("expires_in_days", "expires_in_days must be from 1 to %d: tokens live at most %d days here.", policy.MaxDays, policy.MaxDays)
	}
	secret := TokenPrefix + randomToken(32)
	now := s.now().UTC().Truncate(time.Millisecond)
	t := Token{Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now}
	var expires any
	if days > 0 {
		e := now.Add(time.Duration(days) * 24 * time.Hour)
		t.ExpiresAt = &e
		expires = store.FormatTime(e)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			by.UserID, name, t.Prefix, hashSecret(secret), store.FormatTime(now), expires)
		if err != nil {
			return err
		}
		t.ID, _ = res.LastInsertId()
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "token.create",
			Entity: "token", EntityID: events.ID(t.ID), After: t})
	})
	return t, secret, err
}

// ListTokens returns the actor's own tokens, expired ones included.
func (s *Service) ListTokens(ctx context.Context, by Actor) ([]Token, error) {
	return listTokens(ctx, s.db, by.UserID)
}

func listTokens(ctx context.Context, q store.Querier, userID int64) ([]Token, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, prefix, created_at, expires_at, last_used_at
		FROM api_tokens WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var created string
		var expires, used sql.NullString
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &created, &expires, &used); err != nil {
			return nil, err
		}
		t.CreatedAt, _ = store.ParseTime(created)
		t.ExpiresAt = parseNullTime(expires)
		t.LastUsedAt = parseNullTime(used)
		out = append(out, t)
	}
	return out, rows.Err()
}

func parseNullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t, err := store.ParseTime(s.String)
	if err != nil {
		return nil
	}
	return &t
}

// DeleteToken revokes one of the actor's tokens.
func (s *Service) DeleteToken(ctx context.Context, by Actor, id int64) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, id, by.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("token", id)
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "token.delete",
			Entity: "token", EntityID: events.ID(id)})
	})
	if err == nil {
		s.flushCache()
	}
	return err
}

// RevokeAllTokens revokes every token of the actor and says how many.
func (s *Service) RevokeAllTokens(ctx context.Context, by Actor) (int, error) {
	var n int
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = revokeTokens(ctx, tx, s.now(), by.Username, by.UserID, "revoked by the owner")
		return err
	})
	if err == nil {
		s.flushCache()
	}
	return n, err
}

// revokedTokens is the audit record of token.revoke-all.
type revokedTokens struct {
	Reason string  `json:"reason"`
	Tokens []Token `json:"tokens"`
}

// revokeTokens deletes every API token of a user inside tx and audits it
// (one token.revoke-all entry, when there were any). It returns how many.
// The caller empties the actor cache after the commit.
func revokeTokens(ctx context.Context, tx *sql.Tx, now time.Time, by string, userID int64, reason string) (int, error) {
	tokens, err := listTokens(ctx, tx, userID)
	if err != nil || len(tokens) == 0 {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = ?`, userID); err != nil {
		return 0, err
	}
	return len(tokens), audit.Append(ctx, tx, now, audit.Record{Actor: by, Action: "token.revoke-all",
		Entity: "user", EntityID: events.ID(userID), After: revokedTokens{Reason: reason, Tokens: tokens}})
}

// TokenActor resolves a bearer token to its actor.
func (s *Service) TokenActor(ctx context.Context, secret string) (Actor, error) {
	unauth := &apperr.UnauthorizedError{Message: "The API token is not valid: it is unknown, revoked or expired."}
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Actor{}, unauth
	}
	key := "t:" + hashSecret(secret)
	if a, _, ok := s.cached(key); ok {
		return a, nil
	}
	var a Actor
	var tokenID int64
	var expires sql.NullString
	var disabled bool
	var roles string
	err := s.db.QueryRowContext(ctx, `SELECT t.id, u.id, u.username, u.disabled, t.expires_at,
		coalesce((SELECT group_concat(role) FROM user_roles r WHERE r.user_id = u.id), '')
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = ?`, hashSecret(secret)).
		Scan(&tokenID, &a.UserID, &a.Username, &disabled, &expires, &roles)
	if errors.Is(err, sql.ErrNoRows) {
		return Actor{}, unauth
	}
	if err != nil {
		return Actor{}, err
	}
	now := s.now()
	exp := parseNullTime(expires)
	if disabled || (exp != nil && !now.Before(*exp)) {
		return Actor{}, unauth
	}
	a.Roles = parseRoles(roles)
	a.ViaToken = true
	// last_used_at is a hint, written at most once per cache period.
	_ = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, store.FormatTime(now), tokenID)
		return err
	})
	until := now.Add(24 * time.Hour * 365 * 100)
	if exp != nil {
		until = *exp
	}
	s.remember(key, a, "", until)
	return a, nil
}

func (s *Service) cached(key string) (Actor, string, bool) {
	s.cacheMu.RLock()
	c, ok := s.cache[key]
	s.cacheMu.RUnlock()
	now := s.now()
	if !ok || now.After(c.until) || !now.Before(c.expires) {
		return Actor{}, "", false
	}
	return c.actor, c.csrf, true
}

func (s *Service) remember(key string, a Actor, csrf string, expires time.Time) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[key] = cachedActor{actor: a, csrf: csrf, until: s.now().Add(actorCacheTTL), expires: expires}
}

func (s *Service) flushCache() {
	s.cacheMu.Lock()
	clear(s.cache)
	s.cacheMu.Unlock()
}

var (
	dummyOnce sync.Once
	dummy     []byte
)

// dummyHash is a real hash of nothing in particular, compared against when
// the username is unknown.
func dummyHash() []byte {
	dummyOnce.Do(func() { dummy, _ = bcrypt.GenerateFromPassword([]byte(randomToken(16)), BcryptCost) })
	return dummy
}

// CSRFMatches compares a presented CSRF token in constant time.
func CSRFMatches(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// RandomPassword returns a fresh password for a first admin.
func RandomPassword() string { return randomToken(18) }

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
