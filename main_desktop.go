//go:build desktop

// Command shakedown-desktop is Shakedown in a desktop window. In local mode
// (the default) the whole backend runs in-process with a per-user data
// directory and the local libvirtd, signed in as the local user; in connected
// mode the same UI works against a team server.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/shakedown/shakedown/desktop"
	"github.com/shakedown/shakedown/desktop/window"
	"github.com/shakedown/shakedown/frontend"
)

var version = "dev"

//go:embed build/appicon.png
var icon []byte

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shakedown-desktop:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("shakedown-desktop", flag.ContinueOnError)
	data := fs.String("data", desktop.DataDir(), "local mode's data directory (database, packages)")
	serverURL := fs.String("server", os.Getenv("SHAKEDOWN_SERVER"), "start connected to this team server URL")
	libvirtURI := fs.String("libvirt", os.Getenv("SHAKEDOWN_LIBVIRT_URI"), "local mode's libvirt URI (default qemu:///system)")
	demo := fs.Bool("demo", os.Getenv("SHAKEDOWN_DEMO") == "1", "seed the demo dataset into a new local database")
	smoke := fs.String("smoke", os.Getenv("SHAKEDOWN_DESKTOP_SMOKE"), "a JavaScript file to run in the page once it is ready (tests)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	level := slog.LevelInfo
	if os.Getenv("SHAKEDOWN_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	var smokeJS string
	if *smoke != "" {
		raw, err := os.ReadFile(*smoke)
		if err != nil {
			return err
		}
		smokeJS = string(raw)
	}
	dir, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	// One window per data directory: a second start brings it forward.
	instance, err := desktop.AcquireInstance(dir)
	if errors.Is(err, desktop.ErrAlreadyRunning) {
		fmt.Println(err)
		return nil
	}
	if err != nil {
		return err
	}
	defer instance.Release()
	shell, err := desktop.New(context.Background(), desktop.Options{DataDir: dir, ConfigPath: desktop.ConfigPath(), CacheDir: desktop.CacheDir(),
		Frontend: frontend.Dist(), Version: version, Log: log, ServerURL: *serverURL, LocalURI: *libvirtURI, Demo: *demo})
	if err != nil {
		return err
	}
	return window.Run(window.Options{Shell: shell, Instance: instance, Version: version, DataDir: dir, Icon: icon, Log: log, SmokeJS: smokeJS})
}
