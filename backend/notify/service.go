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
	"github.com/shakedown/shakedown/backend/release"
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
	return &Service{cfg: cfg, db: cfg.DB, log: cfg.Log, now: time.Now, poke: make(chan struct{}, 1),
		release: map[int64]int{}, rollout: map[string]string{}, lab: map[string]string{}}
}

// Start subscribes to the bus and starts the one delivering goroutine;
// deliveries left pending by the last stop go out first.
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
		s.deliverLoop(ctx)
	}()
}

// Close stops listening and delivering, and waits for both.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
	}
	s.done.Wait()
}

// listen turns bus events into notifications. A slow listener is dropped
// by the bus: it subscribes again and catches up on the releases' moves
// (a lab's or rollout's change missed meanwhile is not told).
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
				s.catchUp(ctx) // the releases' moves it missed meanwhile
				continue
			}
			if err := s.handle(ctx, m); err != nil && ctx.Err() == nil {
				s.log.Error("notify: derive a notification", "event", m.Type, "id", m.ID, "err", err)
			}
		}
	}
}

// catchUp tells the moves of the last minutes that a stop may have cut
// off between the release's write and its notification (their keys make
// those already told a no-op).
func (s *Service) catchUp(ctx context.Context) {
	recent, _, err := s.cfg.Releases.List(ctx, release.Filter{Sort: "updated_at", Order: "desc", Limit: 100})
	if err != nil {
		s.log.Error("notify: catch up on recent releases", "err", err)
		return
	}
	for _, r := range recent {
		if s.now().Sub(r.UpdatedAt) > catchUpWindow {
			break
		}
		if err := s.onRelease(ctx, strconv.FormatInt(r.ID, 10)); err != nil && ctx.Err() == nil {
			s.log.Error("notify: catch up on a release", "release", r.ID, "err", err)
		}
	}
}

func (s *Service) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}
