// Package settings keeps what admins set while Shakedown runs (as opposed
// to the flags it starts with): API token lifetimes, where disk imports may
// connect, which reverse proxies are trusted. One row, validated as a
// whole, audited with before and after.
package settings

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// Settings are the run-time settings.
type Settings struct {
	// TokenMaxDays bounds the lifetime of a new API token, and is the
	// lifetime of one created without an expiry.
	TokenMaxDays int `json:"token_max_days"`
	// AllowNonExpiringTokens lets a token be created with expires_in_days 0
	// (never expires).
	AllowNonExpiringTokens bool `json:"allow_non_expiring_tokens"`
	// ImportNetworks are the networks (CIDR) a disk import over SSH may
	// connect to; empty: any.
	ImportNetworks []string `json:"import_networks"`
	// TrustedProxies are the reverse proxies (CIDR) whose X-Forwarded-For
	// and X-Forwarded-Proto headers are believed.
	TrustedProxies []string `json:"trusted_proxies"`
}

// Defaults are the settings of a new installation.
func Defaults() Settings {
	return Settings{TokenMaxDays: auth.DefaultTokenPolicy.MaxDays, ImportNetworks: []string{}, TrustedProxies: []string{}}
}

// TokenPolicy is the token lifetime policy in force, for auth (which reads
// it through auth.WithTokenPolicy: it cannot import this package).
func (s *Service) TokenPolicy(ctx context.Context) (auth.TokenPolicy, error) {
	st, err := s.Get(ctx)
	return auth.TokenPolicy{MaxDays: st.TokenMaxDays, AllowNonExpiring: st.AllowNonExpiringTokens}, err
}

// Changed is the event published when an admin changes the settings.
const Changed = events.SettingsChanged

// Service reads and changes the settings.
type Service struct {
	db  *store.DB
	bus events.Publisher
	now func() time.Time

	mu  sync.RWMutex
	cur *Settings // nil until first read
}

// NewService returns the settings service.
func NewService(db *store.DB, bus events.Publisher) *Service {
	return &Service{db: db, bus: bus, now: time.Now}
}

// Get returns the settings in force.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	s.mu.RLock()
	cur := s.cur
	s.mu.RUnlock()
	if cur != nil {
		return cur.clone(), nil
	}
	st, err := read(ctx, s.db)
	if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	s.cur = &st
	s.mu.Unlock()
	return st.clone(), nil
}

func read(ctx context.Context, q store.Querier) (Settings, error) {
	st := Defaults()
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM admin_settings WHERE id = 1`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return st, fmt.Errorf("settings: stored body: %w", err)
	}
	return st, nil
}

// Put replaces the settings with in, after checking every field.
func (s *Service) Put(ctx context.Context, by auth.Actor, in Settings) (Settings, error) {
	if err := in.validate(); err != nil {
		return Settings{}, err
	}
	body, _ := json.Marshal(in)
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := read(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO admin_settings (id, body, updated_by, updated_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			string(body), by.Username, store.FormatTime(now)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "settings.update", Entity: "settings", EntityID: "1",
			Before: before, After: in})
	})
	if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	c := in.clone()
	s.cur = &c
	s.mu.Unlock()
	s.bus.Publish(Changed, "1", in)
	return in, nil
}

func (st Settings) clone() Settings {
	st.ImportNetworks = append([]string{}, st.ImportNetworks...)
	st.TrustedProxies = append([]string{}, st.TrustedProxies...)
	return st
}

func (st *Settings) validate() error {
	if st.TokenMaxDays < 1 || st.TokenMaxDays > 3650 {
		return apperr.Invalid("token_max_days", "The longest token lifetime is between 1 and 3650 days.")
	}
	var err error
	if st.ImportNetworks, err = prefixes("import_networks", st.ImportNetworks); err != nil {
		return err
	}
	st.TrustedProxies, err = prefixes("trusted_proxies", st.TrustedProxies)
	return err
}

// prefixes checks and normalises a list of networks: CIDRs, or single
// addresses (taken as /32 or /128).
func prefixes(field string, in []string) ([]string, error) {
	if len(in) > 100 {
		return nil, apperr.Invalid(field, "At most 100 networks.")
	}
	out := []string{}
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := ParsePrefix(v)
		if err != nil {
			return nil, apperr.Invalid(field, "%q is not a network: write it as 10.0.0.0/8, 192.168.1.20 or fd00::/8.", v)
		}
		out = append(out, p.String())
	}
	return out, nil
}

// ParsePrefix reads a CIDR or a single address.
func ParsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Contains reports whether addr is in one of the networks (nets as the
// settings hold them).
func Contains(nets []string, addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, n := range nets {
		if p, err := ParsePrefix(n); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}
