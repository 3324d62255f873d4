package notify

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/backend/secrets"
	"github.com/shakedown/shakedown/backend/store"
)

// Releases is what notify reads of releases, through their owner: the
// record (its owner, creator and transitions) and the sign-off as a given
// user sees it (whether that user may approve).
type Releases interface {
	Get(ctx context.Context, by auth.Actor, id int64) (*release.Release, error)
	SignOff(ctx context.Context, by auth.Actor, id int64) (*release.SignOff, error)
	List(ctx context.Context, f release.Filter) ([]release.Summary, int, error)
}

// Labs is what notify reads of labs, through their owner: those written
// since a time (to catch up on the ends it did not see).
type Labs interface {
	List(ctx context.Context, f lab.Filter) ([]lab.Lab, int, error)
}

// Rollouts is what notify reads of rollouts, through their owner: those
// written since a time (to catch up on the pauses it did not see).
type Rollouts interface {
	UpdatedSince(ctx context.Context, since time.Time) ([]*rollout.Rollout, error)
}

// Users lists the accounts (for approvers and admins).
type Users interface {
	ListUsers(ctx context.Context) ([]auth.User, error)
}

// Config builds a Service.
type Config struct {
	DB       *store.DB
	Bus      *events.Bus
	Box      *secrets.Box
	Releases Releases
	Labs     Labs
	Rollouts Rollouts
	Users    Users
	Log      *slog.Logger
	// HTTP posts webhooks (default: a client with a 10 s timeout).
	HTTP *http.Client
	// RootCAs verifies SMTP servers' certificates (nil: the system's).
	RootCAs *x509.CertPool
	// Backoff is the wait after a delivery's first failed attempt; it
	// doubles with each attempt up to MaxBackoff (default 30 s and 1 h).
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many times a delivery is tried (default 8).
	MaxAttempts int
	// DigestUnit is a digest's "minute" (tests shorten it; default 1 min).
	DigestUnit time.Duration
	// MaxLanes bounds the delivering goroutines: mail has one, each webhook
	// with pending deliveries one (default 64; more wait their turn).
	MaxLanes int
}

// Service records and delivers notifications.
type Service struct {
	cfg  Config
	db   *store.DB
	log  *slog.Logger
	now  func() time.Time
	poke chan struct{}

	mu      sync.Mutex
	release map[int64]int     // release id → index of its last transition handled
	rollout map[string]string // rollout id → last status seen
	lab     map[string]string // lab id → last status seen

	lanesMu sync.Mutex
	lanes   map[string]*lane // by lane key; only the dispatcher adds, a lane removes itself

	stop context.CancelFunc
	done sync.WaitGroup
}

// New returns the service; Start begins listening and delivering.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.DigestUnit <= 0 {
		cfg.DigestUnit = time.Minute
	}
	if cfg.MaxLanes <= 0 {
		cfg.MaxLanes = 64
	}
	return &Service{cfg: cfg, db: cfg.DB, log: cfg.Log, now: time.Now, poke: make(chan struct{}, 1),
		release: map[int64]int{}, rollout: map[string]string{}, lab: map[string]string{}, lanes: map[string]*lane{}}
}

// Start subscribes to the bus, catches up on what it missed while stopped,
// and starts the dispatcher of the delivering lanes; deliveries left
// pending by the last stop go out first.
func (s *Service) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	msgs, cancel := s.cfg.Bus.Subscribe(1024)
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		defer cancel()
		s.catchUp(ctx)
		s.listen(ctx, msgs)
	}()
	go func() {
		defer s.done.Done()
		s.dispatch(ctx)
	}()
}

// Close stops listening and delivering, and waits for every goroutine.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
	}
	s.done.Wait()
}

// listen turns bus events into notifications. A slow listener is dropped
// by the bus: it subscribes again and catches up on what it missed.
func (s *Service) listen(ctx context.Context, msgs <-chan events.Message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				s.log.Warn("notify fell behind the event bus; subscribing again")
				var cancel func()
				msgs, cancel = s.cfg.Bus.Subscribe(1024)
				defer cancel()
				s.catchUp(ctx) // what it missed meanwhile
				continue
			}
			if err := s.handle(ctx, m); err != nil && ctx.Err() == nil {
				s.log.Error("notify: derive a notification", "event", m.Type, "id", m.ID, "err", err)
			}
		}
	}
}

// catchUp tells what a stop (or a fall behind the bus) may have cut off
// between an owner's write and its notification: the releases' moves of
// the last minutes, and the labs that ended and rollouts that paused, as
// their owners read them now. Keys make those already told a no-op.
func (s *Service) catchUp(ctx context.Context) {
	recent, _, err := s.cfg.Releases.List(ctx, release.Filter{Sort: "updated_at", Order: "desc", Limit: 100})
	if err != nil {
		s.log.Error("notify: catch up on recent releases", "err", err)
	}
	for _, r := range recent {
		if s.now().Sub(r.UpdatedAt) > catchUpWindow {
			break
		}
		if err := s.onRelease(ctx, strconv.FormatInt(r.ID, 10)); err != nil && ctx.Err() == nil {
			s.log.Error("notify: catch up on a release", "release", r.ID, "err", err)
		}
	}
	since := s.now().Add(-catchUpLookback)
	if s.cfg.Labs != nil {
		labs, _, err := s.cfg.Labs.List(ctx, lab.Filter{UpdatedSince: since, Limit: 1000})
		if err != nil {
			s.log.Error("notify: catch up on recent labs", "err", err)
		}
		for _, l := range labs {
			st := labState{ID: l.ID, ReleaseID: l.ReleaseID, Status: string(l.Status), Error: l.Error, CreatedBy: l.CreatedBy, UpdatedAt: l.UpdatedAt}
			s.changed(s.lab, l.ID, st.Status, true)
			if err := s.labEnded(ctx, st); err != nil && ctx.Err() == nil {
				s.log.Error("notify: catch up on a lab", "lab", l.ID, "err", err)
			}
		}
	}
	if s.cfg.Rollouts != nil {
		ros, err := s.cfg.Rollouts.UpdatedSince(ctx, since)
		if err != nil {
			s.log.Error("notify: catch up on recent rollouts", "err", err)
		}
		for _, r := range ros {
			st := rolloutState{ID: r.ID, ReleaseID: r.ReleaseID, Status: string(r.Status), PauseReason: r.PauseReason, PausedAt: r.PausedAt, UpdatedAt: r.UpdatedAt}
			s.changed(s.rollout, r.ID, st.Status, true)
			if st.Status != string(rollout.StatusPaused) || st.since().Before(since) {
				continue
			}
			if err := s.paused(ctx, st); err != nil && ctx.Err() == nil {
				s.log.Error("notify: catch up on a rollout", "rollout", r.ID, "err", err)
			}
		}
	}
}

func (s *Service) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}
