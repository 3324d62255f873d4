// Package kpi computes release management KPIs (the DORA four and more)
// from the records Shakedown already keeps: transitions, changes, reviews,
// labs and sign-off waits.
package kpi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/store"
)

// Query selects the records KPIs are computed from.
type Query struct {
	From, To    time.Time // [From, To)
	Environment string    // "" = every environment
	Bucket      string    // day, week or month
}

// Figure is one KPI with how it was computed.
type Figure struct {
	Key         string   `json:"key"`
	Label       string   `json:"label"`
	Value       *float64 `json:"value"`
	Unit        string   `json:"unit"`
	Display     string   `json:"display"`
	Definition  string   `json:"definition"`
	Numerator   float64  `json:"numerator"`
	Denominator float64  `json:"denominator"`
	N           int      `json:"n"`
}

// Series is one trend line, a value per bucket (nil where there is no data).
type Series struct {
	Key    string     `json:"key"`
	Label  string     `json:"label"`
	Unit   string     `json:"unit"`
	Values []*float64 `json:"values"`
}

// Waiting is a release waiting for sign-off.
type Waiting struct {
	ReleaseID int64   `json:"release_id"`
	Name      string  `json:"name"`
	Version   string  `json:"version"`
	Since     string  `json:"since"`
	AgeHours  float64 `json:"age_hours"`
}

// Report is the KPI dashboard's data.
type Report struct {
	From         string    `json:"from"`
	To           string    `json:"to"`
	Environment  string    `json:"environment"`
	Bucket       string    `json:"bucket"`
	Environments []string  `json:"environments"`
	Figures      []Figure  `json:"figures"`
	Trend        Trend     `json:"trend"`
	Waiting      []Waiting `json:"waiting"`
}

// Trend holds the bucketed series.
type Trend struct {
	Buckets []string `json:"buckets"`
	Series  []Series `json:"series"`
}

// Definitions, shown on hover in the dashboard and in the CSV.
var definitions = map[string]string{
	"deployment_frequency": "Deployments started (moves to deploying) in the range, in the chosen environment or all of them, per week.",
	"lead_time":            "Median time from a change being recorded on a release to that release's first successful deployment, over the changes of releases first deployed in the range.",
	"change_failure_rate":  "Deployments started in the range that failed, were rolled back, or (for a release's last deployment) caused an incident or a failed outcome per its review, divided by all deployments started in the range.",
	"time_to_restore":      "Median time from failure detected to service restored: incidents in reviews with both times, else a failed deployment's move from failed to rolled back; counted when detected in the range.",
	"release_success_rate": "Post-implementation reviews written in the range with the outcome successful, divided by all reviews written in the range.",
	"on_time_rate":         "Deployments finished in the range that started at or after the planned start and were deployed by the planned end, divided by all deployments finished in the range.",
	"lab_pass_rate":        "Labs created in the range whose test period passed, divided by labs that passed or failed.",
	"approvals_waiting":    "Releases awaiting approval now.",
	"approval_age":         "Mean time the releases awaiting approval now have waited since they entered awaiting-approval.",
}

// deployment is one move to deploying and what came of it.
type deployment struct {
	releaseID  int64
	started    time.Time
	deployed   time.Time // zero unless the next outcome was deployed
	failed     bool
	failedAt   time.Time // the move to failed
	restoredAt time.Time // the move to rolled-back after failed
}

type review struct {
	outcome    string
	reviewedAt time.Time
	incidents  []struct {
		DetectedAt string `json:"detected_at"`
		RestoredAt string `json:"restored_at"`
	}
}

// ParseQuery reads the dashboard's parameters; from and to are dates
// (YYYY-MM-DD, to inclusive). The default is the 90 days up to today.
func ParseQuery(from, to, env, bucket string, now time.Time) (Query, error) {
	q := Query{Environment: strings.TrimSpace(env), Bucket: bucket}
	today := now.UTC().Truncate(24 * time.Hour)
	q.To = today.AddDate(0, 0, 1)
	if to != "" {
		t, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return q, apperr.Invalid("to", "The end date is YYYY-MM-DD.")
		}
		q.To = t.AddDate(0, 0, 1)
	}
	q.From = q.To.AddDate(0, 0, -90)
	if from != "" {
		f, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return q, apperr.Invalid("from", "The start date is YYYY-MM-DD.")
		}
		q.From = f
	}
	if !q.From.Before(q.To) {
		return q, apperr.Invalid("from", "The start date must be on or before the end date.")
	}
	if q.To.Sub(q.From) > 5*366*24*time.Hour {
		return q, apperr.Invalid("from", "A range covers at most five years.")
	}
	switch q.Bucket {
	case "":
		q.Bucket = "week"
	case "day", "week", "month":
	default:
		return q, apperr.Invalid("bucket", "The bucket is day, week or month.")
	}
	if q.Bucket == "day" && q.To.Sub(q.From) > 400*24*time.Hour {
		return q, apperr.Invalid("bucket", "Daily buckets cover at most 400 days; pick week or month.")
	}
	return q, nil
}

// Service serves KPI reports. A report is worked out once per query and
// kept until the next write to the database; the figures that depend on
// the time (approval ages) are brought up to date on every call.
type Service struct {
	reports *store.Memo[Query, kept]
	db      *store.DB
}

// NewService returns the KPI service over db.
func NewService(db *store.DB) *Service {
	return &Service{db: db, reports: store.NewMemo[Query, kept](db, 32)}
}

// Report works out every figure and trend for q at time now.
func (s *Service) Report(ctx context.Context, q Query, now time.Time) (*Report, error) {
	k, err := s.reports.Get(q, func() (kept, error) { return read(context.WithoutCancel(ctx), s.db, q) })
	if err != nil {
		return nil, err
	}
	return k.at(now), nil
}

// Compute works out every figure and trend for q at time now, reading
// everything afresh.
func Compute(ctx context.Context, db store.Querier, q Query, now time.Time) (*Report, error) {
	k, err := read(ctx, db, q)
	if err != nil {
		return nil, err
	}
	return k.at(now), nil
}

// kept is a report without its clock: since is when each waiting release
// entered awaiting-approval. It is shared by concurrent calls, read-only.
type kept struct {
	rep   *Report
	since []time.Time
}

func read(ctx context.Context, db store.Querier, q Query) (kept, error) {
	d, err := load(ctx, db, q)
	if err != nil {
		return kept{}, err
	}
	return kept{rep: compute(d, q), since: d.waitingSince}, nil
}

// at is the report at time now: the waiting releases' ages and their mean.
func (k kept) at(now time.Time) *Report {
	rep := *k.rep
	rep.Waiting = slices.Clone(k.rep.Waiting)
	var ages []float64
	for i := range rep.Waiting {
		h := now.Sub(k.since[i]).Hours()
		rep.Waiting[i].AgeHours = round(h, 1)
		ages = append(ages, h)
	}
	rep.Figures = slices.Clone(k.rep.Figures)
	for i, f := range rep.Figures {
		if f.Key == "approval_age" {
			rep.Figures[i] = mean(f.Key, f.Label, ages)
			rep.Figures[i].Definition = f.Definition
		}
	}
	return &rep
}

// compute works the report out of d, but for the ages of the releases
// waiting for approval (see kept.at).
func compute(d *data, q Query) *Report {
	rep := &Report{From: q.From.Format(time.DateOnly), To: q.To.AddDate(0, 0, -1).Format(time.DateOnly), Environment: q.Environment,
		Bucket: q.Bucket, Environments: d.environments}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(q.From) && t.Before(q.To) }
	bucketOf := buckets(q)
	rep.Trend.Buckets = bucketOf.labels

	var started, failed, onTime, finished []deployment
	var leadHours []float64
	restores := []float64{}
	perBucket := map[int]*bucketStats{}
	bk := func(t time.Time) *bucketStats {
		i := bucketOf.index(t)
		if perBucket[i] == nil {
			perBucket[i] = &bucketStats{}
		}
		return perBucket[i]
	}
	// A review is about a release's last deployment; lead time counts a
	// change once, at its release's first successful deployment.
	last, firstDeployed := map[int64]int{}, map[int64]time.Time{}
	for i, dep := range d.deployments {
		last[dep.releaseID] = i
		if f, ok := firstDeployed[dep.releaseID]; !dep.deployed.IsZero() && (!ok || dep.deployed.Before(f)) {
			firstDeployed[dep.releaseID] = dep.deployed
		}
	}
	for i, dep := range d.deployments {
		rv := d.reviews[dep.releaseID]
		if last[dep.releaseID] != i {
			rv = nil
		}
		isFailed := dep.failed || (rv != nil && (len(rv.incidents) > 0 || rv.outcome == "failed" || rv.outcome == "rolled-back"))
		if in(dep.started) {
			started = append(started, dep)
			b := bk(dep.started)
			b.deploys++
			if isFailed {
				failed = append(failed, dep)
				b.failed++
			}
		}
		if in(dep.deployed) {
			finished = append(finished, dep)
			w := d.windows[dep.releaseID]
			if !dep.started.Before(w[0]) && !dep.deployed.After(w[1]) {
				onTime = append(onTime, dep)
			}
			if firstDeployed[dep.releaseID].Equal(dep.deployed) {
				for _, c := range d.changes[dep.releaseID] {
					h := dep.deployed.Sub(c).Hours()
					leadHours = append(leadHours, h)
					bk(dep.deployed).lead = append(bk(dep.deployed).lead, h)
				}
			}
		}
		// Time to restore: from a failed deployment's own moves, unless its
		// review records incidents with times (counted below).
		if dep.failed && !dep.restoredAt.IsZero() && in(dep.failedAt) && (rv == nil || !hasTimedIncident(rv)) {
			restores = append(restores, dep.restoredAt.Sub(dep.failedAt).Hours())
		}
	}
	var reviewed, successful int
	for _, rv := range d.reviews {
		if in(rv.reviewedAt) {
			reviewed++
			if rv.outcome == "successful" {
				successful++
			}
		}
		for _, inc := range rv.incidents {
			det, err1 := time.Parse(time.RFC3339, inc.DetectedAt)
			res, err2 := time.Parse(time.RFC3339, inc.RestoredAt)
			if err1 == nil && err2 == nil && in(det) {
				restores = append(restores, res.Sub(det).Hours())
			}
		}
	}
	var labsPassed, labsDone int
	for _, l := range d.labs {
		if !in(l.created) || (l.status != "passed" && l.status != "failed") {
			continue
		}
		labsDone++
		b := bk(l.created)
		b.labsDone++
		if l.status == "passed" {
			labsPassed++
			b.labsPassed++
		}
	}
	weeks := q.To.Sub(q.From).Hours() / (24 * 7)
	rep.Waiting = d.waiting

	rep.Figures = []Figure{
		rate("deployment_frequency", "Deployment frequency", float64(len(started)), weeks, "per week", len(started)),
		median("lead_time", "Lead time for changes", leadHours),
		percent("change_failure_rate", "Change failure rate", len(failed), len(started)),
		median("time_to_restore", "Time to restore", restores),
		percent("release_success_rate", "Release success rate", successful, reviewed),
		percent("on_time_rate", "On-time rate", len(onTime), len(finished)),
		percent("lab_pass_rate", "Lab pass rate", labsPassed, labsDone),
		count("approvals_waiting", "Approvals waiting", len(d.waiting)),
		mean("approval_age", "Approval age", nil), // see kept.at
	}

	series := map[string]*Series{}
	for _, s := range []Series{{Key: "deployments", Label: "Deployments", Unit: "count"}, {Key: "change_failure_rate", Label: "Change failure rate", Unit: "%"},
		{Key: "lead_time", Label: "Lead time (median)", Unit: "hours"}, {Key: "lab_pass_rate", Label: "Lab pass rate", Unit: "%"}} {
		s.Values = make([]*float64, len(bucketOf.labels))
		rep.Trend.Series = append(rep.Trend.Series, s)
	}
	for i := range rep.Trend.Series {
		series[rep.Trend.Series[i].Key] = &rep.Trend.Series[i]
	}
	for i := range bucketOf.labels {
		zero := 0.0
		series["deployments"].Values[i] = &zero
		b := perBucket[i]
		if b == nil {
			continue
		}
		deploys := float64(b.deploys)
		series["deployments"].Values[i] = &deploys
		if b.deploys > 0 {
			series["change_failure_rate"].Values[i] = ptr(round(100*float64(b.failed)/float64(b.deploys), 1))
		}
		if len(b.lead) > 0 {
			series["lead_time"].Values[i] = ptr(round(med(b.lead), 1))
		}
		if b.labsDone > 0 {
			series["lab_pass_rate"].Values[i] = ptr(round(100*float64(b.labsPassed)/float64(b.labsDone), 1))
		}
	}
	for i := range rep.Figures {
		rep.Figures[i].Definition = definitions[rep.Figures[i].Key]
	}
	return rep
}

// bucketStats is what one trend bucket counts.
type bucketStats struct {
	deploys, failed      int
	lead                 []float64
	labsPassed, labsDone int
}

func hasTimedIncident(rv *review) bool {
	for _, inc := range rv.incidents {
		if inc.DetectedAt != "" && inc.RestoredAt != "" {
			return true
		}
	}
	return false
}

func ptr(v float64) *float64 { return &v }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func med(vs []float64) float64 {
	s := slices.Clone(vs)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func hours(h float64) string {
	switch {
	case h < 1:
		return fmt.Sprintf("%.0f min", h*60)
	case h < 48:
		return fmt.Sprintf("%.1f h", h)
	}
	return fmt.Sprintf("%.1f d", h/24)
}

func rate(key, label string, num, den float64, unit string, n int) Figure {
	f := Figure{Key: key, Label: label, Unit: unit, Numerator: num, Denominator: round(den, 2), N: n}
	if den > 0 {
		f.Value = ptr(round(num/den, 2))
		f.Display = fmt.Sprintf("%.1f %s", *f.Value, unit)
	}
	return f
}

func percent(key, label string, num, den int) Figure {
	f := Figure{Key: key, Label: label, Unit: "%", Numerator: float64(num), Denominator: float64(den), N: den}
	if den > 0 {
		f.Value = ptr(round(100*float64(num)/float64(den), 1))
		f.Display = fmt.Sprintf("%.1f %%", *f.Value)
	} else {
		f.Display = "no data"
	}
	return f
}

func median(key, label string, hs []float64) Figure {
	f := Figure{Key: key, Label: label, Unit: "hours", N: len(hs), Display: "no data"}
	if len(hs) > 0 {
		f.Value = ptr(round(med(hs), 2))
		f.Display = hours(*f.Value)
	}
	return f
}

func mean(key, label string, hs []float64) Figure {
	f := Figure{Key: key, Label: label, Unit: "hours", N: len(hs), Display: "none waiting"}
	if len(hs) > 0 {
		var sum float64
		for _, h := range hs {
			sum += h
		}
		f.Value = ptr(round(sum/float64(len(hs)), 2))
		f.Numerator, f.Denominator = round(sum, 2), float64(len(hs))
		f.Display = hours(*f.Value)
	}
	return f
}

func count(key, label string, n int) Figure {
	v := float64(n)
	return Figure{Key: key, Label: label, Unit: "count", Value: &v, N: n, Numerator: v, Display: fmt.Sprintf("%d", n)}
}

// bucketing maps times to the range's day, week (from Monday) or month buckets.
type bucketing struct {
	starts []time.Time
	labels []string
}

func buckets(q Query) bucketing {
	var b bucketing
	start := q.From
	switch q.Bucket {
	case "week":
		start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
	case "month":
		start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	for t := start; t.Before(q.To); {
		b.starts = append(b.starts, t)
		b.labels = append(b.labels, t.Format(time.DateOnly))
		switch q.Bucket {
		case "day":
			t = t.AddDate(0, 0, 1)
		case "week":
			t = t.AddDate(0, 0, 7)
		default:
			t = t.AddDate(0, 1, 0)
		}
	}
	return b
}

func (b bucketing) index(t time.Time) int {
	i := sort.Search(len(b.starts), func(i int) bool { return b.starts[i].After(t) }) - 1
	return max(i, 0)
}

type lab struct {
	status  string
	created time.Time
}

type data struct {
	deployments  []deployment
	windows      map[int64][2]time.Time
	changes      map[int64][]time.Time
	reviews      map[int64]*review
	labs         []lab
	waiting      []Waiting
	waitingSince []time.Time
	environments []string
}

func load(ctx context.Context, db store.Querier, q Query) (*data, error) {
	d := &data{windows: map[int64][2]time.Time{}, changes: map[int64][]time.Time{}, reviews: map[int64]*review{}}
	envCond, args := "", []any{}
	if q.Environment != "" {
		envCond, args = " AND r.environment = ?", []any{q.Environment}
	}
	var err error
	if d.environments, err = strs(ctx, db, `SELECT DISTINCT environment FROM releases ORDER BY environment`); err != nil {
		return nil, err
	}

	// Deployments: each move to deploying, with the outcome that followed.
	// Only releases with such a move in the range count for any figure; their
	// whole history is read (a review is about the last deployment, lead
	// time counts from the first successful one).
	rangeArgs := []any{store.FormatTime(q.From), store.FormatTime(q.To)}
	moved := `SELECT release_id FROM release_transitions WHERE to_state IN ('deploying','deployed','failed','rolled-back') AND at >= ? AND at < ?`
	rows, err := db.QueryContext(ctx, `SELECT t.release_id, t.to_state, t.at, r.planned_start, r.planned_end FROM release_transitions t
		JOIN releases r ON r.id = t.release_id WHERE t.to_state IN ('deploying','deployed','failed','rolled-back')
		AND t.release_id IN (`+moved+`)`+envCond+` ORDER BY t.release_id, t.id`, append(slices.Clone(rangeArgs), args...)...)
	if err != nil {
		return nil, err
	}
	var cur *deployment
	for rows.Next() {
		var id int64
		var to, at, ps, pe string
		if err := rows.Scan(&id, &to, &at, &ps, &pe); err != nil {
			rows.Close()
			return nil, err
		}
		t, _ := store.ParseTime(at)
		if _, ok := d.windows[id]; !ok {
			s, _ := store.ParseTime(ps)
			e, _ := store.ParseTime(pe)
			d.windows[id] = [2]time.Time{s, e}
		}
		if cur != nil && cur.releaseID != id {
			d.deployments = append(d.deployments, *cur)
			cur = nil
		}
		switch to {
		case "deploying":
			if cur != nil {
				d.deployments = append(d.deployments, *cur)
			}
			cur = &deployment{releaseID: id, started: t}
		case "deployed":
			if cur != nil && cur.deployed.IsZero() && !cur.failed {
				cur.deployed = t
			}
		case "failed":
			if cur != nil {
				cur.failed, cur.failedAt = true, t
			}
		case "rolled-back":
			if cur != nil {
				if cur.failed && cur.restoredAt.IsZero() {
					cur.restoredAt = t
				}
				cur.failed = true
			}
		}
	}
	rows.Close()
	if cur != nil {
		d.deployments = append(d.deployments, *cur)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Changes count at their release's first deployment, if it is in the range.
	rows, err = db.QueryContext(ctx, `SELECT c.release_id, c.created_at FROM release_changes c JOIN releases r ON r.id = c.release_id
		WHERE r.id IN (SELECT release_id FROM release_transitions WHERE to_state = 'deployed' AND at >= ? AND at < ?)`+envCond,
		append(slices.Clone(rangeArgs), args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var at string
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, err
		}
		t, _ := store.ParseTime(at)
		d.changes[id] = append(d.changes[id], t)
	}
	rows.Close()

	// Reviews: of the releases above (failures), written in the range
	// (success rate), or with incidents (time to restore).
	rows, err = db.QueryContext(ctx, `SELECT v.release_id, v.outcome, v.incidents, v.reviewed_at FROM release_reviews v JOIN releases r ON r.id = v.release_id
		WHERE (v.reviewed_at >= ? AND v.reviewed_at < ? OR v.incidents <> '[]' OR v.release_id IN (`+moved+`))`+envCond,
		append(append(slices.Clone(rangeArgs), rangeArgs...), args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var rv review
		var incidents, at string
		if err := rows.Scan(&id, &rv.outcome, &incidents, &at); err != nil {
			rows.Close()
			return nil, err
		}
		rv.reviewedAt, _ = store.ParseTime(at)
		_ = json.Unmarshal([]byte(incidents), &rv.incidents)
		d.reviews[id] = &rv
	}
	rows.Close()

	rows, err = db.QueryContext(ctx, `SELECT l.status, l.created_at FROM labs l JOIN releases r ON r.id = l.release_id WHERE l.created_at >= ? AND l.created_at < ?`+envCond,
		append([]any{store.FormatTime(q.From), store.FormatTime(q.To)}, args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l lab
		var at string
		if err := rows.Scan(&l.status, &at); err != nil {
			rows.Close()
			return nil, err
		}
		l.created, _ = store.ParseTime(at)
		d.labs = append(d.labs, l)
	}
	rows.Close()

	rows, err = db.QueryContext(ctx, `SELECT r.id, r.name, r.version, (SELECT max(t.at) FROM release_transitions t WHERE t.release_id = r.id AND t.to_state = 'awaiting-approval')
		FROM releases r WHERE r.state = 'awaiting-approval'`+envCond+` ORDER BY 4`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	d.waiting = []Waiting{}
	for rows.Next() {
		var w Waiting
		var since *string
		if err := rows.Scan(&w.ReleaseID, &w.Name, &w.Version, &since); err != nil {
			return nil, err
		}
		if since != nil {
			w.Since = *since
		}
		t, _ := store.ParseTime(w.Since)
		d.waiting = append(d.waiting, w)
		d.waitingSince = append(d.waitingSince, t)
	}
	return d, rows.Err()
}

func strs(ctx context.Context, db store.Querier, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CSV renders a report as CSV: one row per figure, then the trend.
func (r *Report) CSV() [][]string {
	out := [][]string{{"section", "key", "label", "value", "unit", "numerator", "denominator", "n", "definition", "from", "to", "environment"}}
	env := r.Environment
	if env == "" {
		env = "all"
	}
	for _, f := range r.Figures {
		v := ""
		if f.Value != nil {
			v = fmt.Sprint(*f.Value)
		}
		out = append(out, []string{"figure", f.Key, f.Label, v, f.Unit, fmt.Sprint(f.Numerator), fmt.Sprint(f.Denominator), fmt.Sprint(f.N), f.Definition, r.From, r.To, env})
	}
	out = append(out, []string{})
	out = append(out, append([]string{"trend", "bucket"}, func() []string {
		var h []string
		for _, s := range r.Trend.Series {
			h = append(h, s.Key)
		}
		return h
	}()...))
	for i, b := range r.Trend.Buckets {
		row := []string{"trend", b}
		for _, s := range r.Trend.Series {
			if v := s.Values[i]; v != nil {
				row = append(row, fmt.Sprint(*v))
			} else {
				row = append(row, "")
			}
		}
		out = append(out, row)
	}
	return out
}
