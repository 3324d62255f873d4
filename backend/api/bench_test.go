package api_test

import (
	"bytes"
	"context"
	"fmt"
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

// BenchmarkTargetImport posts a 1,000-row CSV to POST /targets/import
// in-process: "create" makes 1,000 new host CIs with their targets and
// tags (new names every round), "update" sends the same 1,000 rows again
// (every CI exists), "dry-run" only checks them.
func BenchmarkTargetImport(b *testing.B) {
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{DataDir: b.TempDir(), AdminPassword: adminPassword, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LocalURI: "test:///default", PoolDir: "/sdtest-pool"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	_, secret, err := srv.Auth.CreateToken(ctx, auth.Actor{UserID: 1, Username: "admin", Roles: auth.AllRoles}, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	post := func(b *testing.B, query string, csv []byte) {
		req := httptest.NewRequest("POST", "/api/v1/targets/import"+query, bytes.NewReader(csv))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "text/csv")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %.300s", w.Code, w.Body)
		}
	}
	round := 0
	b.Run("create", func(b *testing.B) {
		for b.Loop() {
			round++
			post(b, "", thousandRows(fmt.Sprintf("bench%d", round)))
		}
	})
	again := thousandRows("bench1")
	b.Run("update", func(b *testing.B) {
		for b.Loop() {
			post(b, "", again)
		}
	})
	b.Run("dry-run", func(b *testing.B) {
		for b.Loop() {
			post(b, "?dry_run=true", again)
		}
	})
}
