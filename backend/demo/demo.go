// Package demo seeds a living release board for newcomers: users of every
// role, a CI catalog, freeze windows and a dozen releases across every
// lifecycle state, made through the real services so that their audit
// history, risk and conflicts are real.
package demo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

// step is one thing a demo user does to a release at a time.
type step struct {
	at  time.Time
	rel string
	act struct {
		by  auth.Actor
		run func(id int64) error
	}
}

// Seed fills an empty database (no releases yet) and reports whether it did.
func Seed(ctx context.Context, as *auth.Service, rs *release.Service, ps *packages.Store, db *store.DB, password, vmPrefix string, now time.Time) (bool, error) {
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
		by := tess
		if in.LibvirtDomain != nil {
			by = adam // linking a CI to a libvirt domain is an admin's
		}
		created, err := rs.CreateCI(ctx, by, in)
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
	for i := 0; i < storefronts; i++ {
		rels = append(rels, rel{storefrontName(i), fmt.Sprintf("1.%d.0", i), release.TypeMinor, "Storefront maintenance release.", storefrontDay(i), 2,
			[]string{"prod-web-1"}, []release.ChangeInput{ch(fmt.Sprintf("RFC-19%02d", i), "Storefront fixes and dependency updates", "low")}, nil, storefrontDay(i) - 7})
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
	type act struct {
		by  auth.Actor
		run func(id int64) error
	}
	to := func(by auth.Actor, st release.State, reason string) act {
		return act{by, func(id int64) error { _, err := rs.Transition(ctx, by, id, st, reason); return err }}
	}
	decide := func(by auth.Actor, decision, reason string) act {
		return act{by, func(id int64) error {
			_, err := rs.Decide(ctx, by, id, release.DecisionInput{Decision: decision, Reason: reason})
			return err
		}}
	}
	review := func(by auth.Actor, in release.ReviewInput) act {
		return act{by, func(id int64) error { _, err := rs.PutReview(ctx, by, id, in); return err }}
	}
	// build assembles the release's package (build n) and attaches it with a
	// passing smoke run as evidence.
	build := func(rel string, n int) act {
		return act{tess, func(id int64) error { return buildPackage(ctx, rs, ps, tess, id, slug(rel), n) }}
	}
	path := func(rel string, start float64, acts ...act) []step {
		var out []step
		t := start
		for _, a := range acts {
			out = append(out, step{at: day(t), rel: rel, act: a})
			t += 0.6
		}
		return out
	}
	toApproval := func(rel string) []act {
		return []act{to(tess, release.StateBuilding, ""), to(tess, release.StateTesting, ""), build(rel, 1), to(tess, release.StateAwaitingApproval, "")}
	}
	happy := func(rel string, by ...auth.Actor) []act {
		acts := toApproval(rel)
		for _, m := range by {
			acts = append(acts, decide(m, release.DecisionApprove, ""))
		}
		return append(acts, to(adam, release.StateDeploying, ""))
	}
	ok := release.ReviewInput{Outcome: release.OutcomeSuccessful, Lessons: "Nothing to add: it went as planned."}
	var steps []step
	steps = append(steps, path("Payments API", -48, append(happy("Payments API", mona, max), to(adam, release.StateDeployed, ""), review(mona, ok), to(mona, release.StateClosed, ""))...)...)
	steps = append(steps, path("Customer Portal", -26, append(happy("Customer Portal", max), to(adam, release.StateDeployed, ""), review(mona, ok))...)...)
	steps = append(steps, path("Search Service", -16, append(happy("Search Service", mona), to(adam, release.StateRolledBack, "p99 latency doubled after the index switch"))...)...)
	steps = append(steps, path("Inventory Sync", -13, append(happy("Inventory Sync", max), to(adam, release.StateFailed, "Supplier feed credentials missing on batch-1"))...)...)
	steps = append(steps, path("Billing Engine", -8, append(happy("Billing Engine", mona, max), to(adam, release.StateDeployed, ""))...)...)
	steps = append(steps, path("Auth Gateway", -6, happy("Auth Gateway", max, mona)...)...)
	steps = append(steps, path("Reporting", -5, append(toApproval("Reporting"), decide(mona, release.DecisionApprove, ""))...)...)
	steps = append(steps, path("Mobile Backend", -4, toApproval("Mobile Backend")...)...)
	// A major release whose first approval went void when a rebuilt package was attached.
	steps = append(steps, path("Data Warehouse ETL", -6, append(toApproval("Data Warehouse ETL"), decide(mona, release.DecisionApprove, ""), build("Data Warehouse ETL", 2))...)...)
	steps = append(steps, path("CDN Config", -2, to(tess, release.StateBuilding, ""))...)
	steps = append(steps, path("Fax Gateway", -10, to(mona, release.StateCancelled, "Fax retirement moved to next quarter"))...)
	steps = append(steps, path("Kernel Live Patch", -5, append(toApproval("Kernel Live Patch"),
		decide(max, release.DecisionReject, "No rollback plan for a failed live patch; add one and retest"))...)...)
	// Storefront's weekly-ish history feeds the KPI trends: one rolled back
	// after a failure, one deployed with an incident.
	for i := 0; i < storefronts; i++ {
		rel := storefrontName(i)
		start := storefrontDay(i)
		at := func(h float64) string { return day(start + h/24).Format(time.RFC3339) }
		acts := append(toApproval(rel), decide(mona, release.DecisionApprove, ""))
		switch i {
		case 2:
			steps = append(steps, path(rel, start-3, acts...)...)
			steps = append(steps, step{at: day(start), rel: rel, act: to(adam, release.StateDeploying, "")},
				step{at: day(start + 0.5/24), rel: rel, act: to(adam, release.StateFailed, "Checkout errors after the schema change")},
				step{at: day(start + 3.5/24), rel: rel, act: to(adam, release.StateRolledBack, "Restored the previous version")},
				step{at: day(start + 1), rel: rel, act: review(mona, release.ReviewInput{Outcome: release.OutcomeRolledBack,
					Lessons:   "Test the schema change against a copy of production data.",
					FollowUps: []release.FollowUp{{Action: "Add a migration check to the lab test period", Owner: "tess", Due: day(start + 14).Format(time.DateOnly)}}})})
		case 5:
			steps = append(steps, path(rel, start-3, acts...)...)
			steps = append(steps, step{at: day(start), rel: rel, act: to(adam, release.StateDeploying, "")},
				step{at: day(start + 1.0/24), rel: rel, act: to(adam, release.StateDeployed, "")},
				step{at: day(start + 1), rel: rel, act: review(mona, release.ReviewInput{Outcome: release.OutcomePartial,
					Incidents:  []release.Incident{{Title: "Slow product search", DetectedAt: at(2), RestoredAt: at(3.5)}},
					Deviations: "Deployed 30 minutes late.", Lessons: "Warm the search cache before switching traffic."})},
				step{at: day(start + 1.2), rel: rel, act: to(mona, release.StateClosed, "")})
		default:
			steps = append(steps, path(rel, start-3, acts...)...)
			steps = append(steps, step{at: day(start), rel: rel, act: to(adam, release.StateDeploying, "")},
				step{at: day(start + 1.0/24), rel: rel, act: to(adam, release.StateDeployed, "")},
				step{at: day(start + 1), rel: rel, act: review(mona, ok)},
				step{at: day(start + 1.2), rel: rel, act: to(mona, release.StateClosed, "")})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	for _, st := range steps {
		clock := func() time.Time { return st.at }
		rs.SetClock(clock)
		ps.SetClock(clock)
		if err := st.act.run(ids[st.rel]); err != nil {
			return false, fmt.Errorf("demo %s at %s: %w", st.rel, st.at.Format(time.DateTime), err)
		}
	}
	ps.SetClock(time.Now)
	return true, nil
}

// buildPackage assembles release id's package (build n: a version file, an
// install, verify and rollback script) as by, attaches it and records a
// passing smoke run as evidence.
func buildPackage(ctx context.Context, rs *release.Service, ps *packages.Store, by auth.Actor, id int64, name string, n int) error {
	r, err := rs.Get(ctx, by, id)
	if err != nil {
		return err
	}
	version := fmt.Sprintf("%s-%d", r.Version, n)
	p, err := ps.Assemble(ctx, by, packages.AssembleInput{ReleaseID: id, Manifest: packages.Manifest{
		Name: name, Version: version, Description: r.Description,
		Install: "sh install.sh", Verify: "grep -q " + version + " /srv/www/version.txt", Rollback: "sh rollback.sh",
		Files:        []packages.FilePlace{{Src: "version.txt", Dest: "/srv/www/version.txt"}},
		HealthChecks: []packages.HealthCheck{{Name: "version served", Command: "test -s /srv/www/version.txt"}},
	}, Files: []packages.SourceFile{
		{Path: "version.txt", Content: version + "\n"},
		{Path: "install.sh", Content: "echo installing " + version + "\n", Mode: "0755"},
		{Path: "rollback.sh", Content: "echo rolling back " + version + "\n", Mode: "0755"},
	}})
	if err != nil {
		return err
	}
	if _, err := rs.AttachPackage(ctx, by, id, p.Digest); err != nil {
		return err
	}
	_, err = rs.AddEvidence(ctx, by, id, release.EvidenceInput{Name: "Smoke test " + version, Target: "stage-web-1",
		Checks: []release.ManualCheck{{Name: "home page", Passed: true, Output: "HTTP 200"}, {Name: "login", Passed: true, Output: "HTTP 302 to /account"}}})
	return err
}

// The Storefront history: one release every 10 days from 85 days ago.
const storefronts = 8

func storefrontName(i int) string { return fmt.Sprintf("Storefront %d", i+1) }
func storefrontDay(i int) float64 { return -85 + 10*float64(i) }

// slug makes a package name from a release name.
func slug(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", "-"))
}
