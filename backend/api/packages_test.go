package api_test

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/packages"
)

func buildPackage(t *testing.T, version string) []byte {
	t.Helper()
	b, err := packages.Build(packages.Manifest{Name: "webapp", Version: version, Install: "sh install.sh", Verify: "true", Rollback: "true",
		Files: []packages.FilePlace{{Src: "version.txt", Dest: "/srv/www/version.txt"}}},
		[]packages.SourceFile{{Path: "version.txt", Content: version}, {Path: "install.sh", Content: "echo ok"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stored counts what the package store holds: files on disk and rows.
func (e *env) stored() (blobs, tmps, rows int) {
	b, _ := filepath.Glob(filepath.Join(e.dir, "packages", "sha256", "*", "*"))
	tm, _ := filepath.Glob(filepath.Join(e.dir, "packages", "tmp", "*"))
	e.srv.DB.QueryRow(`SELECT count(*) FROM packages`).Scan(&rows)
	return len(b), len(tm), rows
}

type pkgOut struct {
	Digest  string
	Existed bool
	Entries []struct{ Path string }
}

func TestPackageUploadOverHTTP(t *testing.T) {
	e := newEnv(t, false)
	tester, manager := e.user("t1", "tester"), e.user("m1", "manager")
	good := buildPackage(t, "1.0")
	var p pkgOut
	if st := manager.do("POST", "/api/v1/packages", good, nil); st != 403 {
		t.Fatalf("a manager uploading: %d", st)
	}
	if st := tester.do("POST", "/api/v1/packages?filename=webapp.tar.gz", good, &p); st != 201 || p.Existed || len(p.Entries) != 3 {
		t.Fatalf("upload: %d %+v", st, p)
	}
	var again pkgOut
	if st := tester.do("POST", "/api/v1/packages", good, &again); st != 200 || again.Digest != p.Digest || !again.Existed {
		t.Fatalf("re-upload: %d %+v", st, again)
	}
	// The download is the same bytes.
	resp, err := tester.http.Get(e.ts.URL + "/api/v1/packages/" + p.Digest + "/download")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != string(good) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(got))
	}

	// Bad uploads are refused and leave nothing behind.
	var er apiError
	if st := tester.do("POST", "/api/v1/packages", []byte("not an archive"), &er); st != 422 || er.Error.Field != "archive" {
		t.Fatalf("garbage: %d %+v", st, er)
	}
	e.srv.Packages.MaxBytes = int64(len(good)) - 1
	if st := tester.do("POST", "/api/v1/packages", buildPackage(t, "2.0"), &er); st != 413 {
		t.Fatalf("over the limit: %d %+v", st, er)
	}
	e.srv.Packages.MaxBytes = packages.DefaultMaxBytes

	// A client that drops the connection half-way.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	whole := buildPackage(t, "3.0")
	fmt.Fprintf(conn, "POST /api/v1/packages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", tester.bearer(t), len(whole)+10000)
	conn.Write(whole[:len(whole)/2])
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		blobs, tmps, rows := e.stored()
		if blobs == 1 && tmps == 0 && rows == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after rejected uploads: %d blobs, %d temp files, %d rows; want 1, 0, 1", blobs, tmps, rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The scenario of the sign-off: approve, a new package voids it, deploy
// refuses any digest but the approved one.
func TestSignOffOverHTTP(t *testing.T) {
	e := newEnv(t, false)
	tester, mona, max, admin := e.user("t1", "tester"), e.user("m1", "manager"), e.user("m2", "manager"), e.user("a1", "admin")
	var rel struct{ ID int64 }
	body := map[string]any{"name": "Web", "version": "1.0", "type": "major", "environment": "production",
		"planned_start": "2026-12-01T08:00:00Z", "planned_end": "2026-12-01T10:00:00Z"}
	if st := tester.do("POST", "/api/v1/releases", body, &rel); st != 201 {
		t.Fatal(st)
	}
	base := fmt.Sprintf("/api/v1/releases/%d", rel.ID)
	for _, to := range []string{"building", "testing", "awaiting-approval"} {
		if st := tester.do("POST", base+"/transitions", map[string]string{"to": to}, nil); st != 200 {
			t.Fatalf("→ %s: %d", to, st)
		}
	}
	var first, second pkgOut
	tester.do("POST", fmt.Sprintf("/api/v1/packages?release_id=%d", rel.ID), buildPackage(t, "1.0"), &first)
	testRun(t, tester, rel.ID)
	type signOff struct {
		State           string
		ApprovedDigest  string `json:"approved_digest"`
		Valid, Required int
		Decisions       []struct {
			Status     string
			VoidReason string `json:"void_reason"`
		} `json:"decisions"`
	}
	var so signOff
	if st := mona.do("POST", base+"/approvals", map[string]string{"decision": "approve"}, &so); st != 200 || so.Valid != 1 || so.Required != 2 {
		t.Fatalf("first approval: %d %+v", st, so)
	}
	tester.do("POST", fmt.Sprintf("/api/v1/packages?release_id=%d", rel.ID), buildPackage(t, "1.1"), &second)
	testRun(t, tester, rel.ID)
	max.do("GET", base+"/signoff", nil, &so)
	if so.Valid != 0 || so.Decisions[0].Status != "void" || !strings.Contains(so.Decisions[0].VoidReason, "package changed") {
		t.Fatalf("after a new package: %+v", so)
	}
	var er apiError
	if st := mona.do("POST", base+"/approvals", map[string]string{"decision": "reject"}, &er); st != 422 || er.Error.Field != "reason" {
		t.Fatalf("reject without a reason: %d %+v", st, er)
	}
	mona.do("POST", base+"/approvals", map[string]string{"decision": "approve"}, nil)
	max.do("POST", base+"/approvals", map[string]string{"decision": "approve"}, &so)
	if so.ApprovedDigest != second.Digest {
		t.Fatalf("approved digest %q, want %q", so.ApprovedDigest, second.Digest)
	}
	if st := admin.do("POST", base+"/transitions", map[string]string{"to": "deploying", "digest": first.Digest}, &er); st != 409 || er.Error.Field != "digest" {
		t.Fatalf("deploying the old digest: %d %+v", st, er)
	}
	if st := admin.do("POST", base+"/transitions", map[string]string{"to": "deploying", "digest": second.Digest}, nil); st != 200 {
		t.Fatalf("deploying the approved digest: %d", st)
	}
	resp, err := admin.http.Get(e.ts.URL + base + "/report")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), second.Digest) {
		t.Fatalf("report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, err = admin.http.Get(e.ts.URL + "/api/v1/kpis.csv?from=2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(csv), "figure,deployment_frequency,Deployment frequency") {
		t.Fatalf("csv: %d %s", resp.StatusCode, csv)
	}
	if st := admin.do("GET", "/api/v1/kpis?bucket=year", nil, &er); st != 422 || er.Error.Field != "bucket" {
		t.Fatalf("bad bucket: %d %+v", st, er)
	}
}

// bearer creates an API token for the client's user.
func (c *client) bearer(t *testing.T) string {
	t.Helper()
	var created struct{ Secret string }
	if st := c.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "raw"}, &created); st != 201 {
		t.Fatalf("token: %d", st)
	}
	return created.Secret
}

// testRun attaches a passing manual test run of the release's current package.
func testRun(t *testing.T, c *client, releaseID int64) {
	t.Helper()
	if st := c.do("POST", fmt.Sprintf("/api/v1/releases/%d/evidence", releaseID), map[string]any{"name": "Smoke", "target": "staging",
		"checks": []map[string]any{{"name": "home page", "passed": true, "output": "HTTP 200"}}}, nil); st != 201 {
		t.Fatalf("test run: %d", st)
	}
}
