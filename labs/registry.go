package labs

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/mem"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

// Registry holds the libvirt hosts labs may be placed on, kept in the
// database so that admins can add remote hosts.
type Registry struct {
	db       *store.DB
	poolRoot string

	mu    sync.RWMutex
	hosts map[string]*Host
}

// LocalHost is the name of the host on the machine Shakedown runs on.
const LocalHost = "local"

// NewRegistry loads the hosts, adding the local libvirtd (at localURI,
// normally qemu:///system) on first start.
func NewRegistry(ctx context.Context, db *store.DB, localURI, poolRoot string) (*Registry, error) {
	if localURI == "" {
		localURI = "qemu:///system"
	}
	r := &Registry{db: db, poolRoot: poolRoot, hosts: map[string]*Host{}}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lab_hosts`).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO lab_hosts (name, uri, pool_dir, created_at) VALUES (?, ?, ?, ?)`,
				LocalHost, localURI, poolRoot, store.FormatTime(time.Now()))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT name, uri, pool_dir FROM lab_hosts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c HostConfig
		if err := rows.Scan(&c.Name, &c.URI, &c.PoolDir); err != nil {
			return nil, err
		}
		r.hosts[c.Name] = NewHost(c)
	}
	return r, rows.Err()
}

// Get returns a host by name.
func (r *Registry) Get(name string) (*Host, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.hosts[name]
	if !ok {
		return nil, apperr.NotFound("libvirt host", name)
	}
	return h, nil
}

// List returns the hosts by name.
func (r *Registry) List() []*Host {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Host, 0, len(r.hosts))
	for _, h := range r.hosts {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Add registers a host (admins). It is connected to at once, so that a
// wrong URI is refused rather than stored.
func (r *Registry) Add(ctx context.Context, by auth.Actor, c HostConfig) (*Host, error) {
	c.Name = strings.TrimSpace(c.Name)
	if !libvirtName(c.Name) {
		return nil, apperr.Invalid("name", "Host name must be letters, digits, . _ + - (up to 100).")
	}
	c.URI = strings.TrimSpace(c.URI)
	switch {
	case strings.HasPrefix(c.URI, "qemu:///"), strings.HasPrefix(c.URI, "qemu+tcp://"), strings.HasPrefix(c.URI, "qemu+tls://"),
		strings.HasPrefix(c.URI, "qemu+ssh://"), strings.HasPrefix(c.URI, "qemu+libssh://"), strings.HasPrefix(c.URI, "qemu+libssh2://"),
		strings.HasPrefix(c.URI, "test:///"):
	default:
		return nil, apperr.Invalid("uri", "URI must be qemu:///system, qemu+tcp://, qemu+tls://, qemu+ssh://user@host/system or qemu+libssh://user@host/system?keyfile=…&known_hosts=….")
	}
	if c.PoolDir == "" {
		c.PoolDir = r.poolRoot
	}
	if !strings.HasPrefix(c.PoolDir, "/") {
		return nil, apperr.Invalid("pool_dir", "The pool directory must be an absolute path on that host.")
	}
	h := NewHost(c)
	if _, err := h.Conn(ctx); err != nil {
		return nil, apperr.Invalid("uri", "Shakedown cannot reach %s: %v", c.URI, err)
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

// Capacity is what a host has room for.
type Capacity struct {
	CPUs       int    `json:"cpus"`
	MemTotal   uint64 `json:"mem_total"`
	MemFree    uint64 `json:"mem_free"`
	DiskFree   uint64 `json:"disk_free"`
	RunningVMs int    `json:"running_vms"`
}

// HostStatus is a host as the UI lists it.
type HostStatus struct {
	HostConfig
	Connected bool     `json:"connected"`
	Error     string   `json:"error"`
	Capacity  Capacity `json:"capacity"`
}

// Status connects (if needed) and measures the host. Local hosts are
// measured with gopsutil (available memory, free disk of the pool), remote
// ones through libvirt's node and pool information.
func (h *Host) Status(ctx context.Context) HostStatus {
	st := HostStatus{HostConfig: h.cfg}
	l, pool, err := h.Pool(ctx)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Connected = true
	_, memKiB, cpus, _, _, _, _, _, err := l.NodeGetInfo()
	if err == nil {
		st.Capacity.CPUs, st.Capacity.MemTotal = int(cpus), memKiB*1024
	}
	if free, err := l.NodeGetFreeMemory(); err == nil {
		st.Capacity.MemFree = free
	}
	if _, _, _, avail, err := l.StoragePoolGetInfo(pool); err == nil {
		st.Capacity.DiskFree = avail
	}
	if h.isLocal() {
		if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
			st.Capacity.MemTotal, st.Capacity.MemFree = vm.Total, vm.Available
		}
		if du, err := disk.UsageWithContext(ctx, h.cfg.PoolDir); err == nil {
			st.Capacity.DiskFree = du.Free
		}
	}
	if doms, _, err := l.ConnectListAllDomains(1, libvirt.ConnectListDomainsActive); err == nil {
		st.Capacity.RunningVMs = len(doms)
	}
	return st
}

func (h *Host) isLocal() bool {
	if !strings.HasPrefix(h.cfg.URI, "qemu:///") {
		return false
	}
	_, err := os.Stat(h.cfg.PoolDir)
	return err == nil
}

// CapacityError refuses a lab that would not fit.
type CapacityError struct {
	Host       string
	Need, Free uint64
	Resource   string
	What       string // "the lab" unless set
}

func (e *CapacityError) Error() string {
	what := "the lab"
	if e.What != "" {
		what = e.What
	}
	return fmt.Sprintf("Lab host %s has %s of %s free; %s needs %s: tear down a lab, free some space or add a host.",
		e.Host, gib(e.Free), e.Resource, what, gib(e.Need))
}
func (e *CapacityError) Kind() apperr.Kind { return apperr.KindConflict }

func gib(b uint64) string {
	if b < 1<<30 {
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
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
