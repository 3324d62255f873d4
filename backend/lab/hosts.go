package lab

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

// LocalHost is the name of the host on the machine Shakedown runs on.
const LocalHost = "local"

// Registry holds the libvirt hosts labs may be placed on, kept in the
// lab_hosts table so that admins can add remote hosts.
type Registry struct {
	db       *store.DB
	poolRoot string
	dial     Dialer

	mu    sync.RWMutex
	hosts map[string]Host
}

// NewRegistry loads the hosts, adding the local libvirtd (at localURI,
// normally qemu:///system) on first start. dial makes each host (RealHost
// unless a test gives fakes).
func NewRegistry(ctx context.Context, db *store.DB, localURI, poolRoot string, dial Dialer) (*Registry, error) {
	if localURI == "" {
		localURI = "qemu:///system"
	}
	if dial == nil {
		dial = RealHost
	}
	r := &Registry{db: db, poolRoot: poolRoot, dial: dial, hosts: map[string]Host{}}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lab_hosts (name, uri, pool_dir, created_at) SELECT ?, ?, ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM lab_hosts)`, LocalHost, localURI, poolRoot, store.FormatTime(time.Now()))
		return err
	})
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT name, uri, pool_dir FROM lab_hosts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c labs.HostConfig
		if err := rows.Scan(&c.Name, &c.URI, &c.PoolDir); err != nil {
			return nil, err
		}
		r.hosts[c.Name] = dial(c)
	}
	return r, rows.Err()
}

// Get returns a host by name.
func (r *Registry) Get(name string) (Host, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.hosts[name]
	if !ok {
		return nil, apperr.NotFound("libvirt host", name)
	}
	return h, nil
}

// List returns the hosts by name.
func (r *Registry) List() []Host {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Host, 0, len(r.hosts))
	for _, h := range r.hosts {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

var uriSchemes = []string{"qemu:///", "qemu+tcp://", "qemu+tls://", "qemu+ssh://", "qemu+libssh://", "qemu+libssh2://", "test:///"}

// Add registers a host (admins). It is connected to at once, so that a
// wrong URI is refused rather than stored.
func (r *Registry) Add(ctx context.Context, by auth.Actor, c labs.HostConfig) (Host, error) {
	c.Name = strings.TrimSpace(c.Name)
	if !libvirtName(c.Name) {
		return nil, apperr.Invalid("name", "Host name must be letters, digits, . _ + - (up to 100).")
	}
	c.URI = strings.TrimSpace(c.URI)
	known := false
	for _, p := range uriSchemes {
		known = known || strings.HasPrefix(c.URI, p)
	}
	if !known {
		return nil, apperr.Invalid("uri", "URI must be qemu:///system, qemu+tcp://, qemu+tls://, qemu+ssh://user@host/system or qemu+libssh://user@host/system?keyfile=…&known_hosts=….")
	}
	if c.PoolDir == "" {
		c.PoolDir = r.poolRoot
	}
	if !strings.HasPrefix(c.PoolDir, "/") {
		return nil, apperr.Invalid("pool_dir", "The pool directory must be an absolute path on that host.")
	}
	h := r.dial(c)
	if st := h.Status(ctx); !st.Connected {
		h.Close()
		return nil, apperr.Invalid("uri", "Shakedown cannot reach %s: %s", c.URI, st.Error)
	}
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lab_hosts (name, uri, pool_dir, created_at) VALUES (?, ?, ?, ?)`, c.Name, c.URI, c.PoolDir, store.FormatTime(time.Now()))
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("name", "A host named %q is already registered.", c.Name)
		}
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, time.Now(), audit.Record{Actor: by.Username, Action: "host.add", Entity: "host", EntityID: c.Name, After: c})
	})
	if err != nil {
		h.Close()
		return nil, err
	}
	r.mu.Lock()
	r.hosts[c.Name] = h
	r.mu.Unlock()
	return h, nil
}

// Remove unregisters a host with no live lab.
func (r *Registry) Remove(ctx context.Context, by auth.Actor, name string) error {
	h, err := r.Get(name)
	if err != nil {
		return err
	}
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		var live int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM labs WHERE host = ? AND status NOT IN ('torn-down','error')`, name).Scan(&live); err != nil {
			return err
		}
		if live > 0 {
			return apperr.Conflict("", "Host %s still has %d lab(s); tear them down first.", name, live)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM lab_hosts WHERE name = ?`, name); err != nil {
			return err
		}
		return audit.Append(ctx, tx, time.Now(), audit.Record{Actor: by.Username, Action: "host.remove", Entity: "host", EntityID: name, Before: h.Config()})
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.hosts, name)
	r.mu.Unlock()
	h.Close()
	return nil
}

// Close drops every connection.
func (r *Registry) Close() {
	for _, h := range r.List() {
		h.Close()
	}
}

func libvirtName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("._+-", r))
		if !ok {
			return false
		}
	}
	return true
}
