package lab

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/settings"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

// Releases is what labs need of the release service: the scope a lab may
// reproduce, the CI catalog, and the one writer of test evidence.
type Releases interface {
	LabScope(ctx context.Context, releaseID int64) (release.LabScope, error)
	GetCI(ctx context.Context, id int64) (release.CI, error)
	RecordLabEvidence(ctx context.Context, by auth.Actor, releaseID int64, labID, digest string, results []release.LabResult) error
	LabEvidence(ctx context.Context, labIDs ...string) (map[string]release.EvidenceCounts, error)
}

// Packages resolves a stored package into the plan that installs it.
type Packages interface {
	InstallPlan(ctx context.Context, digest string, maxBytes int64) (*packages.InstallPlan, error)
}

// Settings is what labs read of the run-time settings: the networks a
// disk import over SSH may connect to.
type Settings interface {
	Get(ctx context.Context) (settings.Settings, error)
}

// Config is what the lab service is built from.
type Config struct {
	DB       *store.DB
	Ops      *ops.Manager
	Bus      events.Publisher
	Log      *slog.Logger
	Hosts    *Registry
	Releases Releases
	Packages Packages
	// Settings bound where disk imports connect; nil: anywhere.
	Settings Settings
}

// Service runs labs.
type Service struct {
	db       *store.DB
	ops      *ops.Manager
	bus      events.Publisher
	log      *slog.Logger
	hosts    *Registry
	releases Releases
	packages Packages
	settings Settings
	now      func() time.Time
	// lookup resolves a host name for a disk import.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)

	// MaxBooting bounds how many guests boot at once on a host (TCG boot
	// is CPU-bound).
	MaxBooting int
	// AgentTimeout bounds the wait for a booting guest's agent.
	AgentTimeout time.Duration

	// instance prefixes every lab id of this Shakedown (its database), so
	// that reconciliation never touches another instance's labs on a
	// shared libvirtd.
	instance string
	// guest boots labs of imported (P2V) disk images; nil: none can be made.
	guest *labs.GuestImage

	// mu guards owned and every check-then-change of a lab's status.
	mu sync.Mutex
	// owned counts the operations of this process working on each lab:
	// reconciliation never touches a lab that has one.
	owned map[string]int

	reconcileMu sync.Mutex
	reportMu    sync.RWMutex
	report      ReconcileReport
}

// NewService returns the lab service.
func NewService(ctx context.Context, cfg Config) (*Service, error) {
	s := &Service{db: cfg.DB, ops: cfg.Ops, bus: cfg.Bus, log: cfg.Log, hosts: cfg.Hosts, releases: cfg.Releases, packages: cfg.Packages,
		settings: cfg.Settings, now: time.Now, lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}, MaxBooting: 3, AgentTimeout: 3 * time.Minute, owned: map[string]int{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'lab_instance'`).Scan(&s.instance)
		if errors.Is(err, sql.ErrNoRows) {
			s.instance = randomHex(2)
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('lab_instance', ?)`, s.instance)
		}
		return err
	})
	return s, err
}

// Instance is the prefix of this Shakedown's lab ids.
func (s *Service) Instance() string { return s.instance }

// mine reports whether a lab id was made by this Shakedown.
func (s *Service) mine(labID string) bool { return strings.HasPrefix(labID, s.instance) }

// Hosts is the host registry.
func (s *Service) Hosts() *Registry { return s.hosts }

// SetGuest gives the service the kernel that boots imported disk images.
func (s *Service) SetGuest(g *labs.GuestImage) { s.guest = g }

// SetResolver replaces how host names of disk imports are resolved (tests).
func (s *Service) SetResolver(lookup func(ctx context.Context, host string) ([]netip.Addr, error)) {
	s.lookup = lookup
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newLabID is the instance prefix and 6 random hex digits.
func (s *Service) newLabID() string { return s.instance + randomHex(3) }

// own marks a lab as worked on by an operation of this process until the
// returned func is called.
func (s *Service) own(labID string) (release func()) {
	s.owned[labID]++ // callers hold s.mu
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.owned[labID]--; s.owned[labID] <= 0 {
				delete(s.owned, labID)
			}
		})
	}
}

// isOwned reports whether an operation of this process works on the lab.
func (s *Service) isOwned(labID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owned[labID] > 0
}

// startOp runs fn as an operation of the lab, which it owns until fn has
// returned (and written the lab's final status), and answers with both.
// On a failure to start, the ownership is given back at once.
func (s *Service) startOp(ctx context.Context, by auth.Actor, labID, kind string, release func(), fn ops.Func) (Started, error) {
	op, err := s.ops.Start(ctx, by, ops.Spec{Kind: kind, Entity: "lab", EntityID: labID, Run: func(ctx context.Context, p *ops.Progress) error {
		defer release()
		return fn(ctx, p)
	}})
	if err != nil {
		release()
		return Started{}, err
	}
	if err := s.setOperation(ctx, labID, op.ID); err != nil {
		return Started{}, err
	}
	got, err := s.Get(ctx, labID)
	return Started{Lab: got, Operation: op}, err
}

// publish tells clients a lab changed.
func (s *Service) publish(ctx context.Context, labID string) {
	if l, err := s.Get(context.WithoutCancel(ctx), labID); err == nil {
		s.bus.Publish(events.LabUpdated, labID, l)
	}
}
