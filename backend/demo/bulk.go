package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/release"
)

// Bulk creates n releases spread over two years, each with two changes and
// one or two CIs from the catalog, for load tests and benchmarks.
func Bulk(ctx context.Context, rs *release.Service, n int, progress func(done int)) error {
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
	base := time.Now().UTC().Truncate(time.Hour).AddDate(-1, 0, 0)
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
		if _, err := rs.Create(ctx, auth.System, release.Input{Name: &name, Version: &version, Type: &typ, Description: &desc,
			Environment: &env, PlannedStart: &s, PlannedEnd: &e, Changes: &changes, CIIDs: &ciIDs}); err != nil {
			return fmt.Errorf("bulk release %d: %w", i, err)
		}
		if progress != nil && (i+1)%1000 == 0 {
			progress(i + 1)
		}
	}
	return nil
}
