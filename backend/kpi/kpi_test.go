package kpi

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

// The hand-made dataset: October 2026 (4 whole weeks, 1–28 October), "now"
// is 28 October 12:00. Every expected figure is worked out in the comments.
//
//	R1 production: changes 30 Sep 00:00 and 1 Oct 00:00; planned 5 Oct 10–12;
//	   deploying 5 Oct 10:00, deployed 11:00 (on time); review successful 6 Oct.
//	   Lead times 131 h and 107 h.
//	R2 production: change 8 Oct 00:00; planned 10 Oct 08–09; deploying 08:30,
//	   deployed 09:30 (late); review partially successful 11 Oct with an incident
//	   detected 10:00, restored 12:00 (2 h): a failure for CFR. Lead 57.5 h.
//	R3 production: change 12 Oct; planned 15 Oct 10–12; deploying 10:00, failed
//	   10:30, rolled back 14:30 (restored after 4 h). No review.
//	R4 production: change 18 Oct 00:00; planned 20 Oct 10–12; deploying 09:00
//	   (before the window: not on time), deployed 10:00. Lead 58 h.
//	R5 staging: change 20 Oct; deploying and deployed 21 Oct 10:00/10:30.
//	R6 production: deployed 20 Sep, outside the range.
//	R9 production: change 1 Oct 12:00; planned 22 Oct 10–11; deployed twice:
//	   22 Oct 10:00 rolled straight back at 11:00 (a failure with no restore
//	   pair), then 24 Oct 10:00, deployed 10:30 (late); review successful on
//	   25 Oct (about the last deployment). Lead 550.5 h, counted once.
//	R7, R8 production: awaiting approval since 27 Oct 12:00 (24 h) and 28 Oct
//	   00:00 (12 h).
//	Labs of production releases in October: passed, passed, failed, and one
//	still ready (not counted); one failed lab on 15 Sep (outside).
func seed(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rel := func(id int, env, state, ps, pe string) string {
		return fmt.Sprintf(`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at)
			VALUES (%d, 'R%d', '1', 'minor', '%s', '%s', '%s', '%s', 't', '2026-09-01T00:00:00.000Z', 'x')`, id, id, env, state, ps, pe)
	}
	change := func(id int, at string) string {
		return fmt.Sprintf(`INSERT INTO release_changes (release_id, position, rfc, title, risk, created_at) VALUES (%d, 0, 'RFC', 'x', 'low', '%s')`, id, at)
	}
	move := func(id int, to, at string) string {
		return fmt.Sprintf(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (%d, '', '%s', 'adam', '%s')`, id, to, at)
	}
	labRow := func(n, id int, status, at string) string {
		return fmt.Sprintf(`INSERT INTO labs (id, release_id, host, status, expires_at, created_by, created_at, updated_at) VALUES ('l%d', %d, 'local', '%s', 'x', 'tess', '%s', 'x')`, n, id, status, at)
	}
	stmts := []string{
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
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v in %s", err, s)
		}
	}
	return db
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
		"deployment_frequency": 1.5,  // R1–R4 and R9 twice: 6 started in 4 weeks
		"lead_time":            107,  // median of 57.5, 58, 107, 131, 550.5
		"change_failure_rate":  50,   // R2 (incident), R3 (failed), R9's first (rolled back) of 6
		"time_to_restore":      3,    // median of 2 h (R2's incident) and 4 h (R3 failed → rolled back)
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
	// Weeks from Monday 28 Sep: deployments 0, 2 (R1, R2), 1 (R3), 3 (R4,
	// R9 twice), 0; failure rate –, 50 %, 100 %, 33.3 %, –.
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
	if series["deployments"] != "[0 2 1 3 0]" || series["change_failure_rate"] != "[- 50 100 33.3 -]" {
		t.Errorf("trend %v", series)
	}
	if len(rep.Waiting) != 2 || rep.Waiting[0].ReleaseID != 7 || rep.Waiting[0].AgeHours != 24 {
		t.Errorf("waiting %+v", rep.Waiting)
	}

	// Every environment adds R5 (staging, deployed, no failure): 7
	// deployments, 1.75 a week, 3 of 7 failed.
	_, all := figures(t, db, "")
	if *all["deployment_frequency"].Value != 1.75 || *all["change_failure_rate"].Value != 42.9 {
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
		_, err := tx.Exec(`INSERT INTO release_transitions (release_id, from_state, to_state, actor, at) VALUES (4, '', 'deploying', 'adam', '2026-10-26T10:00:00.000Z')`)
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
