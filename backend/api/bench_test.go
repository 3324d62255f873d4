package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/demo"
	"github.com/shakedown/shakedown/backend/server"
)

// BenchmarkListReleases serves GET /api/v1/releases?limit=50 in-process
// from a database of 2,000 releases (or the one SHAKEDOWN_BENCH_DATA
// points at, e.g. build/bench-data-10000 made by scripts/bench.sh).
func BenchmarkListReleases(b *testing.B) {
	dir := os.Getenv("SHAKEDOWN_BENCH_DATA")
	if dir == "" {
		dir = b.TempDir()
	} else {
		tmp := b.TempDir()
		raw, err := os.ReadFile(filepath.Join(dir, "shakedown.db"))
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(tmp, "shakedown.db"), raw, 0o600)
		dir = tmp
	}
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{DataDir: dir, AdminPassword: adminPassword, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LocalURI: "test:///default", PoolDir: "/sdtest-pool"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	if os.Getenv("SHAKEDOWN_BENCH_DATA") == "" {
		if err := demo.Bulk(ctx, srv.Releases, srv.Packages, 2000, nil); err != nil {
			b.Fatal(err)
		}
	}
	_, secret, err := srv.Auth.CreateToken(ctx, auth.Actor{UserID: 1, Username: "admin"}, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/releases?limit=50", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
