// Package demo seeds a living release board for newcomers: users of every
// role, a CI catalog, freeze windows and a dozen releases across every
// lifecycle state, made through the real services so that their audit
// history, risk and conflicts are real.
package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

type step struct {
	at     time.Time
	by     auth.Actor
	rel    string
	to     release.State
	reason string
}

// Seed fills an empty database (no releases yet) and reports whether it did.
func Seed(ctx context.Context, as *auth.Service, rs *release.Service, db *store.DB, password, vmPrefix string, now time.Time) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM releases`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	defer rs.SetClock(time.Now)
	now = now.UTC().Truncate(24 * time.Hour).Add(8 * time.Hour)
	day := func(d float64) time.Time { return now.Add(time.Duration(d * 24 * float64(time.Hour))) }
	rs.SetClock(func() time.Time { return day(-60) })

	actors := map[string]auth.Actor{}
	for _, u := range []struct {
		name, display string
		roles         []auth.Role
	}{
		{"tess", "Tess Tester", []auth.Role{auth.RoleTester}},
		{"mona", "Mona Manager", []auth.Role{auth.RoleManager}},
		{"max", "Max Manager", []auth.Role{auth.RoleManager}},
		{"adam", "Adam Admin", []auth.Role{auth.RoleAdmin}},
	} {
		roles := u.roles
		created, err := as.CreateUser(ctx, auth.System, auth.UserInput{Username: &u.name, DisplayName: &u.display, Password: &password, Roles: &roles})
		if err != nil {
			return false, fmt.Errorf("demo user %s: %w", u.name, err)
		}
		actors[u.name] = auth.Actor{UserID: created.ID, Username: created.Username, Roles: created.Roles}
	}
	tess, mona, max, adam := actors["tess"], actors["mona"], actors["max"], actors["adam"]

	cis := map[string]int64{}
	for _, c := range []struct{ name, kind, env, crit, desc string }{
		{"prod-web-1", "vm", "production", "high", "Web front end, node 1 (libvirt VM)"},
		{"prod-web-2", "vm", "production", "high", "Web front end, node 2 (libvirt VM)"},
		{"prod-db-1", "vm", "production", "critical", "Primary PostgreSQL database (libvirt VM)"},
		{"prod-lb-1", "host", "production", "critical", "HAProxy load balancer (bare metal, SSH)"},
		{"prod-batch-1", "host", "production", "medium", "Nightly batch and ETL host (SSH)"},
		{"stage-web-1", "vm", "staging", "low", "Staging web node"},
	} {
		name, kind, env, crit, desc := c.name, c.kind, c.env, c.crit, c.desc
		in := release.CIInput{Name: &name, Kind: &kind, Environment: &env, Criticality: &crit, Description: &desc}
		if kind == "vm" && env == "production" {
			// The demo production VMs labs clone (made on libvirt by the server).
			host, domain := "local", vmPrefix+name
			in.LibvirtHost, in.LibvirtDomain = &host, &domain
		}
		created, err := rs.CreateCI(ctx, tess, in)
		if err != nil {
			return false, fmt.Errorf("demo CI %s: %w", name, err)
		}
		cis[name] = created.ID
	}

	for _, f := range []struct {
		name, reason, env, rec string
		start, end             time.Time
	}{
		{"Black Friday trading freeze", "Peak sales: no production changes", "production", "none", day(4), day(8)},
		{"Year-end freeze", "Finance closes the books", "", "yearly",
			time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)},
	} {
		name, reason, env, rec := f.name, f.reason, f.env, f.rec
		start, end := f.start.Format(time.RFC3339), f.end.Format(time.RFC3339)
		if _, err := rs.CreateFreeze(ctx, adam, release.FreezeInput{Name: &name, Reason: &reason, Environment: &env,
			Recurrence: &rec, Start: &start, End: &end}); err != nil {
			return false, fmt.Errorf("demo freeze %s: %w", name, err)
		}
	}

	type rel struct {
		name, version string
		typ           release.Type
		desc          string
		start, hours  float64
		cis           []string
		changes       []release.ChangeInput
		deps          []string
		created       float64
	}
	ch := func(rfc, title, risk string) release.ChangeInput {
		return release.ChangeInput{RFC: rfc, Title: title, Risk: risk, Link: "https://changes.example.com/" + rfc}
	}
	rels := []rel{
		{"Payments API", "3.2.0", release.TypeMajor, "New card tokenisation flow and PSD2 strong customer authentication.", -40, 4,
			[]string{"prod-web-1", "prod-web-2", "prod-db-1"}, []release.ChangeInput{ch("RFC-2101", "Tokenise stored cards", "high"), ch("RFC-2102", "SCA challenge page", "medium")}, nil, -55},
		{"Customer Portal", "5.1.0", release.TypeMinor, "Self-service address change and invoice download.", -20, 3,
			[]string{"prod-web-1", "prod-web-2"}, []release.ChangeInput{ch("RFC-2140", "Address change form", "low"), ch("RFC-2141", "Invoice PDF download", "low")}, nil, -35},
		{"Search Service", "2.4.1", release.TypeMinor, "Upgrade the search index format.", -12, 2,
			[]string{"prod-web-1"}, []release.ChangeInput{ch("RFC-2170", "Index format v7", "medium")}, nil, -25},
		{"Inventory Sync", "1.8.0", release.TypeMinor, "Move the supplier feed to the new batch host.", -9, 2,
			[]string{"prod-batch-1", "prod-db-1"}, []release.ChangeInput{ch("RFC-2188", "Supplier feed on batch-1", "medium")}, nil, -22},
		{"Billing Engine", "4.0.0", release.TypeMajor, "Usage-based billing for the enterprise plan.", -3, 6,
			[]string{"prod-db-1", "prod-batch-1"}, []release.ChangeInput{ch("RFC-2201", "Usage meter tables", "high"), ch("RFC-2202", "Invoice run v4", "high"), ch("RFC-2203", "Plan catalogue", "low")}, nil, -30},
		{"Auth Gateway", "2.0.0", release.TypeMajor, "OIDC gateway in front of every web node.", -0.05, 3,
			[]string{"prod-lb-1", "prod-web-1", "prod-web-2"}, []release.ChangeInput{ch("RFC-2230", "OIDC provider", "high"), ch("RFC-2231", "Session store", "medium")}, nil, -28},
		{"Reporting", "1.4.0", release.TypeMinor, "Monthly revenue report and CSV export.", 2, 2,
			[]string{"prod-db-1"}, []release.ChangeInput{ch("RFC-2250", "Revenue report", "low")}, nil, -14},
		{"Mobile Backend", "3.3.0", release.TypeMinor, "Push notifications for order status.", 3, 3,
			[]string{"prod-web-2"}, []release.ChangeInput{ch("RFC-2260", "Push gateway", "medium")}, []string{"Auth Gateway"}, -12},
		{"Data Warehouse ETL", "7.1.0", release.TypeMajor, "Incremental loads for the order facts.", 5, 5,
			[]string{"prod-batch-1", "prod-db-1"}, []release.ChangeInput{ch("RFC-2270", "Incremental order facts", "high"), ch("RFC-2271", "New staging schema", "medium")}, nil, -10},
		{"Log Pipeline", "0.9.0", release.TypeMinor, "Ship web access logs to the central pipeline.", 10, 4,
			[]string{"prod-web-1", "prod-web-2"}, []release.ChangeInput{ch("RFC-2290", "Log shipper agent", "low")}, nil, -4},
		{"CDN Config", "1.0.3", release.TypeMinor, "Longer cache lifetimes for static assets.", 9, 1,
			[]string{"prod-lb-1"}, []release.ChangeInput{ch("RFC-2280", "Cache-Control for /static", "low")}, []string{"Log Pipeline"}, -6},
		{"OpenSSL hotfix", "3.0.15", release.TypeEmergency, "CVE fix for the TLS library on every web node.", 10.05, 2,
			[]string{"prod-web-1", "prod-web-2", "prod-lb-1"}, []release.ChangeInput{ch("RFC-2299", "Patch OpenSSL (CVE)", "high")}, nil, -1},
		{"Fax Gateway", "1.1.0", release.TypeMinor, "Retire the fax gateway.", 14, 2,
			[]string{"prod-batch-1"}, []release.ChangeInput{ch("RFC-2120", "Remove fax queue", "low")}, nil, -18},
		{"Kernel Live Patch", "6.1.112", release.TypeMinor, "Live-patch the kernel on the database VM.", 6, 1,
			[]string{"prod-db-1"}, []release.ChangeInput{ch("RFC-2275", "kpatch on db-1", "high")}, nil, -8},
	}

	ids := map[string]int64{}
	env := "production"
	for _, r := range rels {
		rs.SetClock(func() time.Time { return day(r.created) })
		name, version, typ, desc := r.name, r.version, r.typ, r.desc
		start := day(r.start).Format(time.RFC3339)
		end := day(r.start).Add(time.Duration(r.hours * float64(time.Hour))).Format(time.RFC3339)
		var ciIDs, deps []int64
		for _, c := range r.cis {
			ciIDs = append(ciIDs, cis[c])
		}
		for _, d := range r.deps {
			deps = append(deps, ids[d])
		}
		changes := r.changes
		owner := "tess"
		created, err := rs.Create(ctx, tess, release.Input{Name: &name, Version: &version, Type: &typ, Description: &desc,
			Owner: &owner, Environment: &env, PlannedStart: &start, PlannedEnd: &end, Changes: &changes, CIIDs: &ciIDs})
		if err != nil {
			return false, fmt.Errorf("demo release %s: %w", name, err)
		}
		ids[name] = created.ID
		if len(deps) > 0 {
			if _, err := rs.Update(ctx, tess, created.ID, release.Input{DependsOn: &deps}); err != nil {
				return false, fmt.Errorf("demo release %s dependencies: %w", name, err)
			}
		}
	}

	// Each release walks its path; steps are applied in time order so that
	// the audit trail reads like history.
	path := func(rel string, start float64, to ...any) []step {
		var out []step
		t := start
		for i := 0; i < len(to); i += 3 {
			out = append(out, step{at: day(t), by: to[i].(auth.Actor), rel: rel, to: to[i+1].(release.State), reason: to[i+2].(string)})
			t += 0.6
		}
		return out
	}
	happy := func(by ...auth.Actor) []any {
		return []any{tess, release.StateBuilding, "", tess, release.StateTesting, "", tess, release.StateAwaitingApproval, "",
			by[0], release.StateApproved, "", adam, release.StateDeploying, ""}
	}
	var steps []step
	steps = append(steps, path("Payments API", -48, append(happy(mona), adam, release.StateDeployed, "", mona, release.StateReviewed, "", mona, release.StateClosed, "")...)...)
	steps = append(steps, path("Customer Portal", -26, append(happy(max), adam, release.StateDeployed, "", mona, release.StateReviewed, "")...)...)
	steps = append(steps, path("Search Service", -16, append(happy(mona), adam, release.StateRolledBack, "p99 latency doubled after the index switch")...)...)
	steps = append(steps, path("Inventory Sync", -13, append(happy(max), adam, release.StateFailed, "Supplier feed credentials missing on batch-1")...)...)
	steps = append(steps, path("Billing Engine", -8, append(happy(mona), adam, release.StateDeployed, "")...)...)
	steps = append(steps, path("Auth Gateway", -6, happy(max)...)...)
	steps = append(steps, path("Reporting", -5, tess, release.StateBuilding, "", tess, release.StateTesting, "", tess, release.StateAwaitingApproval, "", mona, release.StateApproved, "")...)
	steps = append(steps, path("Mobile Backend", -4, tess, release.StateBuilding, "", tess, release.StateTesting, "", tess, release.StateAwaitingApproval, "")...)
	steps = append(steps, path("Data Warehouse ETL", -3, tess, release.StateBuilding, "", tess, release.StateTesting, "")...)
	steps = append(steps, path("CDN Config", -2, tess, release.StateBuilding, "")...)
	steps = append(steps, path("Fax Gateway", -10, mona, release.StateCancelled, "Fax retirement moved to next quarter")...)
	steps = append(steps, path("Kernel Live Patch", -5, tess, release.StateBuilding, "", tess, release.StateTesting, "", tess, release.StateAwaitingApproval, "",
		max, release.StateRejected, "No rollback plan for a failed live patch; add one and retest")...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	for _, st := range steps {
		rs.SetClock(func() time.Time { return st.at })
		if _, err := rs.Transition(ctx, st.by, ids[st.rel], st.to, st.reason); err != nil {
			return false, fmt.Errorf("demo %s → %s: %w", st.rel, st.to, err)
		}
	}
	return true, nil
}
