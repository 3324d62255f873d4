package kpi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/store"
)

// Statements that build the hand-made datasets. Times are UTC, written
// "2026-10-05 10:00" (see ts).
func ts(at string) string {
	t, err := time.Parse("2006-01-02 15:04", at)
	if err != nil {
		panic(err)
	}
	return store.FormatTime(t)
}

func rel(id int, env, state, ps, pe string) string {
	return fmt.Sprintf(`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at)
		VALUES (%d, 'R%d', '1', 'minor', '%s', '%s', '%s', '%s', 't', '2026-09-01T00:00:00.000Z', 'x')`, id, id, env, state, ps, pe)
}

// prod is a production release planned for a day's 00:00–23:59.
func prod(id int, state, day string) string {
	return rel(id, "production", state, ts(day+" 00:00"), ts(day+" 23:59"))
}

func change(id int, at string) string {
	return fmt.Sprintf(`INSERT INTO release_changes (release_id, position, rfc, title, risk, created_at) VALUES (%d, 0, 'RFC', 'x', 'low', '%s')`, id, at)
}

// committed is a change recorded at at whose commit time was given.
func committed(id, position int, at, commit string) string {
	return fmt.Sprintf(`INSERT INTO release_changes (release_id, position, rfc, title, risk, created_at, committed_at) VALUES (%d, %d, 'RFC-%d', 'x', 'low', '%s', '%s')`,
		id, position, position, at, commit)
}

func move(id int, to, at string) string {
	return fmt.Sprintf(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (%d, '', '%s', 'adam', '%s')`, id, to, at)
}

// reviewed is a review of release id with incidents given as JSON.
func reviewed(id int, outcome, at, incidents string) string {
	return fmt.Sprintf(`INSERT INTO release_reviews (release_id, outcome, incidents, reviewer, reviewed_at, updated_at) VALUES (%d, '%s', '%s', 'mona', '%s', 'x')`,
		id, outcome, incidents, at)
}

// dataset is a fresh database holding what stmts write.
func dataset(t *testing.T, stmts ...string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v in %s", err, s)
		}
	}
	return db
}

// The hand-made dataset: October 2026 (4 whole weeks, 1–28 October), "now"
// is 28 October 12:00. Every expected figure is worked out in the comments.
// Every deployment figure counts a deployment when it finished.
//
//	R1 production: changes 30 Sep 00:00 and 1 Oct 00:00; planned 5 Oct 10–12;
//	   deploying 5 Oct 10:00, deployed 11:00 (on time); review successful 6 Oct.
//	   Lead times 131 h and 107 h.
//	R2 production: change 8 Oct 00:00; planned 10 Oct 08–09; deploying 08:30,
//	   deployed 09:30 (late); review partially successful 11 Oct with an incident
//	   detected 10:00 (after the deployment started), restored 12:00 (2 h): a
//	   failure. Lead 57.5 h.
//	R3 production: change 12 Oct; planned 15 Oct 10–12; deploying 10:00, failed
//	   10:30, rolled back 14:30 (restored after 4 h). No review.
//	R4 production: change 18 Oct 00:00; planned 20 Oct 10–12; deploying 09:00
//	   (before the window: not on time), deployed 10:00. Lead 58 h.
//	R5 staging: change 20 Oct; deploying and deployed 21 Oct 10:00/10:30.
//	R6 production: deployed 20 Sep, outside the range.
//	R9 production: change 1 Oct 12:00; planned 22 Oct 10–11; deployed twice:
//	   22 Oct 10:00 rolled straight back at 11:00 (a failure, restored 1 h
//	   after the attempt started), then 24 Oct 10:00, deployed 10:30 (late);
//	   review successful on 25 Oct (about the last deployment). Lead 550.5 h,
//	   counted once, at the deployment that stayed.
//	R7, R8 production: awaiting approval since 27 Oct 12:00 (24 h) and 28 Oct
//	   00:00 (12 h).
//	Labs of production releases in October: passed, passed, failed, and one
//	still ready (not counted); one failed lab on 15 Sep (outside).
func seed(t *testing.T) *store.DB {
	t.Helper()
	labRow := func(n, id int, status, at string) string {
		return fmt.Sprintf(`INSERT INTO labs (id, release_id, host, status, expires_at, created_by, created_at, updated_at) VALUES ('l%d', %d, 'local', '%s', 'x', 'tess', '%s', 'x')`, n, id, status, at)
	}
	return dataset(t,
		rel(1, "production", "reviewed", "2026-10-05T10:00:00.000Z", "2026-10-05T12:00:00.000Z"),
		change(1, "2026-09-30T00:00:00.000Z"), change(1, "2026-10-01T00:00:00.000Z"),
		move(1, "deploying", "2026-10-05T10:00:00.000Z"), move(1, "deployed", "2026-10-05T11:00:00.000Z"),
		`INSERT INTO release_reviews (release_id, outcome, reviewer, reviewed_at, updated_at) VALUES (1, 'successful', 'mona', '2026-10-06T09:00:00.000Z', 'x')`,

		rel(2, "production", "reviewed", "2026-10-10T08:00:00.000Z", "2026-10-10T09:00:00.000Z"),
		change(2, "2026-10-08T00:00:00.000Z"),
		move(2, "deploying", "2026-10-10T08:30:00.000Z"), move(2, "deployed", "2026-10-10T09:30:00.000Z"),
		`INSERT INTO release_reviews (release_id, outcome, incidents, reviewer, reviewed_at, updated_at) VALUES (2, 'partially-successful',
			'[{"title":"Slow logins","detected_at":"2026-10-10T10:00:00Z","restored_at":"2026-10-10T12:00:00Z"}]', 'mona', '2026-10-11T09:00:00.000Z', 'x')`,

		rel(3, "production", "rolled-back", "2026-10-15T10:00:00.000Z", "2026-10-15T12:00:00.000Z"),
		change(3, "2026-10-12T00:00:00.000Z"),
		move(3, "deploying", "2026-10-15T10:00:00.000Z"), move(3, "failed", "2026-10-15T10:30:00.000Z"), move(3, "rolled-back", "2026-10-15T14:30:00.000Z"),

		rel(4, "production", "deployed", "2026-10-20T10:00:00.000Z", "2026-10-20T12:00:00.000Z"),
		change(4, "2026-10-18T00:00:00.000Z"),
		move(4, "deploying", "2026-10-20T09:00:00.000Z"), move(4, "deployed", "2026-10-20T10:00:00.000Z"),

		rel(5, "staging", "deployed", "2026-10-21T10:00:00.000Z", "2026-10-21T12:00:00.000Z"),
		change(5, "2026-10-20T00:00:00.000Z"),
		move(5, "deploying", "2026-10-21T10:00:00.000Z"), move(5, "deployed", "2026-10-21T10:30:00.000Z"),

		rel(6, "production", "deployed", "2026-09-20T10:00:00.000Z", "2026-09-20T12:00:00.000Z"),
		change(6, "2026-09-19T00:00:00.000Z"),
		move(6, "deploying", "2026-09-20T10:00:00.000Z"), move(6, "deployed", "2026-09-20T10:30:00.000Z"),

		rel(9, "production", "reviewed", "2026-10-22T10:00:00.000Z", "2026-10-22T11:00:00.000Z"),
		change(9, "2026-10-01T12:00:00.000Z"),
		move(9, "deploying", "2026-10-22T10:00:00.000Z"), move(9, "rolled-back", "2026-10-22T11:00:00.000Z"),
		move(9, "deploying", "2026-10-24T10:00:00.000Z"), move(9, "deployed", "2026-10-24T10:30:00.000Z"),
		`INSERT INTO release_reviews (release_id, outcome, reviewer, reviewed_at, updated_at) VALUES (9, 'successful', 'mona', '2026-10-25T09:00:00.000Z', 'x')`,

		rel(7, "production", "awaiting-approval", "2026-11-01T10:00:00.000Z", "2026-11-01T12:00:00.000Z"),
		move(7, "awaiting-approval", "2026-10-27T12:00:00.000Z"),
		rel(8, "production", "awaiting-approval", "2026-11-02T10:00:00.000Z", "2026-11-02T12:00:00.000Z"),
		move(8, "awaiting-approval", "2026-10-28T00:00:00.000Z"),

		labRow(1, 1, "passed", "2026-10-03T10:00:00.000Z"), labRow(2, 2, "passed", "2026-10-09T10:00:00.000Z"),
		labRow(3, 3, "failed", "2026-10-14T10:00:00.000Z"), labRow(4, 7, "ready", "2026-10-26T10:00:00.000Z"),
		labRow(5, 6, "failed", "2026-09-15T10:00:00.000Z"),
	)
}

var now = time.Date(2026, 10, 28, 12, 0, 0, 0, time.UTC)

func figures(t *testing.T, db *store.DB, env string) (*Report, map[string]Figure) {
	t.Helper()
	q, err := ParseQuery("2026-10-01", "2026-10-28", env, "week", now)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Compute(context.Background(), db, q, now)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Figure{}
	for _, f := range rep.Figures {
		out[f.Key] = f
	}
	return rep, out
}

func TestFiguresFromHandMadeDataset(t *testing.T) {
	db := seed(t)
	rep, got := figures(t, db, "production")
	want := map[string]float64{
		"deployment_frequency": 1,    // R1, R2, R4 and R9's second finished deployed: 4 in 4 weeks
		"lead_time":            107,  // median of 57.5, 58, 107, 131, 550.5
		"change_failure_rate":  50,   // R2 (incident), R3 (failed), R9's first (rolled back) of 6 finished
		"time_to_restore":      2,    // median of 1 h (R9's first), 2 h (R2's incident), 4 h (R3 failed → rolled back)
		"release_success_rate": 66.7, // R1 and R9 successful, R2 partially: 2 of 3
		"on_time_rate":         25,   // R1 on time; R2 late, R4 early, R9 late: 1 of 4
		"lab_pass_rate":        66.7, // passed, passed, failed
		"approvals_waiting":    2,    // R7, R8
		"approval_age":         18,   // (24 + 12) / 2
	}
	for key, w := range want {
		f, ok := got[key]
		if !ok || f.Value == nil || *f.Value != w {
			t.Errorf("%s = %+v, want %v", key, f, w)
		}
		if f.Definition == "" {
			t.Errorf("%s has no definition", key)
		}
	}
	if f := got["change_failure_rate"]; f.Numerator != 3 || f.Denominator != 6 || f.Display != "50.0 %" {
		t.Errorf("change failure rate parts: %+v", f)
	}
	// Weeks from Monday 28 Sep, by when deployments finished: deployed 0, 2
	// (R1, R2), 0 (R3 failed), 2 (R4, R9's second), 0; failure rate –, 50 %
	// (R2 of 2), 100 % (R3), 33.3 % (R9's first of 3), –.
	if got := fmt.Sprint(rep.Trend.Buckets); got != "[2026-09-28 2026-10-05 2026-10-12 2026-10-19 2026-10-26]" {
		t.Errorf("buckets %s", got)
	}
	series := map[string]string{}
	for _, s := range rep.Trend.Series {
		var vs []string
		for _, v := range s.Values {
			if v == nil {
				vs = append(vs, "-")
			} else {
				vs = append(vs, fmt.Sprint(*v))
			}
		}
		series[s.Key] = fmt.Sprint(vs)
	}
	if series["deployments"] != "[0 2 0 2 0]" || series["change_failure_rate"] != "[- 50 100 33.3 -]" {
		t.Errorf("trend %v", series)
	}
	if len(rep.Waiting) != 2 || rep.Waiting[0].ReleaseID != 7 || rep.Waiting[0].AgeHours != 24 {
		t.Errorf("waiting %+v", rep.Waiting)
	}

	// Every environment adds R5 (staging, deployed, no failure): 5 deployed,
	// 1.25 a week, 3 of 7 finished failed.
	_, all := figures(t, db, "")
	if *all["deployment_frequency"].Value != 1.25 || *all["change_failure_rate"].Value != 42.9 {
		t.Errorf("all environments: frequency %v, failure rate %v", *all["deployment_frequency"].Value, *all["change_failure_rate"].Value)
	}
	csv := rep.CSV()
	if len(csv) != 1+9+1+1+5 || csv[3][1] != "change_failure_rate" || csv[3][3] != "50" {
		t.Errorf("csv rows %d: %v", len(csv), csv[3])
	}
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct{ from, to, bucket, field string }{
		{"2026-13-01", "", "", "from"}, {"", "tomorrow", "", "to"}, {"2026-10-02", "2026-10-01", "", "from"},
		{"", "", "year", "bucket"}, {"2020-01-01", "2026-01-01", "week", "from"}, {"2024-01-01", "2026-01-01", "day", "bucket"},
	} {
		if _, err := ParseQuery(c.from, c.to, "", c.bucket, now); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	q, err := ParseQuery("", "", "", "", now)
	if err != nil || q.Bucket != "week" || q.To.Format(time.DateOnly) != "2026-10-29" || q.To.Sub(q.From) != 90*24*time.Hour {
		t.Errorf("defaults %+v %v", q, err)
	}
}

// The service keeps what a report reads until the next write, and works the
// time-dependent figures out on every call.
func TestServiceSeesWritesAndTheClock(t *testing.T) {
	db := seed(t)
	svc := NewService(db)
	ctx := context.Background()
	q, err := ParseQuery("2026-10-01", "2026-10-28", "production", "week", now)
	if err != nil {
		t.Fatal(err)
	}
	fig := func(rep *Report, key string) Figure {
		for _, f := range rep.Figures {
			if f.Key == key {
				return f
			}
		}
		t.Fatalf("no figure %s", key)
		return Figure{}
	}
	first, err := svc.Report(ctx, q, now)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := Compute(ctx, db, q, now)
	if a, b := fig(first, "deployment_frequency").N, fig(fresh, "deployment_frequency").N; a != b {
		t.Fatalf("service counts %d deployments, Compute %d", a, b)
	}
	later, _ := svc.Report(ctx, q, now.Add(6*time.Hour))
	if got, want := *fig(later, "approval_age").Value, *fig(first, "approval_age").Value+6; got != want {
		t.Fatalf("approval age six hours later = %v, want %v (the clock must move on a kept read)", got, want)
	}
	if first.Waiting[0].AgeHours == later.Waiting[0].AgeHours {
		t.Fatalf("the waiting list's ages did not move with the clock: %v", later.Waiting[0].AgeHours)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (4, '', 'deploying', 'adam', '2026-10-26T10:00:00.000Z'),
			(4, '', 'deployed', 'adam', '2026-10-26T10:30:00.000Z')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := svc.Report(ctx, q, now)
	if got, want := fig(after, "deployment_frequency").N, fig(first, "deployment_frequency").N+1; got != want {
		t.Fatalf("after a new deployment the service counts %d, want %d", got, want)
	}
}

// week is the report for one week of production, 1–7 October 2026 (or the
// week before it), by week: every "per week" figure is a plain count.
func week(t *testing.T, db *store.DB, from, to string) (*Report, map[string]Figure) {
	t.Helper()
	q, err := ParseQuery(from, to, "production", "week", now)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Compute(context.Background(), db, q, now)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Figure{}
	for _, f := range rep.Figures {
		out[f.Key] = f
	}
	return rep, out
}

func trend(rep *Report, key string) string {
	for _, s := range rep.Trend.Series {
		if s.Key == key {
			var vs []string
			for _, v := range s.Values {
				if v == nil {
					vs = append(vs, "-")
				} else {
					vs = append(vs, fmt.Sprint(*v))
				}
			}
			return fmt.Sprint(vs)
		}
	}
	return "no series " + key
}

// finishedOrNot is a week of deployments, some of them not finished: the
// week of 1–7 October 2026 in production.
//
//	R1: planned 30 Sep 22:00–1 Oct 02:00; change recorded 29 Sep 00:00;
//	    deploying 30 Sep 23:00, deployed 1 Oct 01:00: it finished in the week
//	    (on time, lead 49 h) though it started in the week before.
//	R2: deploying 2 Oct 10:00, failed 10:20, rolled back 11:00.
//	R3: deploying 3 Oct 10:00, still deploying.
//	R4: deploying 4 Oct 10:00, rolled back 10:40 while deploying.
//	R5: planned 5 Oct; change recorded 4 Oct 10:30; deploying 5 Oct 10:00,
//	    deployed 10:30 (on time, lead 24 h).
//	R6: deploying 6 Oct 10:00, still deploying.
func finishedOrNot(t *testing.T) *store.DB {
	return dataset(t,
		rel(1, "production", "deployed", ts("2026-09-30 22:00"), ts("2026-10-01 02:00")), change(1, ts("2026-09-29 00:00")),
		move(1, "deploying", ts("2026-09-30 23:00")), move(1, "deployed", ts("2026-10-01 01:00")),
		prod(2, "rolled-back", "2026-10-02"), move(2, "deploying", ts("2026-10-02 10:00")), move(2, "failed", ts("2026-10-02 10:20")),
		move(2, "rolled-back", ts("2026-10-02 11:00")),
		prod(3, "deploying", "2026-10-03"), move(3, "deploying", ts("2026-10-03 10:00")),
		prod(4, "rolled-back", "2026-10-04"), move(4, "deploying", ts("2026-10-04 10:00")), move(4, "rolled-back", ts("2026-10-04 10:40")),
		prod(5, "deployed", "2026-10-05"), change(5, ts("2026-10-04 10:30")),
		move(5, "deploying", ts("2026-10-05 10:00")), move(5, "deployed", ts("2026-10-05 10:30")),
		prod(6, "deploying", "2026-10-06"), move(6, "deploying", ts("2026-10-06 10:00")),
	)
}

// Deployment frequency counts the deployments that finished deployed in
// the range (DORA: how often changes reach production), not the moves to
// deploying: not those still deploying, nor those that failed or were
// rolled back while deploying.
func TestDeploymentFrequencyCountsDeploymentsThatFinishedDeployed(t *testing.T) {
	rep, got := week(t, finishedOrNot(t), "2026-10-01", "2026-10-07")
	// R1 (finished 1 Oct) and R5: 2 in one week.
	if f := got["deployment_frequency"]; f.Value == nil || *f.Value != 2 || f.N != 2 {
		t.Errorf("deployment frequency %+v, want 2 a week (R1 and R5)", f)
	}
	// Weeks from Monday 28 Sep: R1 (1 Oct), then R5 (5 Oct).
	if got := trend(rep, "deployments"); got != "[1 1]" {
		t.Errorf("deployments by week %s, want [1 1]", got)
	}
}

// The change failure rate divides by the deployments that finished (any
// outcome): one still deploying is neither a success nor a failure yet.
func TestChangeFailureRateCountsOnlyFinishedDeployments(t *testing.T) {
	rep, got := week(t, finishedOrNot(t), "2026-10-01", "2026-10-07")
	// Finished: R1, R2 (failed), R4 (rolled back), R5: 2 of 4.
	if f := got["change_failure_rate"]; f.Value == nil || *f.Value != 50 || f.Numerator != 2 || f.Denominator != 4 {
		t.Errorf("change failure rate %+v, want 2 / 4 = 50 %%", f)
	}
	// Week of 28 Sep: R1, R2, R4 finished, 2 failed; week of 5 Oct: R5.
	if got := trend(rep, "change_failure_rate"); got != "[66.7 0]" {
		t.Errorf("failure rate by week %s, want [66.7 0]", got)
	}
}

// A deployment that started in one range and finished in the next counts
// in the next for every figure, never in both.
func TestEveryDeploymentFigureIsDatedByTheDeploymentsEnd(t *testing.T) {
	db := finishedOrNot(t)
	// The week before holds R1's start (30 Sep 23:00) and nothing that
	// finished: no deployment figure counts anything.
	_, before := week(t, db, "2026-09-24", "2026-09-30")
	for _, key := range []string{"deployment_frequency", "change_failure_rate", "lead_time", "time_to_restore", "on_time_rate"} {
		if f := before[key]; f.N != 0 {
			t.Errorf("week of 24 Sep: %s counts %d (%+v), want nothing", key, f.N, f)
		}
	}
	// The week of 1 Oct counts R1 in each: frequency R1, R5; failure rate
	// R1, R2, R4, R5; lead time 49 h (R1) and 24 h (R5); on time R1, R5.
	_, after := week(t, db, "2026-10-01", "2026-10-07")
	if f := after["deployment_frequency"]; f.N != 2 {
		t.Errorf("deployment frequency counts %d, want 2", f.N)
	}
	if f := after["change_failure_rate"]; f.Denominator != 4 {
		t.Errorf("change failure rate over %v, want 4", f.Denominator)
	}
	if f := after["lead_time"]; f.N != 2 || f.Value == nil || *f.Value != 36.5 {
		t.Errorf("lead time %+v, want the median of 49 h and 24 h", f)
	}
	if f := after["on_time_rate"]; f.Numerator != 2 || f.Denominator != 2 {
		t.Errorf("on-time rate %+v, want 2 / 2", f)
	}
	// The definitions say what dates them.
	for _, key := range []string{"deployment_frequency", "change_failure_rate", "lead_time", "time_to_restore", "on_time_rate"} {
		if d := definitions[key]; !strings.Contains(d, "finished") {
			t.Errorf("%s's definition does not say it counts deployments by when they finished: %s", key, d)
		}
	}
}

// An incident marks as failed the deployment that was live when it was
// detected: after that deployment started, before the release's next one.
//
//	R1: deploying 2 Oct 10:00, deployed 11:00, rolled back 13:00; deploying
//	    again 4 Oct 10:00, deployed 11:00; review 5 Oct (partially
//	    successful) with an incident detected 2 Oct 11:30, restored 12:30:
//	    it is the first deployment's, not the second's.
//	R2: deploying 6 Oct 10:00, deployed 10:30; review 7 Oct with an incident
//	    detected 6 Oct 09:00, restored 09:30: before the deployment started,
//	    so not its failure.
func TestIncidentMarksOnlyTheDeploymentLiveWhenItWasDetected(t *testing.T) {
	db := dataset(t,
		prod(1, "reviewed", "2026-10-02"),
		move(1, "deploying", ts("2026-10-02 10:00")), move(1, "deployed", ts("2026-10-02 11:00")), move(1, "rolled-back", ts("2026-10-02 13:00")),
		move(1, "deploying", ts("2026-10-04 10:00")), move(1, "deployed", ts("2026-10-04 11:00")),
		reviewed(1, "partially-successful", ts("2026-10-05 09:00"), `[{"title":"Errors","detected_at":"2026-10-02T11:30:00Z","restored_at":"2026-10-02T12:30:00Z"}]`),
		prod(2, "reviewed", "2026-10-06"),
		move(2, "deploying", ts("2026-10-06 10:00")), move(2, "deployed", ts("2026-10-06 10:30")),
		reviewed(2, "partially-successful", ts("2026-10-07 09:00"), `[{"title":"Old outage","detected_at":"2026-10-06T09:00:00Z","restored_at":"2026-10-06T09:30:00Z"}]`),
	)
	_, got := week(t, db, "2026-10-01", "2026-10-07")
	// Finished: R1's two and R2; failed: R1's first (rolled back, and the
	// incident): 1 of 3.
	if f := got["change_failure_rate"]; f.Numerator != 1 || f.Denominator != 3 {
		t.Errorf("change failure rate %+v, want 1 / 3", f)
	}
	// R1's first: detected 11:30 (the incident), restored 12:30 (the
	// incident, before the rollback at 13:00): 1 h. R2's incident is no
	// deployment's.
	if f := got["time_to_restore"]; f.N != 1 || f.Value == nil || *f.Value != 1 {
		t.Errorf("time to restore %+v, want 1 h over 1 failure", f)
	}
}

// Time to restore counts every failed deployment that finished in the
// range, however it failed; the ones never restored show in n and the
// detail rather than vanishing.
//
//	F1 (R1): deploying 1 Oct 10:00, failed 10:30, rolled back 12:30: 2 h.
//	F2 (R2): deploying 2 Oct 10:00, rolled back 11:00 while deploying, no
//	    incident: from the start, 1 h.
//	F3 (R3): deploying 3 Oct 10:00, deployed 10:30, rolled back 14:30: from
//	    the end of the deployment, 4 h.
//	F4 (R4): deploying 4 Oct 10:00, deployed 10:30, rolled back 16:30; review
//	    (rolled back) with an incident detected 11:30 and no restore time:
//	    from the incident to the rollback, 5 h.
//	F5 (R5): deploying 5 Oct 10:00, failed 10:10, reviewed as failed and
//	    never rolled back: not restored.
//	F6 (R6): deploying 6 Oct 12:00, deployed 12:30; review with an incident
//	    detected 13:00, not restored: not restored.
func TestTimeToRestoreCountsEveryFailedDeployment(t *testing.T) {
	db := dataset(t,
		prod(1, "rolled-back", "2026-10-01"), move(1, "deploying", ts("2026-10-01 10:00")), move(1, "failed", ts("2026-10-01 10:30")),
		move(1, "rolled-back", ts("2026-10-01 12:30")),
		prod(2, "rolled-back", "2026-10-02"), move(2, "deploying", ts("2026-10-02 10:00")), move(2, "rolled-back", ts("2026-10-02 11:00")),
		prod(3, "rolled-back", "2026-10-03"), move(3, "deploying", ts("2026-10-03 10:00")), move(3, "deployed", ts("2026-10-03 10:30")),
		move(3, "rolled-back", ts("2026-10-03 14:30")),
		prod(4, "reviewed", "2026-10-04"), move(4, "deploying", ts("2026-10-04 10:00")), move(4, "deployed", ts("2026-10-04 10:30")),
		move(4, "rolled-back", ts("2026-10-04 16:30")),
		reviewed(4, "rolled-back", ts("2026-10-05 09:00"), `[{"title":"Errors","detected_at":"2026-10-04T11:30:00Z","restored_at":""}]`),
		prod(5, "reviewed", "2026-10-05"), move(5, "deploying", ts("2026-10-05 10:00")), move(5, "failed", ts("2026-10-05 10:10")),
		reviewed(5, "failed", ts("2026-10-06 09:00"), `[]`),
		prod(6, "reviewed", "2026-10-06"), move(6, "deploying", ts("2026-10-06 12:00")), move(6, "deployed", ts("2026-10-06 12:30")),
		reviewed(6, "partially-successful", ts("2026-10-07 09:00"), `[{"title":"Slow","detected_at":"2026-10-06T13:00:00Z","restored_at":""}]`),
	)
	rep, got := week(t, db, "2026-10-01", "2026-10-07")
	// Restored: 1, 2, 4, 5 h, median 3 h; 6 failed deployments, 2 not restored.
	f := got["time_to_restore"]
	if f.Value == nil || *f.Value != 3 || f.N != 6 || f.Detail != "2 of 6 failed deployments not restored" {
		t.Errorf("time to restore %+v, want 3 h over 6 failures, 2 not restored", f)
	}
	if cfr := got["change_failure_rate"]; cfr.Numerator != 6 || cfr.Denominator != 6 {
		t.Errorf("change failure rate %+v, want 6 / 6", cfr)
	}
	row := rep.CSV()[1+3]
	if row[1] != "time_to_restore" || row[len(row)-1] != f.Detail {
		t.Errorf("the CSV does not carry the detail: %v", row)
	}

	// Only unrestored failures: no median, and the figure says why.
	_, only := week(t, dataset(t, prod(5, "reviewed", "2026-10-05"), move(5, "deploying", ts("2026-10-05 10:00")),
		move(5, "failed", ts("2026-10-05 10:10"))), "2026-10-01", "2026-10-07")
	if f := only["time_to_restore"]; f.Value != nil || f.N != 1 || f.Display != "none restored" || f.Detail != "1 of 1 failed deployments not restored" {
		t.Errorf("time to restore with one failure never restored: %+v", f)
	}
}

// Lead time runs to the first deployment that stayed deployed: one rolled
// back afterwards did not deliver the changes.
//
//	R1: change recorded 1 Oct 00:00; deploying 2 Oct 10:00, deployed 11:00,
//	    rolled back 13:00; deploying 4 Oct 10:00, deployed 11:00 (stayed):
//	    lead 83 h.
//	R2: change recorded 1 Oct 00:00; deploying 3 Oct 10:00, deployed 10:30,
//	    rolled back 12:30, not deployed again: no lead time.
func TestLeadTimeEndsAtTheFirstDeploymentThatStayed(t *testing.T) {
	db := dataset(t,
		prod(1, "deployed", "2026-10-02"), change(1, ts("2026-10-01 00:00")),
		move(1, "deploying", ts("2026-10-02 10:00")), move(1, "deployed", ts("2026-10-02 11:00")), move(1, "rolled-back", ts("2026-10-02 13:00")),
		move(1, "deploying", ts("2026-10-04 10:00")), move(1, "deployed", ts("2026-10-04 11:00")),
		prod(2, "rolled-back", "2026-10-03"), change(2, ts("2026-10-01 00:00")),
		move(2, "deploying", ts("2026-10-03 10:00")), move(2, "deployed", ts("2026-10-03 10:30")), move(2, "rolled-back", ts("2026-10-03 12:30")),
	)
	_, got := week(t, db, "2026-10-01", "2026-10-07")
	if f := got["lead_time"]; f.Value == nil || *f.Value != 83 || f.N != 1 {
		t.Errorf("lead time %+v, want 83 h over one change", f)
	}
}

// Lead time counts from a change's commit time when it was given, else from
// when the change was recorded on the release.
//
//	R1: change RFC-0 recorded 3 Oct 00:00, committed 1 Oct 00:00; change
//	    RFC-1 recorded 3 Oct 12:00, no commit time; deploying 4 Oct 10:00,
//	    deployed 12:00: lead 84 h and 24 h, median 54 h.
func TestLeadTimeCountsFromTheCommitWhenGiven(t *testing.T) {
	db := dataset(t,
		prod(1, "deployed", "2026-10-04"),
		committed(1, 0, ts("2026-10-03 00:00"), ts("2026-10-01 00:00")), committed(1, 1, ts("2026-10-03 12:00"), ""),
		move(1, "deploying", ts("2026-10-04 10:00")), move(1, "deployed", ts("2026-10-04 12:00")),
	)
	_, got := week(t, db, "2026-10-01", "2026-10-07")
	if f := got["lead_time"]; f.Value == nil || *f.Value != 54 || f.N != 2 {
		t.Errorf("lead time %+v, want the median of 84 h and 24 h", f)
	}
}

// The four keys' definitions cite DORA's page, in the report and the CSV;
// the others are Shakedown's own and do not.
func TestDoraFiguresCiteDora(t *testing.T) {
	rep, got := figures(t, seed(t), "production")
	const cite = "(DORA, https://dora.dev/guides/dora-metrics-four-keys/)"
	for _, key := range []string{"deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore"} {
		if !strings.HasSuffix(got[key].Definition, cite+".") {
			t.Errorf("%s's definition does not cite DORA: %s", key, got[key].Definition)
		}
	}
	for _, key := range []string{"release_success_rate", "on_time_rate", "lab_pass_rate"} {
		if strings.Contains(got[key].Definition, "dora.dev") {
			t.Errorf("%s is not a DORA figure but cites it", key)
		}
	}
	for _, row := range rep.CSV()[1:5] {
		if !strings.Contains(row[8], cite) {
			t.Errorf("CSV row %s: definition %q does not cite DORA", row[1], row[8])
		}
	}
}

// An environment no release is in is refused, naming the known ones.
func TestUnknownEnvironmentIsRefused(t *testing.T) {
	db := seed(t)
	q, err := ParseQuery("2026-10-01", "2026-10-28", "nope", "week", now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compute(context.Background(), db, q, now)
	var inv *apperr.InvalidError
	if !errors.As(err, &inv) || inv.Field != "environment" || !strings.Contains(inv.Message, "production, staging") {
		t.Fatalf("unknown environment: %v", err)
	}
	if _, err := NewService(db).Report(context.Background(), q, now); !errors.As(err, &inv) {
		t.Fatalf("the service answers an unknown environment with %v", err)
	}
}

// A lab counts by its test period's result whatever becomes of it: one that
// passed and was then torn down still counts as passed, one torn down after
// failing checks as failed; a lab torn down before any test does not count.
// The sub-figure says what it divides.
func TestLabPassRateCountsTornDownLabs(t *testing.T) {
	labRow := func(n int, status, summary, at string) string {
		return fmt.Sprintf(`INSERT INTO labs (id, release_id, host, status, summary, expires_at, created_by, created_at, updated_at) VALUES ('l%d', 1, 'local', '%s', '%s', 'x', 'tess', '%s', 'x')`, n, status, summary, at)
	}
	db := dataset(t,
		rel(1, "production", "testing", "2026-11-05T10:00:00.000Z", "2026-11-05T12:00:00.000Z"),
		labRow(1, "torn-down", `{"installs_passed":2,"checks_passed":12,"rounds":6}`, "2026-10-05T10:00:00.000Z"),
		labRow(2, "torn-down", `{"installs_passed":2,"checks_passed":10,"checks_failed":2,"rounds":6}`, "2026-10-06T10:00:00.000Z"),
		labRow(3, "torn-down", `{}`, "2026-10-07T10:00:00.000Z"),
		labRow(4, "error", `{"installs_passed":1,"checks_passed":3,"rounds":3}`, "2026-10-08T10:00:00.000Z"),
		labRow(5, "testing", `{"installs_passed":1,"checks_passed":1,"rounds":1}`, "2026-10-09T10:00:00.000Z"),
	)
	_, got := figures(t, db, "production")
	f := got["lab_pass_rate"]
	if f.Value == nil || *f.Value != 66.7 || f.Numerator != 2 || f.Denominator != 3 {
		t.Fatalf("lab pass rate with torn-down labs = %+v", f)
	}
	if f.Ratio != "2 of 3 tested labs passed" {
		t.Errorf("lab pass rate ratio = %q", f.Ratio)
	}
}

func TestRatioSaysWhatItDivides(t *testing.T) {
	cases := []struct {
		f    Figure
		want string
	}{
		{Figure{Key: "deployment_frequency", Numerator: 15, Denominator: 12.86}, "15 deployments over 12.9 weeks"},
		{Figure{Key: "change_failure_rate", Numerator: 3, Denominator: 6}, "3 of 6 finished deployments failed"},
		{Figure{Key: "approval_age", Numerator: 145.12, Denominator: 2}, "6.0 d of waiting across 2 releases"},
		{Figure{Key: "on_time_rate", Numerator: 1, Denominator: 1}, "1 of 1 deployment on time"},
		{Figure{Key: "lead_time"}, ""},
	}
	for _, c := range cases {
		if got := ratioText(c.f); got != c.want {
			t.Errorf("%s: %q, want %q", c.f.Key, got, c.want)
		}
	}
}
