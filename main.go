//go:build !desktop

// Command shakedown is the Shakedown release management server.
//
//	shakedown serve [--addr 127.0.0.1:8080] [--data DIR] [--demo]
//	shakedown seed --data DIR --releases N
//	shakedown version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/shakedown/shakedown/backend/demo"
	"github.com/shakedown/shakedown/backend/server"
	"github.com/shakedown/shakedown/frontend"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "seed":
		err = seed(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Println("shakedown", version)
	case "help", "--help", "-h":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "shakedown: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shakedown:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `Shakedown — release management: plan, prove in a VM lab, sign off, roll out.

Usage:
  shakedown serve [--addr 127.0.0.1:8080] [--data DIR] [--demo] [--guest-dir DIR] [--pool-dir DIR]
  shakedown seed  --data DIR --releases N      add N releases (load tests)
  shakedown version

Environment:
  SHAKEDOWN_ADMIN_PASSWORD   password of the first admin (else generated into DIR/initial-admin-password)
  SHAKEDOWN_DATA             data directory (default ./data)
  SHAKEDOWN_ADDR             listen address (default 127.0.0.1:8080)
  SHAKEDOWN_GUEST_DIR        tiny guest image for the demo production VMs
  SHAKEDOWN_POOL_DIR         libvirt pool directory (default /var/lib/shakedown/pool)
  SHAKEDOWN_LOG_LEVEL        debug, info (default), warn, error
  SHAKEDOWN_CPU_PROFILE      write a CPU profile of the run to this file (go tool pprof)
`)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(envOr("SHAKEDOWN_LOG_LEVEL", "info"))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("SHAKEDOWN_ADDR", "127.0.0.1:8080"), "listen address")
	data := fs.String("data", envOr("SHAKEDOWN_DATA", "data"), "data directory (database, packages)")
	withDemo := fs.Bool("demo", false, "seed a demo dataset into an empty database")
	secure := fs.Bool("secure-cookies", false, "mark the session cookie Secure (when served over HTTPS)")
	guestDir := fs.String("guest-dir", envOr("SHAKEDOWN_GUEST_DIR", ""), "tiny guest image (scripts/build-guest.sh); with --demo, demo production VMs are made from it")
	demoPrefix := fs.String("demo-vm-prefix", "", "prefix of the demo production VM names (tests use sdtest-)")
	poolDir := fs.String("pool-dir", envOr("SHAKEDOWN_POOL_DIR", "/var/lib/shakedown/pool"), "where the local libvirt host keeps Shakedown's volumes")
	maxPackage := fs.Int64("max-package-size", envInt64("SHAKEDOWN_MAX_PACKAGE_SIZE", 2<<30), "largest release package upload, in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := logger()
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if p := os.Getenv("SHAKEDOWN_CPU_PROFILE"); p != "" {
		// A CPU profile of the whole run, written when it stops (go tool pprof).
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}

	dir, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, server.Config{DataDir: dir, AdminPassword: os.Getenv("SHAKEDOWN_ADMIN_PASSWORD"),
		Demo: *withDemo, Version: version, Frontend: frontend.Dist(), SecureCookies: *secure, Log: log,
		GuestDir: *guestDir, PoolDir: *poolDir, DemoVMPrefix: *demoPrefix, MaxPackageBytes: *maxPackage})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv.Start()
	url := "http://" + ln.Addr().String()
	log.Info("Shakedown is running", "url", url, "data", dir, "version", version)
	if _, err := os.Stat(filepath.Join(dir, server.AdminPasswordFile)); err == nil {
		log.Info("sign in as admin", "password_file", filepath.Join(dir, server.AdminPasswordFile))
	}
	err = srv.Serve(ctx, ln)
	log.Info("Shakedown stopped")
	return err
}

func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	data := fs.String("data", envOr("SHAKEDOWN_DATA", "data"), "data directory")
	n := fs.Int("releases", 1000, "number of releases to add")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 1_000_000 {
		return errors.New("--releases must be between 1 and 1000000")
	}
	log := logger()
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{DataDir: *data, AdminPassword: os.Getenv("SHAKEDOWN_ADMIN_PASSWORD"), Version: version, Log: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	start := time.Now()
	err = demo.Bulk(ctx, srv.Releases, srv.Packages, *n, func(done int) { log.Info("seeding", "releases", done) })
	log.Info("seeded", "releases", *n, "took", time.Since(start).Round(time.Millisecond))
	return err
}

func envInt64(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}
