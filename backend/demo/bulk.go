package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
)

// Bulk creates n releases spread over two years (from a year ago, one every
// 105 minutes), each with two changes and one or two CIs from the catalog,
// for load tests and benchmarks. Every fifth release planned to start more
// than a day ago went through its whole life, on its own dates: built,
// tested with a package and evidence, approved, deployed (one in eight of
// them failed and rolled back), reviewed and closed; so the KPIs and the
// release history have a year of real records to read.
func Bulk(ctx context.Context, rs *release.Service, ps *packages.Store, n int, progress func(done int)) error {
	cis, _, err := rs.ListCIs(ctx, release.CIFilter{Limit: 200})
	if err != nil {
		return err
	}
	if len(cis) == 0 {
		for i := 1; i <= 20; i++ {
			name, kind, env, crit := fmt.Sprintf("bulk-ci-%02d", i), "vm", "production", []string{"low", "medium", "high", "critical"}[i%4]
			c, err := rs.CreateCI(ctx, auth.System, release.CIInput{Name: &name, Kind: &kind, Environment: &env, Criticality: &crit})
			if err != nil {
				return err
			}
			cis = append(cis, c)
		}
	}
	defer rs.SetClock(time.Now)
	defer ps.SetClock(time.Now)
	now := time.Now().UTC()
	base := now.Truncate(time.Hour).AddDate(-1, 0, 0)
	types := []release.Type{release.TypeMinor, release.TypeMinor, release.TypeMajor, release.TypeEmergency}
	envs := []string{"production", "production", "staging"}
	for i := 0; i < n; i++ {
		name, version := fmt.Sprintf("Service %03d", i%500), fmt.Sprintf("%d.%d.%d", i/500+1, i%7, i%13)
		typ, env := types[i%len(types)], envs[i%len(envs)]
		desc := "Bulk release for load tests"
		start := base.Add(time.Duration(i) * 105 * time.Minute)
		s, e := start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339)
		changes := []release.ChangeInput{
			{RFC: fmt.Sprintf("RFC-%d", 10000+2*i), Title: "Application update", Risk: []string{"low", "medium", "high"}[i%3]},
			{RFC: fmt.Sprintf("RFC-%d", 10001+2*i), Title: "Configuration change", Risk: "low"},
		}
		ciIDs := []int64{cis[i%len(cis)].ID}
		if i%3 == 0 {
			ciIDs = append(ciIDs, cis[(i+7)%len(cis)].ID)
		}
		walk := i%5 == 0 && start.Before(now.Add(-24*time.Hour))
		created := start.Add(-7 * 24 * time.Hour)
		if created.After(now) {
			created = now
		}
		setClock(rs, ps, created)
		r, err := rs.Create(ctx, auth.System, release.Input{Name: &name, Version: &version, Type: &typ, Description: &desc,
			Environment: &env, PlannedStart: &s, PlannedEnd: &e, Changes: &changes, CIIDs: &ciIDs})
		if err != nil {
			return fmt.Errorf("bulk release %d: %w", i, err)
		}
		if walk {
			if err := bulkLife(ctx, rs, ps, r, i, start); err != nil {
				return fmt.Errorf("bulk release %d's life: %w", i, err)
			}
		}
		if progress != nil && (i+1)%1000 == 0 {
			progress(i + 1)
		}
	}
	return nil
}

// The people of a bulk release's life: who builds and tests may not sign off.
var (
	bulkTester   = auth.Actor{Username: "bulk-tester", Roles: []auth.Role{auth.RoleTester}}
	bulkManagers = []auth.Actor{{Username: "bulk-manager-1", Roles: []auth.Role{auth.RoleManager}}, {Username: "bulk-manager-2", Roles: []auth.Role{auth.RoleManager}}}
	bulkAdmin    = auth.Actor{Username: "bulk-admin", Roles: []auth.Role{auth.RoleAdmin}}
)

// bulkLife takes release r (the i-th) from planned to closed around its
// planned start, each step at its own time.
func bulkLife(ctx context.Context, rs *release.Service, ps *packages.Store, r *release.Release, i int, start time.Time) error {
	at := func(h float64) time.Time { return start.Add(time.Duration(h * float64(time.Hour))) }
	type step struct {
		at  time.Time
		run func() error
	}
	move := func(by auth.Actor, to release.State, reason string) func() error {
		return func() error { _, err := rs.Transition(ctx, by, r.ID, to, reason); return err }
	}
	failed := i%40 == 0
	steps := []step{
		{at(-72), move(bulkTester, release.StateBuilding, "")},
		{at(-70), move(bulkTester, release.StateTesting, "")},
		{at(-48), func() error {
			return buildPackage(ctx, rs, ps, bulkTester, r.ID, fmt.Sprintf("service-%03d", i%500), 1)
		}},
		{at(-47), move(bulkTester, release.StateAwaitingApproval, "")},
	}
	approvals := 1
	if r.Type == release.TypeMajor {
		approvals = 2
	}
	for m := 0; m < approvals; m++ {
		steps = append(steps, step{at(-24 + float64(m)), func() error {
			_, err := rs.Decide(ctx, bulkManagers[m], r.ID, release.DecisionInput{Decision: release.DecisionApprove, Reason: "Evidence reviewed."})
			return err
		}})
	}
	steps = append(steps, step{at(0), move(bulkAdmin, release.StateDeploying, "")})
	review := release.ReviewInput{Outcome: release.OutcomeSuccessful, Lessons: "As planned."}
	if failed {
		steps = append(steps, step{at(0.5), move(bulkAdmin, release.StateFailed, "Health checks failed")},
			step{at(1.5), move(bulkAdmin, release.StateRolledBack, "Restored the previous version")})
		review = release.ReviewInput{Outcome: release.OutcomeRolledBack, Lessons: "Test with production data."}
	} else {
		steps = append(steps, step{at(1), move(bulkAdmin, release.StateDeployed, "")})
	}
	steps = append(steps, step{at(20), func() error { _, err := rs.PutReview(ctx, bulkManagers[0], r.ID, review); return err }},
		step{at(22), move(bulkManagers[0], release.StateClosed, "")})
	for _, st := range steps {
		setClock(rs, ps, st.at)
		if err := st.run(); err != nil {
			return err
		}
	}
	return nil
}

func setClock(rs *release.Service, ps *packages.Store, t time.Time) {
	clock := func() time.Time { return t }
	rs.SetClock(clock)
	ps.SetClock(clock)
}
