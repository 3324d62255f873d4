package api_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestPackageFilesDiffAndReleaseChangesOverHTTP(t *testing.T) {
	e := newEnv(t, false)
	tester, manager := e.user("t1", "tester"), e.user("m1", "manager")
	var rel struct{ ID int64 }
	body := map[string]any{"name": "Web", "version": "1.0", "type": "minor", "environment": "production",
		"planned_start": "2026-12-01T08:00:00Z", "planned_end": "2026-12-01T10:00:00Z"}
	if st := tester.do("POST", "/api/v1/releases", body, &rel); st != 201 {
		t.Fatal(st)
	}
	var p1, p2 pkgOut
	if st := tester.do("POST", fmt.Sprintf("/api/v1/packages?release_id=%d", rel.ID), buildPackage(t, "1.0"), &p1); st != 201 {
		t.Fatal(st)
	}
	if st := tester.do("POST", fmt.Sprintf("/api/v1/packages?release_id=%d", rel.ID), buildPackage(t, "1.1"), &p2); st != 201 {
		t.Fatal(st)
	}

	var files struct {
		Digest string
		Files  []struct {
			Path, Kind, Text string
			Size             int64
			Roles            []string
		}
	}
	if st := manager.do("GET", "/api/v1/packages/"+p2.Digest+"/files", nil, &files); st != 200 || files.Digest != p2.Digest || len(files.Files) != 3 {
		t.Fatalf("files: %d %+v", st, files)
	}
	if f := files.Files[0]; f.Path != "shakedown.json" || f.Kind != "text" || !strings.Contains(f.Text, `"version": "1.1"`) {
		t.Errorf("the manifest first, inline: %+v", f)
	}

	type diffOut struct {
		Added, Removed, Changed, Unchanged int
		Files                              []struct {
			Path, Change string
			Hunks        []struct {
				Lines []struct{ Op, Text string }
			}
		}
	}
	var d diffOut
	if st := manager.do("GET", "/api/v1/packages/"+p2.Digest+"/diff?base="+p1.Digest, nil, &d); st != 200 || d.Changed != 2 || d.Unchanged != 1 {
		t.Fatalf("diff: %d %+v", st, d)
	}
	var er apiError
	if st := manager.do("GET", "/api/v1/packages/"+p2.Digest+"/diff", nil, &er); st != 422 || er.Error.Field != "base" {
		t.Errorf("no base: %d %+v", st, er)
	}
	if st := manager.do("GET", "/api/v1/packages/"+p2.Digest+"/diff?base=sha256:"+strings.Repeat("0", 64), nil, &er); st != 404 || er.Error.Field != "base" {
		t.Errorf("unknown base: %d %+v", st, er)
	}
	if st := manager.do("GET", "/api/v1/packages/nope/files", nil, &er); st != 422 {
		t.Errorf("bad digest: %d", st)
	}

	var ch struct {
		Package struct{ Digest string }
		Bases   []struct {
			Kind    string
			Package struct{ Digest, Version string }
			Diff    *diffOut
		}
	}
	if st := manager.do("GET", fmt.Sprintf("/api/v1/releases/%d/changes", rel.ID), nil, &ch); st != 200 || ch.Package.Digest != p2.Digest || len(ch.Bases) != 1 {
		t.Fatalf("changes: %d %+v", st, ch)
	}
	b := ch.Bases[0]
	if b.Kind != "previous" || b.Package.Digest != p1.Digest || b.Package.Version != "1.0" || b.Diff == nil || b.Diff.Changed != 2 {
		t.Fatalf("previous base: %+v", b)
	}
	if st := manager.do("GET", "/api/v1/releases/9999/changes", nil, &er); st != 404 {
		t.Errorf("unknown release: %d", st)
	}

	// evidence: one test run with each package; the grid says which is which
	run := map[string]any{"name": "Smoke", "target": "qa-1", "checks": []map[string]any{{"name": "home", "passed": true}, {"name": "login", "passed": false, "output": "500"}}}
	if st := tester.do("POST", fmt.Sprintf("/api/v1/releases/%d/evidence", rel.ID), run, nil); st != 201 {
		t.Fatal(st)
	}
	var grid struct {
		Total    int
		Packages []struct {
			Digest                string
			Current               bool
			Count, Passed, Failed int
			VMs                   []string `json:"vms"`
			Rows                  []struct {
				Name  string
				Cells []struct {
					Runs, Failed int
					Failures     []struct{ Stdout string }
				}
			}
		}
		Labs []any
	}
	if st := manager.do("GET", fmt.Sprintf("/api/v1/releases/%d/evidence/grid", rel.ID), nil, &grid); st != 200 || grid.Total != 2 || len(grid.Packages) != 1 {
		t.Fatalf("grid: %d %+v", st, grid)
	}
	g := grid.Packages[0]
	if g.Digest != p2.Digest || !g.Current || g.Count != 2 || g.Failed != 1 || len(g.VMs) != 1 || g.VMs[0] != "qa-1" || len(g.Rows) != 2 ||
		g.Rows[1].Cells[0].Failures[0].Stdout != "500" {
		t.Fatalf("grid package: %+v", g)
	}
}
