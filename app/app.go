//go:build desktop

// Package app is the Wails desktop shell: it shows Shakedown's web UI in a
// native window, served by the same http.Handler as the web server through
// Wails' AssetServer (no TCP port is opened).
package app

import (
	"net/http"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
)

// Options configure the window.
type Options struct {
	Title   string
	Handler http.Handler
}

// Run opens the window and blocks until it is closed.
func Run(o Options) error {
	return wails.Run(&options.App{
		Title:       o.Title,
		Width:       1280,
		Height:      800,
		MinWidth:    1024,
		MinHeight:   640,
		AssetServer: &assetserver.Options{Handler: o.Handler},
	})
}
