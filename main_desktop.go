//go:build desktop

// Command shakedown-desktop is Shakedown in a desktop window: the whole
// backend runs in-process with a per-user data directory.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/shakedown/shakedown/app"
	"github.com/shakedown/shakedown/backend/server"
	"github.com/shakedown/shakedown/frontend"
)

var version = "dev"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shakedown-desktop:", err)
		os.Exit(1)
	}
}

// dataDir follows the XDG base directory convention.
func dataDir() string {
	if d := os.Getenv("SHAKEDOWN_DATA"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "shakedown")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "shakedown")
}

func run() error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := server.New(context.Background(), server.Config{DataDir: dataDir(),
		AdminPassword: os.Getenv("SHAKEDOWN_ADMIN_PASSWORD"), Version: version, Frontend: frontend.Dist(), Log: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Start()
	return app.Run(app.Options{Title: "Shakedown", Handler: srv.Handler()})
}
