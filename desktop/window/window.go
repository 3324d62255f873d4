//go:build desktop

// Package window is the desktop app's Wails window: one native window showing
// Shakedown's UI, served by desktop.Shell through Wails' AssetServer (no TCP
// port is opened), with a native menu, live events as Wails events, desktop
// notifications and a remembered window size; a later start of the same data
// directory brings this window forward.
package window

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/shakedown/shakedown/desktop"
)

// Event names shared with frontend/src/lib/events.ts and desktop.svelte.ts.
const (
	eventName    = "shakedown:event"
	navigateName = "shakedown:navigate"
)

// Options configure the window.
type Options struct {
	Shell    *desktop.Shell
	Instance *desktop.Instance
	Version  string
	DataDir  string
	Icon     []byte
	Log      *slog.Logger
	// SmokeJS, when set, runs in the page once it is ready (the smoke test).
	SmokeJS string
}

type window struct {
	o           Options
	ctx         context.Context
	notify      bool
	smokeJSDone bool
}

// Run opens the window and blocks until it is closed.
func Run(o Options) error {
	w := &window{o: o}
	cfg := o.Shell.Config()
	return wails.Run(&options.App{
		Title:       "Shakedown",
		Width:       cfg.Width,
		Height:      cfg.Height,
		MinWidth:    1024,
		MinHeight:   640,
		AssetServer: &assetserver.Options{Handler: o.Shell},
		Menu:        w.menu(),
		OnStartup:   w.startup,
		OnDomReady:  w.domReady,
		OnBeforeClose: func(ctx context.Context) bool {
			width, height := runtime.WindowGetSize(ctx)
			o.Shell.SaveWindowSize(width, height)
			return false
		},
		OnShutdown:       func(context.Context) { o.Shell.Close() },
		BackgroundColour: &options.RGBA{R: 243, G: 244, B: 246, A: 255},
		Linux:            &linux.Options{Icon: o.Icon, ProgramName: "shakedown-desktop", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
	})
}

func (w *window) startup(ctx context.Context) {
	w.ctx = ctx
	s := w.o.Shell
	w.o.Instance.OnShow(func() {
		w.o.Log.Info("another start asked for this window")
		runtime.WindowUnminimise(ctx)
		runtime.WindowShow(ctx)
	})
	s.Emit = func(raw []byte) { runtime.EventsEmit(ctx, eventName, string(raw)) }
	s.OpenURL = func(url string) { runtime.BrowserOpenURL(ctx, url) }
	if err := runtime.InitializeNotifications(ctx); err != nil {
		w.o.Log.Info("desktop notifications are not available", "err", err)
	} else {
		w.notify = runtime.IsNotificationAvailable(ctx)
	}
	s.Notify = func(n desktop.Notification) {
		w.o.Log.Info("notification", "title", n.Title, "body", n.Body)
		if w.notify {
			if err := runtime.SendNotification(ctx, runtime.NotificationOptions{ID: n.ID, Title: n.Title, Body: n.Body}); err != nil {
				w.o.Log.Warn("notification failed", "err", err)
			}
		}
	}
	s.OnSmoke = func(result []byte) { fmt.Printf("desktop smoke: %s\n", result) }
	s.Painted = func(ms int64) { fmt.Printf("desktop first paint of the board: %d ms after start\n", ms) }
	s.Start()
	// SIGTERM and Ctrl-C close the window like the menu's Quit does.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		runtime.Quit(ctx)
	}()
}

func (w *window) domReady(ctx context.Context) {
	if w.o.SmokeJS != "" && !w.smokeJSDone {
		w.smokeJSDone = true
		runtime.WindowExecJS(ctx, w.o.SmokeJS)
	}
}

// navigate shows a screen of the UI (the frontend's router follows).
func (w *window) navigate(path string) func(*menu.CallbackData) {
	return func(*menu.CallbackData) { runtime.EventsEmit(w.ctx, navigateName, path) }
}

func (w *window) menu() *menu.Menu {
	m := menu.NewMenu()
	file := m.AddSubmenu("File")
	file.AddText("New release", keys.CmdOrCtrl("n"), w.navigate("/releases/new"))
	file.AddSeparator()
	file.AddText("Connect to a team server…", nil, w.navigate("/desktop/connect"))
	file.AddText("Use local Shakedown", nil, func(*menu.CallbackData) {
		if err := w.o.Shell.UseLocal(w.ctx); err != nil {
			runtime.MessageDialog(w.ctx, runtime.MessageDialogOptions{Type: runtime.ErrorDialog, Title: "Local mode", Message: err.Error()})
			return
		}
		runtime.WindowReloadApp(w.ctx)
	})
	file.AddSeparator()
	file.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { runtime.Quit(w.ctx) })

	view := m.AddSubmenu("View")
	for i, v := range []struct{ label, path string }{
		{"Board", "/board"}, {"Releases", "/releases"}, {"Approvals", "/approvals"}, {"KPIs", "/kpis"}, {"Calendar", "/calendar"},
	} {
		view.AddText(v.label, keys.CmdOrCtrl(fmt.Sprint(i+1)), w.navigate(v.path))
	}
	view.AddSeparator()
	view.AddText("Reload", keys.CmdOrCtrl("r"), func(*menu.CallbackData) { runtime.WindowReload(w.ctx) })
	fullscreen := false
	view.AddText("Full screen", keys.Key("F11"), func(*menu.CallbackData) {
		if fullscreen = !fullscreen; fullscreen {
			runtime.WindowFullscreen(w.ctx)
		} else {
			runtime.WindowUnfullscreen(w.ctx)
		}
	})

	help := m.AddSubmenu("Help")
	help.AddText("Open the data folder", nil, func(*menu.CallbackData) { runtime.BrowserOpenURL(w.ctx, "file://"+w.o.DataDir) })
	help.AddText("About Shakedown", nil, func(*menu.CallbackData) {
		cfg := w.o.Shell.Config()
		where := "local mode, data in " + w.o.DataDir
		if cfg.Mode == desktop.ModeConnected {
			where = "connected to " + cfg.ServerURL
		}
		runtime.MessageDialog(w.ctx, runtime.MessageDialogOptions{Type: runtime.InfoDialog, Title: "About Shakedown",
			Message: fmt.Sprintf("Shakedown %s\nITIL release management: plan, prove in a VM lab, sign off, roll out.\n\nThis window: %s.", w.o.Version, where)})
	})
	return m
}
