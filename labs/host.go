// Package labs builds VM labs through libvirt: it captures production VMs
// (live external snapshots, P2V imports), makes linked clones on isolated
// networks, boots them, drives them through the QEMU guest agent, runs test
// periods and tears everything down. It knows nothing of releases beyond
// the ids it is given. Every domain carries Shakedown metadata; networks
// and volumes carry the lab id in their names (libvirt 9.0 has no metadata
// element for them).
package labs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"libvirt.org/go/libvirtxml"
)

// LocalSocket is where the local libvirtd listens.
const LocalSocket = "/var/run/libvirt/libvirt-sock"

// PoolName is the storage pool Shakedown keeps its volumes in, on every host.
const PoolName = "shakedown"

// HostConfig names a libvirt host and how to reach it.
type HostConfig struct {
	Name string `json:"name"`
	// URI is "qemu:///system" (local socket), "test:///default" (libvirt's
	// fake driver, for fast tests) or a remote "qemu+tcp://…", "qemu+tls://…",
	// "qemu+ssh://user@host/system" URI.
	URI string `json:"uri"`
	// PoolDir is where the host keeps Shakedown's volumes (when registering
	// a host, none: the default pool directory).
	PoolDir string `json:"pool_dir,omitempty"`
	// ConsoleDir receives the serial consoles of the VMs Shakedown makes
	// (none: console/ beside the pool directory).
	ConsoleDir string `json:"console_dir,omitempty"`
	// Pool names the storage pool (default "shakedown").
	Pool string `json:"pool,omitempty"`
}

// Host is a connection to one libvirtd.
type Host struct {
	cfg HostConfig

	mu   sync.Mutex
	l    *libvirt.Libvirt
	pool libvirt.StoragePool
	hubs map[libvirt.DomainEventID]*eventHub
	// capturing serialises captures of one domain: a capture reads the
	// disk chain it snapshots, so a second one must see the first's result.
	capturing map[string]*sync.Mutex
}

// lockCapture holds the capture lock of a domain until the returned func.
func (h *Host) lockCapture(domain string) func() {
	h.mu.Lock()
	if h.capturing == nil {
		h.capturing = map[string]*sync.Mutex{}
	}
	m := h.capturing[domain]
	if m == nil {
		m = &sync.Mutex{}
		h.capturing[domain] = m
	}
	h.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// HostDownError says a host cannot be reached.
type HostDownError struct {
	Host string
	// URI is how the host is reached; a remote one gets remote advice.
	URI string
	Err error
	// Said is the whole message when it was already made (a host status's
	// error passed on), so that it is not wrapped twice.
	Said string
}

func (e *HostDownError) Error() string {
	if e.Said != "" {
		return e.Said
	}
	if u, err := url.Parse(e.URI); err == nil && u.Host != "" {
		how := "libvirtd listens for " + u.Scheme + " connections"
		if strings.Contains(u.Scheme, "ssh") {
			how = "SSH to it works without a password from this server (its key is accepted, the host key is known) and libvirtd runs there"
		}
		return fmt.Sprintf("libvirt host %s (%s) cannot be reached: %v. Check that %s is up, that %s, and that no firewall is in the way.",
			e.Host, u.Host, e.Err, u.Hostname(), how)
	}
	return fmt.Sprintf("libvirt host %s cannot be reached: %v. Start libvirtd (scripts/libvirt.sh start) or check the host's URI.", e.Host, e.Err)
}
func (e *HostDownError) Unwrap() error { return e.Err }

// Unavailable makes a host that is down a 503 for API callers.
func (e *HostDownError) Unavailable() bool { return true }

// NewHost returns an unconnected host; Conn connects on first use and
// again after libvirtd went away.
func NewHost(cfg HostConfig) *Host {
	if cfg.URI == "" {
		cfg.URI = "qemu:///system"
	}
	if cfg.PoolDir == "" {
		cfg.PoolDir = "/var/lib/shakedown/pool"
	}
	if cfg.Pool == "" {
		cfg.Pool = PoolName
	}
	if cfg.ConsoleDir == "" {
		cfg.ConsoleDir = filepath.Join(filepath.Dir(cfg.PoolDir), "console")
	}
	return &Host{cfg: cfg}
}

// ConsoleLog is where a domain's serial console is written (kept out of
// the pool so that it is not taken for a volume).
func (h *Host) ConsoleLog(domain string) string {
	if !h.IsTest() {
		os.MkdirAll(h.cfg.ConsoleDir, 0o700)
	}
	return filepath.Join(h.cfg.ConsoleDir, domain+".log")
}

// Name is the host's name.
func (h *Host) Name() string { return h.cfg.Name }

// Config is how the host is reached.
func (h *Host) Config() HostConfig { return h.cfg }

// IsTest reports whether the host is libvirt's fake test driver.
func (h *Host) IsTest() bool { return strings.HasPrefix(h.cfg.URI, "test:") }

// Conn returns a live connection, (re)connecting if needed.
func (h *Host) Conn(ctx context.Context) (*libvirt.Libvirt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.l != nil && h.l.IsConnected() {
		return h.l, nil
	}
	l, err := dial(h.cfg.URI)
	if err != nil {
		return nil, &HostDownError{Host: h.cfg.Name, URI: h.cfg.URI, Err: err}
	}
	pool, err := ensurePool(l, h.cfg.Pool, h.cfg.PoolDir, h.IsTest(), strings.HasPrefix(h.cfg.URI, "qemu:///"))
	if err != nil {
		l.Disconnect()
		return nil, fmt.Errorf("host %s: storage pool: %w", h.cfg.Name, err)
	}
	h.l, h.pool = l, pool
	return l, nil
}

// Pool returns the host's Shakedown storage pool.
func (h *Host) Pool(ctx context.Context) (*libvirt.Libvirt, libvirt.StoragePool, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, libvirt.StoragePool{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return l, h.pool, nil
}

// Lost reports whether the connection the host had has gone away (libvirtd
// stopped or restarted); the next call reconnects.
func (h *Host) Lost() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.l != nil && !h.l.IsConnected()
}

// refreshPool makes libvirt list files the snapshot and commit code made or
// removed outside the pool API (capture overlays), so that vol-list is true.
func (h *Host) refreshPool(ctx context.Context) {
	if l, pool, err := h.Pool(ctx); err == nil {
		l.StoragePoolRefresh(pool, 0)
	}
}

// Close drops the connection.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.l == nil {
		return nil
	}
	err := h.l.Disconnect()
	h.l = nil
	return err
}

func dial(uri string) (*libvirt.Libvirt, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("bad libvirt URI %q: %w", uri, err)
	}
	switch u.Scheme {
	case "qemu", "test":
		// Local daemon over its UNIX socket.
		l := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(LocalSocket), dialers.WithLocalTimeout(5*time.Second)))
		target := libvirt.QEMUSystem
		if u.Scheme == "test" {
			target = libvirt.ConnectURI("test:///default")
		}
		if err := l.ConnectToURI(target); err != nil {
			return nil, err
		}
		return l, nil
	default:
		return libvirt.ConnectToURI(u)
	}
}

// ensurePool finds or creates the Shakedown directory pool and starts it.
// A local pool directory is made here; libvirt builds a remote one.
func ensurePool(l *libvirt.Libvirt, name, dir string, test, local bool) (libvirt.StoragePool, error) {
	pool, err := l.StoragePoolLookupByName(name)
	if err != nil {
		if !isNoSuch(err) {
			return pool, err
		}
		if local {
			if err := os.MkdirAll(dir, 0o711); err != nil && !errors.Is(err, os.ErrPermission) {
				return pool, err
			}
		}
		x := &libvirtxml.StoragePool{Type: "dir", Name: name, Target: &libvirtxml.StoragePoolTarget{Path: filepath.Clean(dir)}}
		doc, err := x.Marshal()
		if err != nil {
			return pool, err
		}
		if pool, err = l.StoragePoolDefineXML(doc, 0); err != nil {
			return pool, err
		}
		_ = l.StoragePoolSetAutostart(pool, 1)
	}
	active, err := l.StoragePoolIsActive(pool)
	if err != nil {
		return pool, err
	}
	if active == 0 {
		flags := libvirt.StoragePoolCreateWithBuild
		if test {
			flags = 0 // the test driver has nothing to build
		}
		if err := l.StoragePoolCreate(pool, flags); err != nil {
			return pool, err
		}
	}
	return pool, l.StoragePoolRefresh(pool, 0)
}

// isNoSuch reports whether a libvirt error says the object does not exist.
func isNoSuch(err error) bool {
	var le libvirt.Error
	if errors.As(err, &le) {
		switch libvirt.ErrorNumber(le.Code) {
		case libvirt.ErrNoDomain, libvirt.ErrNoNetwork, libvirt.ErrNoStoragePool, libvirt.ErrNoStorageVol, libvirt.ErrNoDomainSnapshot:
			return true
		}
	}
	return false
}

// isNotPersistent reports the error of undefining a transient object
// (already gone once it stopped).
func isNotPersistent(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && libvirt.ErrorNumber(le.Code) == libvirt.ErrOperationInvalid
}
