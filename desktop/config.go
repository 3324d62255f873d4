// Package desktop is the desktop app's logic that does not need a window:
// its settings, the local mode (the whole backend in-process, signed in as
// the local user) and the connected mode (the same UI in front of a team
// server), the live-event bridge and the choice of desktop notifications.
// Its Wails window, in desktop/window, wires it to a native window.
package desktop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes.
const (
	ModeLocal     = "local"
	ModeConnected = "connected"
)

// Config is what the desktop app remembers between runs.
type Config struct {
	Mode      string `json:"mode"`
	ServerURL string `json:"server_url"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

// xdg returns an XDG base directory: the variable if set, else the default
// under the home directory.
func xdg(env, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, fallback)
}

// DataDir is where local mode keeps its database and packages:
// $SHAKEDOWN_DATA, else $XDG_DATA_HOME/shakedown (~/.local/share/shakedown).
func DataDir() string {
	if d := os.Getenv("SHAKEDOWN_DATA"); d != "" {
		return d
	}
	return filepath.Join(xdg("XDG_DATA_HOME", ".local/share"), "shakedown")
}

// ConfigPath is the settings file: $XDG_CONFIG_HOME/shakedown/desktop.json.
func ConfigPath() string {
	return filepath.Join(xdg("XDG_CONFIG_HOME", ".config"), "shakedown", "desktop.json")
}

// CacheDir holds files the app writes for other programs (reports opened in
// the browser): $XDG_CACHE_HOME/shakedown.
func CacheDir() string {
	return filepath.Join(xdg("XDG_CACHE_HOME", ".cache"), "shakedown")
}

// LoadConfig reads the settings; a missing file gives the defaults (local
// mode, 1280×800).
func LoadConfig(path string) (Config, error) {
	c := Config{Mode: ModeLocal, Width: 1280, Height: 800}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Config{Mode: ModeLocal, Width: 1280, Height: 800}, fmt.Errorf("%s is not valid JSON (%v): using the defaults", path, err)
	}
	if c.Mode != ModeConnected || c.ServerURL == "" {
		c.Mode = ModeLocal
	}
	c.Width, c.Height = clamp(c.Width, 800, 7680, 1280), clamp(c.Height, 600, 4320, 800)
	return c, nil
}

func clamp(v, lo, hi, def int) int {
	if v == 0 {
		return def
	}
	return max(lo, min(hi, v))
}

// Save writes the settings atomically (a crash never leaves half a file).
func (c Config) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(c, "", "  ")
	tmp, err := os.CreateTemp(filepath.Dir(path), ".desktop-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
