package release

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestEvidenceGridFoldsRoundsPerCheckAndVMAndSaysWhichPackage(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	old := mkPackage(t, s, r.ID, "a", tester) // one manual record with the old package
	cur := mkPackage(t, s, r.ID, "b", tester) // and one with the current package
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var batch []LabResult
	for _, vm := range []string{"web-1", "web-2"} {
		batch = append(batch, LabResult{At: t0, VM: vm, Kind: EvidenceInstall, Name: "install", Passed: true})
	}
	if err := s.RecordLabEvidence(ctx, tester, r.ID, "lab-1", cur, batch); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 3; round++ {
		at := t0.Add(time.Duration(round) * time.Minute)
		batch = nil
		for _, vm := range []string{"web-2", "web-1"} {
			failed := vm == "web-2" && round == 2
			batch = append(batch, LabResult{At: at, VM: vm, Kind: EvidenceCheck, Name: "http 200", Round: round, Passed: !failed,
				ExitCode: map[bool]int{true: 7}[failed], Stderr: map[bool]string{true: "connection refused"}[failed]})
		}
		batch = append(batch, LabResult{At: at, VM: "web-1", Kind: EvidenceCheck, Name: "verify", Round: round, Passed: true})
		if err := s.RecordLabEvidence(ctx, tester, r.ID, "lab-1", cur, batch); err != nil {
			t.Fatal(err)
		}
	}
	g, err := s.EvidenceGrid(ctx, manager, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Total != 1+1+2+9 || len(g.Packages) != 2 {
		t.Fatalf("total %d, packages %d", g.Total, len(g.Packages))
	}
	p := g.Packages[0]
	if p.Digest != cur || !p.Current || p.Version != "b" || p.Count != 12 || p.Passed != 11 || p.Failed != 1 {
		t.Fatalf("current package evidence: %+v", p)
	}
	if g.Packages[1].Digest != old || g.Packages[1].Current || g.Packages[1].Count != 1 {
		t.Errorf("older package evidence: %+v", g.Packages[1])
	}
	// the sign-off counts the same records for this package
	so, err := s.SignOff(ctx, manager, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if so.PackageEvidence.Count != p.Count || so.PackageEvidence.Failed != p.Failed || so.EvidenceCount != g.Total {
		t.Errorf("sign-off counts %+v / %d, grid %d / %d", so.PackageEvidence, so.EvidenceCount, p.Count, g.Total)
	}
	if len(p.VMs) != 3 || p.VMs[0] != "lab" || p.VMs[1] != "web-1" || p.Rounds != 3 || p.Seconds != int64(p.LastAt.Sub(*p.FirstAt).Seconds()) ||
		len(p.Labs) != 1 || len(p.Testers) != 2 {
		t.Errorf("summary: vms %v rounds %d seconds %d labs %v testers %v", p.VMs, p.Rounds, p.Seconds, p.Labs, p.Testers)
	}
	// install first, then the checks by name, then the manual run
	names := []string{}
	for _, row := range p.Rows {
		names = append(names, string(row.Kind)+":"+row.Name)
	}
	if len(names) != 4 || names[0] != "install:install" || names[1] != "check:http 200" || names[2] != "check:verify" || names[3] != "manual:Smoke: home page" {
		t.Fatalf("rows %v", names)
	}
	http := p.Rows[1]
	if http.Rounds != 3 || http.LastAt.Sub(http.FirstAt) != 2*time.Minute || http.Runs != 6 || http.Failed != 1 || len(http.Cells) != 3 {
		t.Fatalf("http row %+v", http)
	}
	web2 := http.Cells[2]
	if web2.VM != "web-2" || web2.Runs != 3 || web2.Failed != 1 || !web2.LastPassed || len(web2.Failures) != 1 ||
		web2.Failures[0].Stderr != "connection refused" || web2.Failures[0].Round != 2 {
		t.Errorf("web-2 cell %+v", web2)
	}
	if c := http.Cells[0]; c.VM != "lab" || c.Runs != 0 {
		t.Errorf("an empty cell %+v", c)
	}
	if c := p.Rows[2].Cells[2]; c.Runs != 0 {
		t.Errorf("verify ran only on web-1: %+v", c)
	}

	// the report shows the same grid and the same count
	page, err := s.Report(ctx, manager, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12 evidence records taken with the current package", "1 more taken with earlier packages do not count for it",
		"With the current package", "With an earlier package", "✕ 1 of 3", "connection refused", "<th>web-2</th>", "table-layout: fixed"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestADecisionCountsTheEvidenceOfItsPackage(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, tester, input("Web", "1", at(1, 8), at(1, 9)))
	toAwaiting(t, s, r.ID)
	mkPackage(t, s, r.ID, "a", tester)
	mkPackage(t, s, r.ID, "b", tester)
	if _, err := s.AddEvidence(ctx, tester, r.ID, EvidenceInput{Name: "Load", Target: "qa", Checks: []ManualCheck{{Name: "p95", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	so, err := s.Decide(ctx, manager, r.ID, DecisionInput{Decision: DecisionApprove})
	if err != nil {
		t.Fatal(err)
	}
	d := so.Decisions[0]
	if d.EvidenceCount != 3 || d.PackageEvidenceCount != 2 || so.PackageEvidence.Count != 2 {
		t.Fatalf("decision counts %d of every package, %d of its own; sign-off %d", d.EvidenceCount, d.PackageEvidenceCount, so.PackageEvidence.Count)
	}
	// evidence recorded later voids the approval and is not counted for it
	if _, err := s.AddEvidence(ctx, tester, r.ID, EvidenceInput{Name: "Load", Target: "qa", Checks: []ManualCheck{{Name: "p99", Passed: true}}}); err != nil {
		t.Fatal(err)
	}
	so, _ = s.SignOff(ctx, manager, r.ID)
	if d := so.Decisions[0]; d.Status != DecisionVoid || d.PackageEvidenceCount != 2 {
		t.Fatalf("after new evidence: %+v", d)
	}
}
