// Package server is Shakedown's composition root: it opens the store,
// builds the services, starts the background tasks and returns the one
// http.Handler shared by the web server and the desktop window.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/api"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/demo"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/hostinfo"
	"github.com/shakedown/shakedown/backend/inventory"
	"github.com/shakedown/shakedown/backend/kpi"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/notify"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/backend/secrets"
	"github.com/shakedown/shakedown/backend/settings"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

// Config is how Shakedown is started.
type Config struct {
	DataDir string
	// AdminPassword sets the first admin's password; empty generates one
	// into DataDir/initial-admin-password.
	AdminPassword string
	// Demo seeds a demo dataset into an empty database.
	Demo          bool
	Version       string
	Frontend      fs.FS
	SecureCookies bool
	Log           *slog.Logger
	// PoolDir is where the local libvirt host keeps Shakedown's volumes.
	PoolDir string
	// LocalURI is the local libvirt host's URI (default qemu:///system;
	// tests use libvirt's test:///default driver).
	LocalURI string
	// DemoVMPrefix prefixes the names of the demo production VMs and their
	// CIs' libvirt domains (tests use "sdtest-" so that sweeps find them).
	DemoVMPrefix string
	// GuestDir holds the tiny guest image (scripts/build-guest.sh); with
	// Demo, the demo production VMs are made from it.
	GuestDir string
	// MaxPackageBytes limits package uploads (default 2 GiB).
	MaxPackageBytes int64
}

// Server is a running Shakedown backend.
type Server struct {
	cfg      Config
	DB       *store.DB
	Bus      *events.Bus
	Auth     *auth.Service
	Releases *release.Service
	Settings *settings.Service
	Ops      *ops.Manager
	Host     *hostinfo.Sampler
	Labs     *lab.Service
	Packages *packages.Store
	Targets  *inventory.Service
	Rollouts *rollout.Service
	Notify   *notify.Service
	API      *api.API

	tasks  sync.WaitGroup
	cancel context.CancelFunc
}

// AdminPasswordFile is where a generated first admin password is written.
const AdminPasswordFile = "initial-admin-password"

// New opens the data directory and builds every service.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// The key that seals the targets' credentials: made on the first start,
	// kept beside the database and never in it.
	box, created, err := secrets.LoadOrCreate(filepath.Join(cfg.DataDir, secrets.KeyFile))
	if err != nil {
		return nil, err
	}
	if created {
		cfg.Log.Info("created the key that seals stored credentials; back it up with the database, and apart from it",
			"key_file", filepath.Join(cfg.DataDir, secrets.KeyFile))
	}
	db, err := store.Open(ctx, filepath.Join(cfg.DataDir, "shakedown.db"))
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, DB: db, Bus: events.NewBus()}
	s.Settings = settings.NewService(db, s.Bus)
	s.Auth = auth.NewService(db, s.Bus, auth.WithTokenPolicy(s.Settings.TokenPolicy))
	s.Releases = release.NewService(db, s.Bus)
	s.Targets = inventory.NewService(inventory.Config{DB: db, Bus: s.Bus, Box: box, CIs: s.Releases, Log: cfg.Log})
	s.Ops = ops.NewManager(db, s.Bus, cfg.Log)
	s.Host = hostinfo.NewSampler(cfg.DataDir, s.Bus, cfg.Log)
	if cfg.PoolDir == "" {
		cfg.PoolDir = "/var/lib/shakedown/pool"
	}
	reg, err := lab.NewRegistry(ctx, db, cfg.LocalURI, cfg.PoolDir, lab.RealHost)
	if err != nil {
		db.Close()
		return nil, err
	}
	if s.Packages, err = packages.NewStore(filepath.Join(cfg.DataDir, "packages"), db, s.Bus, cfg.Log); err != nil {
		db.Close()
		return nil, err
	}
	if cfg.MaxPackageBytes > 0 {
		s.Packages.MaxBytes = cfg.MaxPackageBytes
	}
	if _, err := s.Packages.Cleanup(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.Labs, err = lab.NewService(ctx, lab.Config{DB: db, Ops: s.Ops, Bus: s.Bus, Log: cfg.Log, Hosts: reg, Releases: s.Releases, Packages: s.Packages, Settings: s.Settings}); err != nil {
		db.Close()
		return nil, err
	}
	s.Rollouts = rollout.NewService(rollout.Config{DB: db, Bus: s.Bus, Log: cfg.Log, Releases: s.Releases, Packages: s.Packages,
		Targets: s.rolloutTargets, Connect: connector{hosts: s.Labs.Hosts(), targets: s.Targets}, CapturedBy: s.Labs.CapturedBy})
	s.Notify = notify.New(notify.Config{DB: db, Bus: s.Bus, Box: box, Releases: s.Releases, Labs: s.Labs, Rollouts: s.Rollouts, Users: s.Auth, Log: cfg.Log})
	if err := s.bootstrap(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.API = api.New(api.Deps{DB: db, Auth: s.Auth, Releases: s.Releases, KPIs: kpi.NewService(db), Settings: s.Settings, Ops: s.Ops, Bus: s.Bus, Host: s.Host, Labs: s.Labs, Packages: s.Packages,
		Targets: s.Targets, Rollouts: s.Rollouts, Notify: s.Notify, Log: cfg.Log, Version: cfg.Version, Frontend: cfg.Frontend, SecureCookies: cfg.SecureCookies})
	return s, nil
}

func (s *Server) bootstrap(ctx context.Context) error {
	password, generated := s.cfg.AdminPassword, false
	if password == "" {
		password, generated = auth.RandomPassword(), true
	}
	created, err := s.Auth.EnsureAdmin(ctx, password)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	if created && generated {
		path := filepath.Join(s.cfg.DataDir, AdminPasswordFile)
		if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
			return fmt.Errorf("write first admin password: %w", err)
		}
		s.cfg.Log.Info("created the first admin account", "user", "admin", "password_file", path)
	} else if created {
		s.cfg.Log.Info("created the first admin account", "user", "admin", "password", "from SHAKEDOWN_ADMIN_PASSWORD")
	}
	settled, err := s.Ops.Recover(ctx)
	if err != nil {
		return fmt.Errorf("recover operations: %w", err)
	}
	if settled > 0 {
		s.cfg.Log.Warn("operations interrupted by the last stop", "marked_ended", settled)
	}
	// Labs left half-built or half-removed by the last stop are cleaned up;
	// live ones are adopted; orphans on the hosts are removed.
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	s.Labs.Reconcile(rctx)
	cancel()
	// Rollouts the last stop interrupted go on where they were; paused ones
	// stay paused.
	if n, err := s.Rollouts.Resume(ctx); err != nil {
		return fmt.Errorf("resume rollouts: %w", err)
	} else if n > 0 {
		s.cfg.Log.Info("resumed rollouts", "count", n)
	}
	if s.cfg.Demo {
		seeded, err := demo.Seed(ctx, s.Auth, s.Releases, s.Packages, s.DB, password, s.cfg.DemoVMPrefix, time.Now())
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		if seeded {
			s.cfg.Log.Info("seeded the demo dataset", "users", "tess (tester), mona and max (managers), adam (admin); same password as admin")
		}
	}
	return nil
}

// Start runs the background tasks until Close.
func (s *Server) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	// Notifications: listens to the bus and delivers what the last stop left.
	s.Notify.Start(ctx)
	s.tasks.Add(1)
	go func() {
		defer s.tasks.Done()
		s.Host.Run(ctx, 5*time.Second)
	}()
	s.tasks.Add(1)
	go func() {
		defer s.tasks.Done()
		s.Labs.RunExpiry(ctx, 30*time.Second)
	}()
	s.tasks.Add(1)
	go func() {
		defer s.tasks.Done()
		s.Labs.RunReconcile(ctx, 2*time.Minute)
	}()
	s.tasks.Add(1)
	go func() {
		defer s.tasks.Done()
		s.Rollouts.RunSnapshotSweep(ctx, 10*time.Minute)
	}()
	if s.cfg.GuestDir != "" {
		if g, err := labs.LoadGuestImage(s.cfg.GuestDir); err == nil {
			s.Labs.SetGuest(&g)
		}
	}
	if s.cfg.Demo && s.cfg.GuestDir != "" {
		s.startDemoProduction()
	}
}

// startDemoProduction makes the demo production VMs on the local libvirtd
// (if they are missing) as an operation, so that the UI shows its progress.
func (s *Server) startDemoProduction() {
	g, err := labs.LoadGuestImage(s.cfg.GuestDir)
	if err != nil {
		s.cfg.Log.Warn("no demo production VMs", "reason", err)
		return
	}
	h, err := s.Labs.Hosts().Get(lab.LocalHost)
	if err != nil {
		return
	}
	host, ok := h.(*labs.Host)
	if !ok {
		return // a fake host in tests: nothing to boot
	}
	if _, err := demo.StartProduction(s.Ops, host, g, s.cfg.DemoVMPrefix); err != nil {
		s.cfg.Log.Warn("demo production", "err", err)
	}
}

// Handler is the API and web UI.
func (s *Server) Handler() http.Handler { return s.API }

// Serve listens on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdown)
	if errors.Is(err, context.DeadlineExceeded) {
		hs.Close() // WebSockets do not end by themselves
		err = nil
	}
	return err
}

// Close stops background tasks and operations and closes the store.
func (s *Server) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.tasks.Wait()
	s.Notify.Close()
	defer s.Labs.Hosts().Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s.Rollouts.Shutdown(ctx)
	s.Ops.Shutdown(ctx)
	return s.DB.Close()
}
