package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

// What runs where: GET /cis/{id}/installs lists what rollouts installed on a
// target and rolled back, newest first, with the release named, to every
// signed-in user. The lines are written here as the rollout engine writes
// them (its own tests make them through real rollouts on a fake libvirt
// host; without libvirt no rollout here could install anything).
func TestCIInstallsSayWhatRunsWhere(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("admin", adminPassword)
	tess := e.user("tess", "tester")
	web1, web2 := admin.newCI("web-1", "vm", "production"), admin.newCI("web-2", "vm", "production")
	release := func(version string) int64 {
		var r struct{ ID int64 }
		if st := admin.do("POST", "/api/v1/releases", map[string]any{"name": "Shop", "version": version, "type": "minor", "environment": "production",
			"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z"}, &r); st != 201 {
			t.Fatalf("create release %s: %d", version, st)
		}
		return r.ID
	}
	v1, v2 := release("1.0"), release("2.0")

	ctx := context.Background()
	base := time.Date(2031, 1, 2, 9, 0, 0, 0, time.UTC)
	at := func(min int) string { return store.FormatTime(base.Add(time.Duration(min) * time.Minute)) }
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.srv.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		id  string
		rel int64
	}{{"ro-one", v1}, {"ro-two", v2}} {
		exec(`INSERT INTO rollouts (id, release_id, digest, plan, status, created_by, created_at, updated_at) VALUES (?, ?, ?, '{}', 'succeeded', 'admin', ?, ?)`,
			r.id, r.rel, "sha256:"+r.id, at(0), at(0))
	}
	install := func(ci, rel int64, rollout, state string, min int) {
		exec(`INSERT INTO target_installs (ci_id, release_id, digest, rollout_id, state, at) VALUES (?, ?, ?, ?, ?, ?)`, ci, rel, "sha256:"+rollout, rollout, state, at(min))
	}
	install(web1, v1, "ro-one", "installed", 1)
	install(web1, v2, "ro-two", "installed", 10)
	install(web1, v2, "ro-two", "rolled-back", 12)

	type line struct {
		ReleaseID      int64  `json:"release_id"`
		ReleaseName    string `json:"release_name"`
		ReleaseVersion string `json:"release_version"`
		Digest         string
		RolloutID      string `json:"rollout_id"`
		State          string
		At             time.Time
	}
	var got struct{ Items []line }
	if st := tess.do("GET", fmt.Sprintf("/api/v1/cis/%d/installs", web1), nil, &got); st != 200 {
		t.Fatalf("installs of web-1: %d", st)
	}
	want := []line{
		{v2, "Shop", "2.0", "sha256:ro-two", "ro-two", "rolled-back", base.Add(12 * time.Minute)},
		{v2, "Shop", "2.0", "sha256:ro-two", "ro-two", "installed", base.Add(10 * time.Minute)},
		{v1, "Shop", "1.0", "sha256:ro-one", "ro-one", "installed", base.Add(time.Minute)},
	}
	if len(got.Items) != len(want) {
		t.Fatalf("installs of web-1: %+v", got.Items)
	}
	for i, w := range want {
		g := got.Items[i]
		if !g.At.Equal(w.At) {
			t.Errorf("line %d at %s, want %s", i, g.At, w.At)
		}
		g.At = w.At
		if g != w {
			t.Errorf("line %d: %+v, want %+v", i, g, w)
		}
	}
	if st := tess.do("GET", fmt.Sprintf("/api/v1/cis/%d/installs?limit=1", web1), nil, &got); st != 200 || len(got.Items) != 1 || got.Items[0].State != "rolled-back" {
		t.Fatalf("the newest line alone: %d %+v", st, got.Items)
	}
	// A target nothing was rolled out to: an empty list, not null.
	_, raw := tess.send("GET", fmt.Sprintf("/api/v1/cis/%d/installs", web2), "", nil, nil)
	if strings.TrimSpace(string(raw)) != `{"items":[]}` {
		t.Fatalf("installs of web-2: %s", raw)
	}
	var er apiError
	if st := tess.do("GET", "/api/v1/cis/999999/installs", nil, &er); st != 404 {
		t.Fatalf("an unknown CI: %d %+v", st, er)
	}
	if st := tess.do("GET", fmt.Sprintf("/api/v1/cis/%d/installs?limit=0", web1), nil, &er); st != 422 || er.Error.Field != "limit" {
		t.Fatalf("limit=0: %d %+v", st, er)
	}
	if st := e.anon().do("GET", fmt.Sprintf("/api/v1/cis/%d/installs", web1), nil, nil); st != 401 {
		t.Fatalf("signed out: %d", st)
	}
}
