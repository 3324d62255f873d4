package api_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// The KPIs of an environment no release is in are refused, naming the
// environments there are, rather than answered with zeros.
func TestKPIsRefuseAnUnknownEnvironment(t *testing.T) {
	e := newEnv(t, true)
	c := e.user("kira", "tester")
	var er apiError
	if st := c.do("GET", "/api/v1/kpis?environment=nope", nil, &er); st != 422 || er.Error.Field != "environment" ||
		!strings.Contains(er.Error.Message, "production") || !strings.Contains(er.Error.Message, `"nope"`) {
		t.Fatalf("unknown environment: %d %+v", st, er)
	}
	if st := c.do("GET", "/api/v1/kpis.csv?environment=nope", nil, &er); st != 422 || er.Error.Field != "environment" {
		t.Fatalf("unknown environment as CSV: %d %+v", st, er)
	}
	var rep struct{ Environment string }
	if st := c.do("GET", "/api/v1/kpis?environment=production", nil, &rep); st != 200 || rep.Environment != "production" {
		t.Fatalf("a known environment: %d %+v", st, rep)
	}
}

// A change may carry its commit time (RFC 3339, not in the future); the
// release shows it, and saving the changes again replaces it.
func TestChangeCommitTime(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("admin", adminPassword)
	var ci struct{ ID int64 }
	if st := c.do("POST", "/api/v1/cis", map[string]string{"name": "web-1", "kind": "vm", "environment": "production", "criticality": "low"}, &ci); st != 201 {
		t.Fatal(st)
	}
	body := func(committed string) map[string]any {
		return map[string]any{"name": "Web", "version": "1.0", "type": "minor", "environment": "production",
			"planned_start": "2030-12-01T08:00:00Z", "planned_end": "2030-12-01T10:00:00Z", "ci_ids": []int64{ci.ID},
			"changes": []map[string]string{{"rfc": "RFC-1", "title": "Patch", "risk": "low", "committed_at": committed}, {"rfc": "RFC-2", "title": "Config", "risk": "low"}}}
	}
	for _, bad := range []string{"yesterday", "2026-13-01T00:00:00Z", time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "1969-12-31T23:59:59Z"} {
		var er apiError
		if st := c.do("POST", "/api/v1/releases", body(bad), &er); st != 422 || er.Error.Field != "changes[0].committed_at" || er.Error.Message == "" {
			t.Errorf("commit time %q: %d %+v", bad, st, er)
		}
	}
	type rel struct {
		ID      int64
		Changes []map[string]any
	}
	commit := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	var r rel
	if st := c.do("POST", "/api/v1/releases", body(commit.Format(time.RFC3339)), &r); st != 201 {
		t.Fatalf("create: %d", st)
	}
	var got rel
	c.do("GET", "/api/v1/releases/"+strconv.FormatInt(r.ID, 10), nil, &got)
	if len(got.Changes) != 2 {
		t.Fatalf("changes %+v", got.Changes)
	}
	at, err := time.Parse(time.RFC3339, got.Changes[0]["committed_at"].(string))
	if err != nil || !at.Equal(commit) {
		t.Errorf("committed_at shown as %v (%v), want %s", got.Changes[0]["committed_at"], err, commit)
	}
	if _, given := got.Changes[1]["committed_at"]; given {
		t.Errorf("a change without a commit time shows one: %+v", got.Changes[1])
	}
	// Saving the changes without it clears it.
	var saved rel
	if st := c.do("PATCH", "/api/v1/releases/"+strconv.FormatInt(r.ID, 10), map[string]any{"changes": body("")["changes"]}, &saved); st != 200 {
		t.Fatalf("update: %d", st)
	}
	if _, given := saved.Changes[0]["committed_at"]; given {
		t.Errorf("the commit time stayed after the changes were saved without it: %+v", saved.Changes[0])
	}
}
