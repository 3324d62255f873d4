package inventory

import (
	"context"
	"database/sql"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// First trust of a host key is an explicit admin act with the fingerprint
// shown: ScanHostKey reads the key the target presents now (without
// signing in) for the admin to check on the machine, and TrustHostKey pins
// it when the admin sends that fingerprint back, refusing if the target
// presents another key by then. A new address or port forgets the pin.

var fingerprintRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

// dialAddress is where a target's SSH server answers.
func (r record) dialAddress() string { return net.JoinHostPort(r.address, strconv.Itoa(r.port)) }

func (s *Service) present(ctx context.Context, by auth.Actor, ciID int64) (loaded, HostKeyScan, string, error) {
	l, err := s.load(ctx, s.db, ciID)
	if err != nil {
		return l, HostKeyScan{}, "", err
	}
	if l.rec.address == "" {
		return l, HostKeyScan{}, "", apperr.Conflict("address", "%s has no SSH address: set one first.", l.Name)
	}
	addr := l.rec.dialAddress()
	s.log.Info("read an ssh host key", "user", by.Username, "ci", ciID, "address", addr)
	k, err := s.readHostKey(ctx, addr)
	if err != nil {
		return l, HostKeyScan{}, "", apperr.Invalid("address", "Could not read the host key of %s: %v", addr, err)
	}
	scan := HostKeyScan{Address: addr, Type: k.Type, Fingerprint: k.Fingerprint, PinnedFingerprint: l.rec.fingerprint,
		Matches: l.rec.fingerprint != "" && l.rec.fingerprint == k.Fingerprint}
	return l, scan, k.AuthorizedKey, nil
}

// ScanHostKey reads the host key a target presents now.
func (s *Service) ScanHostKey(ctx context.Context, by auth.Actor, ciID int64) (HostKeyScan, error) {
	_, scan, _, err := s.present(ctx, by, ciID)
	return scan, err
}

// TrustHostKey pins the key the target presents, if it is the one whose
// fingerprint the admin was shown.
func (s *Service) TrustHostKey(ctx context.Context, by auth.Actor, ciID int64, in TrustRequest) (Target, error) {
	want := strings.TrimSpace(in.Fingerprint)
	if !fingerprintRE.MatchString(want) {
		return Target{}, apperr.Invalid("fingerprint", "Send the fingerprint you were shown (SHA256:… as Fetch host key answers it).")
	}
	was, scan, line, err := s.present(ctx, by, ciID)
	if err != nil {
		return Target{}, err
	}
	if scan.Fingerprint != want {
		return Target{}, apperr.Conflict("fingerprint", "%s now presents another host key (%s) than the one you were shown (%s): nothing was trusted. Fetch it again and check it on the machine.",
			scan.Address, scan.Fingerprint, want)
	}
	now := s.stamp()
	var after loaded
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.load(ctx, tx, ciID)
		if err != nil {
			return err
		}
		if cur.rec.dialAddress() != was.rec.dialAddress() {
			return apperr.Conflict("address", "%s's address changed to %s while its key was read: nothing was trusted. Fetch the key again.", cur.Name, cur.rec.dialAddress())
		}
		after = cur
		r := &after.rec
		r.hostKey, r.fingerprint, r.trustedBy, r.trustedAt = line, scan.Fingerprint, by.Username, store.FormatTime(now)
		r.updatedBy, r.updatedAt = by.Username, store.FormatTime(now)
		if err := save(ctx, tx, *r); err != nil {
			return err
		}
		after.refresh()
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "target.host-key.trust", Entity: "target",
			EntityID: events.ID(ciID),
			Before:   map[string]any{"address": scan.Address, "host_key_fingerprint": cur.rec.fingerprint},
			After:    map[string]any{"address": scan.Address, "host_key_fingerprint": scan.Fingerprint, "host_key": line}})
	})
	if err != nil {
		return Target{}, err
	}
	s.bus.Publish(events.TargetChanged, events.ID(ciID), after.Target)
	return after.Target, nil
}
