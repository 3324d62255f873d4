// Package inventory is the target inventory a rollout pushes a package to:
// per configuration item, how to reach it (SSH address, port, user, the
// credential sealed at rest, sudo, the pinned host key) and its tags, for
// grouping. It owns the targets and target_tags tables; the CIs themselves
// stay the release service's (it reads the cis table, and creates CIs only
// through that service's CIs port).
package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/secrets"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

// CIs is what the inventory needs of the CI catalog's owner
// (release.Service): it never writes the cis table itself.
type CIs interface {
	CIsNamed(ctx context.Context, names []string) (map[string]release.CI, error)
	ValidateCI(by auth.Actor, in release.CIInput) error
	CreateCIs(ctx context.Context, by auth.Actor, ins []release.CIInput) ([]release.CI, error)
}

// Config is what the service is built from.
type Config struct {
	DB  *store.DB
	Bus events.Publisher
	// Box seals the credentials (the server's secret.key).
	Box *secrets.Box
	CIs CIs
	Log *slog.Logger
}

// Service manages the target inventory.
type Service struct {
	db  *store.DB
	bus events.Publisher
	box *secrets.Box
	cis CIs
	log *slog.Logger
	now func() time.Time
	// readHostKey reads the SSH host key at host:port without signing in.
	readHostKey func(ctx context.Context, address string) (labs.HostKey, error)
}

// NewService returns the inventory service.
func NewService(c Config) *Service {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{db: c.DB, bus: c.Bus, box: c.Box, cis: c.CIs, log: c.Log, now: time.Now,
		readHostKey: func(ctx context.Context, address string) (labs.HostKey, error) {
			return labs.ReadHostKey(ctx, address, "")
		}}
}

// kindExpr derives a target's kind in SQL, as Kind says.
const kindExpr = `CASE WHEN c.libvirt_domain <> '' THEN 'vm' WHEN coalesce(t.address, '') <> '' THEN 'ssh' ELSE 'manual' END`

const targetFrom = ` FROM cis c LEFT JOIN targets t ON t.ci_id = c.id`

const targetColumns = `c.id, c.name, c.kind, c.environment, c.criticality, c.libvirt_host, c.libvirt_domain,
	t.ci_id IS NOT NULL, coalesce(t.address, ''), coalesce(t.port, 22), coalesce(t.ssh_user, ''), coalesce(t.auth_kind, 'none'),
	t.credential, coalesce(t.sudo, 0), t.sudo_password, coalesce(t.host_key, ''), coalesce(t.host_key_fingerprint, ''),
	coalesce(t.trusted_by, ''), coalesce(t.trusted_at, ''), coalesce(t.updated_by, ''), coalesce(t.updated_at, ''),
	coalesce((SELECT group_concat(g.tag, ' ') FROM target_tags g WHERE g.ci_id = c.id), '')`

// loaded is a target as read: its answer and its record.
type loaded struct {
	Target
	rec record
}

func scanTarget(sc interface{ Scan(...any) error }) (loaded, error) {
	var l loaded
	var tags string
	r := &l.rec
	t := &l.Target
	if err := sc.Scan(&t.CIID, &t.Name, &t.CIKind, &t.Environment, &t.Criticality, &t.LibvirtHost, &t.LibvirtDomain,
		&r.stored, &r.address, &r.port, &r.user, &r.authKind, &r.credential, &r.sudo, &r.sudoPassword, &r.hostKey, &r.fingerprint,
		&r.trustedBy, &r.trustedAt, &r.updatedBy, &r.updatedAt, &tags); err != nil {
		return l, err
	}
	r.ciID = t.CIID
	t.Tags = strings.Fields(tags)
	slices.Sort(t.Tags)
	l.refresh()
	return l, nil
}

// refresh recomputes the answer from the record.
func (l *loaded) refresh() {
	l.rec.view(&l.Target)
	switch {
	case l.LibvirtDomain != "":
		l.Kind = KindVM
	case l.rec.address != "":
		l.Kind = KindSSH
	default:
		l.Kind = KindManual
	}
}

func (s *Service) load(ctx context.Context, q store.Querier, ciID int64) (loaded, error) {
	l, err := scanTarget(q.QueryRowContext(ctx, `SELECT `+targetColumns+targetFrom+` WHERE c.id = ?`, ciID))
	if err == sql.ErrNoRows {
		return l, apperr.NotFound("configuration item", ciID)
	}
	return l, err
}

// Get returns one CI as a target.
func (s *Service) Get(ctx context.Context, ciID int64) (Target, error) {
	l, err := s.load(ctx, s.db, ciID)
	return l.Target, err
}

// where builds the conditions of a selection.
func (sel Selector) where() (store.Where, error) {
	var w store.Where
	if len(sel.CIIDs) > 0 {
		w.Add(`c.id IN (?`+strings.Repeat(", ?", len(sel.CIIDs)-1)+`)`, anys(sel.CIIDs)...)
	}
	if len(sel.Tags) > 0 {
		tags, err := normTags(sel.Tags, "tag")
		if err != nil {
			return w, err
		}
		w.Add(`c.id IN (SELECT ci_id FROM target_tags WHERE tag IN (?`+strings.Repeat(", ?", len(tags)-1)+`) GROUP BY ci_id HAVING count(*) = ?)`,
			append(anys(tags), len(tags))...)
	}
	w.Equal("c.environment", strings.TrimSpace(sel.Environment))
	if len(sel.Kinds) > 0 {
		for _, k := range sel.Kinds {
			if !slices.Contains(Kind("").EnumValues(), string(k)) {
				return w, apperr.Invalid("kind", "Kind must be vm, ssh or manual, not %q.", k)
			}
		}
		w.Add(kindExpr+` IN (?`+strings.Repeat(", ?", len(sel.Kinds)-1)+`)`, anys(sel.Kinds)...)
	}
	return w, nil
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// Select returns the targets a plan names, by name (then id): those of
// the CIs given (each must exist), carrying every tag given, in the
// environment given, of the kinds given.
func (s *Service) Select(ctx context.Context, sel Selector) ([]Target, error) {
	if len(sel.CIIDs) > 0 {
		ids := slices.Compact(slices.Sorted(slices.Values(sel.CIIDs)))
		rows, err := s.db.QueryContext(ctx, `SELECT id FROM cis WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, anys(ids)...)
		if err != nil {
			return nil, err
		}
		found := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			found[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !found[id] {
				return nil, &apperr.NotFoundError{Entity: "configuration item", ID: id, Field: "ci_ids"}
			}
		}
		sel.CIIDs = ids
	}
	w, err := sel.where()
	if err != nil {
		return nil, err
	}
	return s.query(ctx, w, ` ORDER BY c.name, c.id`)
}

func (s *Service) query(ctx context.Context, w store.Where, tail string, args ...any) ([]Target, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+targetColumns+targetFrom+w.SQL()+tail, append(w.Args(), args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Target{}
	for rows.Next() {
		l, err := scanTarget(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Target)
	}
	return out, rows.Err()
}

// List is Select with text search and pagination.
func (s *Service) List(ctx context.Context, f Filter) ([]Target, int, error) {
	w, err := f.where()
	if err != nil {
		return nil, 0, err
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + store.EscapeLike(q) + "%"
		w.Add(`(c.name LIKE ? ESCAPE '\' OR coalesce(t.address, '') LIKE ? ESCAPE '\' OR c.description LIKE ? ESCAPE '\')`, like, like, like)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*)`+targetFrom+w.SQL(), w.Args()...).Scan(&total); err != nil {
		return nil, 0, err
	}
	items, err := s.query(ctx, w, ` ORDER BY c.name, c.id LIMIT ? OFFSET ?`, f.Limit, f.Offset)
	return items, total, err
}

// save writes r (inserting its row when it has none).
func save(ctx context.Context, tx *sql.Tx, r record) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO targets (ci_id, address, port, ssh_user, auth_kind, credential, sudo, sudo_password,
			host_key, host_key_fingerprint, trusted_by, trusted_at, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ci_id) DO UPDATE SET address = excluded.address, port = excluded.port, ssh_user = excluded.ssh_user,
			auth_kind = excluded.auth_kind, credential = excluded.credential, sudo = excluded.sudo, sudo_password = excluded.sudo_password,
			host_key = excluded.host_key, host_key_fingerprint = excluded.host_key_fingerprint, trusted_by = excluded.trusted_by,
			trusted_at = excluded.trusted_at, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		r.ciID, r.address, r.port, r.user, string(r.authKind), r.credential, r.sudo, r.sudoPassword,
		r.hostKey, r.fingerprint, r.trustedBy, r.trustedAt, r.updatedBy, r.updatedAt)
	return err
}

// audited is a target in the audit trail: never a secret, only what
// happened to the secrets.
type audited struct {
	Target
	Secrets *changes `json:"secrets,omitempty"`
}

func auditView(l loaded, ch *changes) any {
	if ch != nil && *ch == (changes{}) {
		ch = nil
	}
	return audited{Target: l.Target, Secrets: ch}
}

// before is the audit's before-state: nothing when there was no record.
func before(l loaded) any {
	if !l.rec.stored {
		return nil
	}
	return auditView(l, nil)
}

// Put changes how a target is reached (admins: the API's roles). A new
// address or port forgets the pinned host key.
func (s *Service) Put(ctx context.Context, by auth.Actor, ciID int64, in TargetInput) (Target, error) {
	now := s.stamp()
	var after loaded
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		was, err := s.load(ctx, tx, ciID)
		if err != nil {
			return err
		}
		after = was
		ch, err := after.rec.apply(in, s.box)
		if err != nil {
			return err
		}
		after.rec.updatedBy, after.rec.updatedAt = by.Username, store.FormatTime(now)
		if err := save(ctx, tx, after.rec); err != nil {
			return err
		}
		after.rec.stored = true
		after.refresh()
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "target.update", Entity: "target",
			EntityID: events.ID(ciID), Before: before(was), After: auditView(after, &ch)})
	})
	if err != nil {
		return Target{}, err
	}
	s.bus.Publish(events.TargetChanged, events.ID(ciID), after.Target)
	return after.Target, nil
}

// Delete forgets how a target is reached: address, credential, sudo and
// pinned key (its tags stay). Nothing to forget is not an error.
func (s *Service) Delete(ctx context.Context, by auth.Actor, ciID int64) error {
	now := s.stamp()
	var after loaded
	deleted := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		was, err := s.load(ctx, tx, ciID)
		if err != nil || !was.rec.stored {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM targets WHERE ci_id = ?`, ciID); err != nil {
			return err
		}
		deleted = true
		after = was
		after.rec = newRecord(ciID)
		after.refresh()
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "target.delete", Entity: "target",
			EntityID: events.ID(ciID), Before: before(was)})
	})
	if err == nil && deleted {
		s.bus.Publish(events.TargetChanged, events.ID(ciID), after.Target)
	}
	return err
}

// PutTags replaces a CI's tags (lower-cased, sorted, without duplicates).
func (s *Service) PutTags(ctx context.Context, by auth.Actor, ciID int64, in TagsInput) (Target, error) {
	if in.Tags == nil {
		return Target{}, apperr.Invalid("tags", "Give the tags (a list; [] removes them all).")
	}
	tags, err := normTags(in.Tags, "tags")
	if err != nil {
		return Target{}, err
	}
	now := s.stamp()
	var after loaded
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		was, err := s.load(ctx, tx, ciID)
		if err != nil {
			return err
		}
		if err := writeTags(ctx, tx, ciID, tags); err != nil {
			return err
		}
		after = was
		after.Tags = tags
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "target.tags", Entity: "target",
			EntityID: events.ID(ciID), Before: map[string]any{"tags": was.Tags}, After: map[string]any{"tags": tags}})
	})
	if err != nil {
		return Target{}, err
	}
	s.bus.Publish(events.TargetChanged, events.ID(ciID), after.Target)
	return after.Target, nil
}

func writeTags(ctx context.Context, tx *sql.Tx, ciID int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM target_tags WHERE ci_id = ?`, ciID); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO target_tags (ci_id, tag) VALUES (?, ?)`, ciID, t); err != nil {
			return err
		}
	}
	return nil
}

// Access returns what an executor needs to reach an SSH target, its
// secrets opened. It is for the rollout engine inside the server: no
// route answers it.
func (s *Service) Access(ctx context.Context, ciID int64) (Access, error) {
	l, err := s.load(ctx, s.db, ciID)
	if err != nil {
		return Access{}, err
	}
	r := l.rec
	a := Access{CIID: ciID, Name: l.Name, Address: r.address, Port: r.port, User: r.user, AuthKind: r.authKind, Sudo: r.sudo,
		HostKey: r.hostKey, HostKeyFingerprint: r.fingerprint}
	if r.credential != nil {
		c, err := s.box.Open(r.credential, sealContext(ciID, "credential"))
		if err != nil {
			return Access{}, fmt.Errorf("credential of %s: %w", l.Name, err)
		}
		if r.authKind == AuthPrivateKey {
			a.PrivateKey = string(c)
		} else {
			a.Password = string(c)
		}
	}
	if r.sudoPassword != nil {
		p, err := s.box.Open(r.sudoPassword, sealContext(ciID, "sudo_password"))
		if err != nil {
			return Access{}, fmt.Errorf("sudo password of %s: %w", l.Name, err)
		}
		a.SudoPassword = string(p)
	}
	return a, nil
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }
