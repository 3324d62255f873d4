package settings

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

func TestSettingsDefaultsValidationAndAudit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewService(db, events.NewBus())
	got, err := s.Get(ctx)
	if err != nil || got.TokenMaxDays != 90 || got.AllowNonExpiringTokens || len(got.ImportNetworks) != 0 {
		t.Fatalf("defaults = %+v, %v", got, err)
	}
	admin := auth.Actor{Username: "adam", Roles: []auth.Role{auth.RoleAdmin}}
	for field, in := range map[string]Settings{
		"token_max_days":  {TokenMaxDays: 0},
		"import_networks": {TokenMaxDays: 30, ImportNetworks: []string{"10.0.0.0/8", "not a network"}},
		"trusted_proxies": {TokenMaxDays: 30, TrustedProxies: []string{"300.1.1.1"}},
	} {
		if _, err := s.Put(ctx, admin, in); apperr.FieldOf(err) != field {
			t.Errorf("%+v: error %v, want one naming %s", in, err, field)
		}
	}
	if got, _ := s.Get(ctx); got.TokenMaxDays != 90 {
		t.Fatalf("a refused change was kept: %+v", got)
	}
	put, err := s.Put(ctx, admin, Settings{TokenMaxDays: 30, ImportNetworks: []string{" 10.1.2.3/8 ", "192.168.1.20", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.0/8", "192.168.1.20/32"}; len(put.ImportNetworks) != 2 || put.ImportNetworks[0] != want[0] || put.ImportNetworks[1] != want[1] {
		t.Fatalf("networks kept as %v, want %v", put.ImportNetworks, want)
	}
	if !Contains(put.ImportNetworks, netip.MustParseAddr("10.200.0.1")) || Contains(put.ImportNetworks, netip.MustParseAddr("192.168.1.21")) {
		t.Fatalf("Contains is wrong for %v", put.ImportNetworks)
	}
	// A restart reads what was stored.
	again, err := NewService(db, events.NewBus()).Get(ctx)
	if err != nil || again.TokenMaxDays != 30 || len(again.ImportNetworks) != 2 {
		t.Fatalf("after a restart: %+v, %v", again, err)
	}
	entries, _, err := audit.List(ctx, db, audit.Filter{Entity: "settings", Admin: true, Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].Actor != "adam" {
		t.Fatalf("audit = %+v, %v; want one entry by adam", entries, err)
	}
}
