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
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/demo"
	"github.com/shakedown/shakedown/backend/server"
)

// BenchmarkReads serves the heavy reads in-process (the release list, this
// month's calendar, 90 days of KPIs, and /auth/me as the ceiling) from a
// database of 2,000 bulk releases, or the one SHAKEDOWN_BENCH_DATA points at
// (a directory scripts/bench.sh seeded under build/cache/).
func BenchmarkReads(b *testing.B) {
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
	_, secret, err := srv.Auth.CreateToken(ctx, auth.Actor{UserID: 1, Username: "admin"}, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	month := time.Now().UTC().Format("2006-01") + "-01"
	next, _ := time.Parse(time.DateOnly, month)
	for _, bc := range []struct{ name, path string }{
		{"auth-me", "/api/v1/auth/me"},
		{"list", "/api/v1/releases?limit=50"},
		{"calendar-month", "/api/v1/calendar?from=" + month + "T00:00:00Z&to=" + next.AddDate(0, 1, 0).Format(time.DateOnly) + "T00:00:00Z"},
		{"kpis-90d", "/api/v1/kpis?bucket=week"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", bc.path, nil)
					req.Header.Set("Authorization", "Bearer "+secret)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}
