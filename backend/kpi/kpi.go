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
	"strconv"
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

// Figure is one KPI with how it was computed. Detail says in words what
// the figure leaves out of its value, if anything (the failed deployments
// not restored, for time to restore).
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
	Detail      string   `json:"detail"`
	// Ratio says in words what the value divides ("4 deployments over 4
	// weeks"); empty when the figure is not a ratio or has no data.
	Ratio string `json:"ratio"`
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

// doraGuide is DORA's page defining the four keys, which the definitions of
// the four cite.
const doraGuide = "https://dora.dev/guides/dora-metrics-four-keys/"

// Definitions, shown on hover in the dashboard and in the CSV. Every figure
// about deployments is dated by when the deployment finished (its move to
// deployed, failed or rolled back), so that one deployment falls in one
// range and one trend bucket for all of them.
var definitions = map[string]string{
	"deployment_frequency": "Deployments that finished deployed (reached the deployed state) in the range, per week, in the chosen environment or all of them. " +
		"One rolled back after it was deployed counts; one that failed or was rolled back while deploying, or is still deploying, does not. " +
		"Dated by when the deployment finished, like every deployment figure. " +
		"DORA's deployment frequency: how often changes are deployed to production (DORA, " + doraGuide + ").",
	"lead_time": "Median time from a change's commit (its committed_at, else when it was recorded on the release) to the end of its release's first deployment that stayed deployed (not rolled back), " +
		"over the changes of releases whose such deployment finished in the range. " +
		"DORA's change lead time (DORA, " + doraGuide + ").",
	"change_failure_rate": "Deployments finished in the range that failed, were rolled back (while deploying or after being deployed), " +
		"had an incident detected after they started and before their release's next deployment started, or (a release's last deployment) were reviewed as failed or rolled back, " +
		"divided by all deployments finished in the range (deployed, failed or rolled back; those still deploying are left out). " +
		"DORA's change fail rate (DORA, " + doraGuide + ").",
	"time_to_restore": "Median time from failure detected to service restored, over the failed deployments finished in the range (those the change failure rate counts). " +
		"Detected: the earliest of the move to failed and the detected times of its incidents, else when it finished (deployed, then rolled back) or started (rolled back while deploying). " +
		"Restored: the earlier of its rollback and the restore of the last of its incidents. " +
		"A failed deployment with neither is not restored: counted in n and named in the detail, not in the median. " +
		"DORA's failed deployment recovery time (DORA, " + doraGuide + ").",
	"release_success_rate": "Post-implementation reviews written in the range with the outcome successful, divided by all reviews written in the range.",
	"on_time_rate": "Deployments that finished deployed in the range, started at or after the planned start and deployed by the planned end, " +
		"divided by all deployments that finished deployed in the range.",
	"lab_pass_rate":     "Labs created in the range whose test period passed, divided by labs whose test period passed or failed (a lab torn down afterwards still counts by its test period's result).",
	"approvals_waiting": "Releases awaiting approval now.",
	"approval_age":      "Mean time the releases awaiting approval now have waited since they entered awaiting-approval.",
}

// How a deployment finished.
const (
	outcomeRunning    = ""            // still deploying
	outcomeDeployed   = "deployed"    // reached deployed (and may have been rolled back since)
	outcomeFailed     = "failed"      // moved to failed
	outcomeRolledBack = "rolled-back" // rolled back while still deploying
)

// deployment is one attempt to deploy a release. It is read from the
// release's transitions (a move to deploying and the moves that followed,
// see load); the figures only use these fields, so another source (records
// of a rollout engine) can replace the transitions.
type deployment struct {
	releaseID  int64
	start      time.Time // the move to deploying
	end        time.Time // the move that finished it (to deployed, failed or rolled back); zero while running
	outcome    string    // one of the outcomes above
	restoredAt time.Time // the move to rolled back (while deploying, after failing or after deployed); zero if none
}

// incident is one incident of a review, placed in time by its detection;
// restored is zero while service is not restored.
type incident struct {
	detected, restored time.Time
}

type review struct {
	outcome    string
	reviewedAt time.Time
	incidents  []incident
}

// verdict is what a finished deployment came to, judged with its review.
type verdict struct {
	failed             bool
	detected, restored time.Time // of a failure; restored is zero if it was not
}

// judge says whether dep failed and, if so, when the failure was detected
// and service restored (see the definitions of change_failure_rate and
// time_to_restore). next is when the release's next deployment started
// (zero if none); rv is the release's review, if any; last says whether
// dep is the release's last deployment (a review's outcome is about it).
func judge(dep deployment, next time.Time, rv *review, last bool) verdict {
	var v verdict
	switch dep.outcome {
	case outcomeFailed:
		v.failed, v.detected = true, dep.end
	case outcomeRolledBack:
		v.failed = true
	case outcomeDeployed:
		v.failed = !dep.restoredAt.IsZero()
	}
	var incidents, open bool
	var lastRestore time.Time
	if rv != nil {
		// An incident belongs to the deployment that was live when it was
		// detected: after this one started, before the next one did.
		for _, inc := range rv.incidents {
			if inc.detected.Before(dep.start) || (!next.IsZero() && !inc.detected.Before(next)) {
				continue
			}
			incidents, v.failed = true, true
			if v.detected.IsZero() || inc.detected.Before(v.detected) {
				v.detected = inc.detected
			}
			if inc.restored.IsZero() {
				open = true
			} else if inc.restored.After(lastRestore) {
				lastRestore = inc.restored
			}
		}
		if last && (rv.outcome == "failed" || rv.outcome == "rolled-back") {
			v.failed = true
		}
	}
	if !v.failed {
		return v
	}
	if v.detected.IsZero() {
		v.detected = dep.end
		if dep.outcome == outcomeRolledBack {
			// Rolled back while deploying: the failure showed at some point of
			// the attempt; without a sign of when, the whole attempt counts.
			v.detected = dep.start
		}
	}
	v.restored = dep.restoredAt
	if incidents && !open && (v.restored.IsZero() || lastRestore.Before(v.restored)) {
		v.restored = lastRestore
	}
	if !v.restored.IsZero() && v.restored.Before(v.detected) {
		v.detected = v.restored // never a negative time to restore
	}
	return v
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
			rep.Figures[i].Ratio = ratioText(rep.Figures[i])
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

	// Every deployment figure counts a deployment when it finished.
	var finished, failed, deployed, onTime, unrestored int
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
	// A release's deployments are in a row, in order (see load): lead time
	// counts its changes once, at the first deployment that stayed deployed.
	stayed := false
	for i, dep := range d.deployments {
		if i == 0 || d.deployments[i-1].releaseID != dep.releaseID {
			stayed = false
		}
		var next time.Time
		if i+1 < len(d.deployments) && d.deployments[i+1].releaseID == dep.releaseID {
			next = d.deployments[i+1].start
		}
		firstStayed := false
		if dep.outcome == outcomeDeployed && dep.restoredAt.IsZero() && !stayed {
			stayed, firstStayed = true, true
		}
		if dep.outcome == outcomeRunning || !in(dep.end) {
			continue
		}
		b := bk(dep.end)
		finished++
		b.finished++
		v := judge(dep, next, d.reviews[dep.releaseID], next.IsZero())
		if v.failed {
			failed++
			b.failed++
			if v.restored.IsZero() {
				unrestored++
			} else {
				restores = append(restores, v.restored.Sub(v.detected).Hours())
			}
		}
		if dep.outcome != outcomeDeployed {
			continue
		}
		deployed++
		b.deployed++
		w := d.windows[dep.releaseID]
		if !dep.start.Before(w[0]) && !dep.end.After(w[1]) {
			onTime++
		}
		if firstStayed {
			for _, c := range d.changes[dep.releaseID] {
				h := dep.end.Sub(c).Hours()
				leadHours = append(leadHours, h)
				b.lead = append(b.lead, h)
			}
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
	}
	var labsPassed, labsDone int
	for _, l := range d.labs {
		result := l.result()
		if !in(l.created) || result == "" {
			continue
		}
		labsDone++
		b := bk(l.created)
		b.labsDone++
		if result == "passed" {
			labsPassed++
			b.labsPassed++
		}
	}
	weeks := q.To.Sub(q.From).Hours() / (24 * 7)
	rep.Waiting = d.waiting

	rep.Figures = []Figure{
		rate("deployment_frequency", "Deployment frequency", float64(deployed), weeks, "per week", deployed),
		median("lead_time", "Lead time for changes", leadHours),
		percent("change_failure_rate", "Change failure rate", failed, finished),
		restoreTime(restores, unrestored),
		percent("release_success_rate", "Release success rate", successful, reviewed),
		percent("on_time_rate", "On-time rate", onTime, deployed),
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
		deploys := float64(b.deployed)
		series["deployments"].Values[i] = &deploys
		if b.finished > 0 {
			series["change_failure_rate"].Values[i] = ptr(round(100*float64(b.failed)/float64(b.finished), 1))
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
		rep.Figures[i].Ratio = ratioText(rep.Figures[i])
	}
	return rep
}

// bucketStats is what one trend bucket counts: deployments that finished
// in it, those of them that failed and those that finished deployed.
type bucketStats struct {
	finished, failed, deployed int
	lead                       []float64
	labsPassed, labsDone       int
}

// restoreTime is the median time to restore over the failed deployments
// that were restored; those that were not count in N and the detail.
func restoreTime(hs []float64, unrestored int) Figure {
	f := median("time_to_restore", "Time to restore", hs)
	f.N = len(hs) + unrestored
	if unrestored > 0 {
		f.Detail = fmt.Sprintf("%d of %d failed deployments not restored", unrestored, f.N)
		if len(hs) == 0 {
			f.Display = "none restored"
		}
	}
	return f
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
	// what its test period recorded: a lab torn down (or broken) after its
	// test period keeps this, while its status moves on
	checksFailed, checksRecorded int
}

// result is the lab's test period result, passed or failed, whatever became
// of the lab afterwards; "" while it has none (being built, ready, testing).
func (l lab) result() string {
	switch l.status {
	case "passed", "failed":
		return l.status
	case "creating", "ready", "testing":
		return ""
	}
	switch {
	case l.checksFailed > 0:
		return "failed"
	case l.checksRecorded > 0:
		return "passed"
	}
	return ""
}

// ratioText says what a figure's value divides, in words.
func ratioText(f Figure) string {
	if f.Denominator == 0 {
		return ""
	}
	num, den := int(f.Numerator), int(f.Denominator)
	plural := func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	switch f.Key {
	case "deployment_frequency":
		return fmt.Sprintf("%s over %s weeks", plural(num, "deployment", "deployments"), strconv.FormatFloat(round(f.Denominator, 1), 'f', -1, 64))
	case "change_failure_rate":
		return fmt.Sprintf("%d of %s failed", num, plural(den, "finished deployment", "finished deployments"))
	case "release_success_rate":
		return fmt.Sprintf("%d of %s successful", num, plural(den, "review", "reviews"))
	case "on_time_rate":
		return fmt.Sprintf("%d of %s on time", num, plural(den, "deployment", "deployments"))
	case "lab_pass_rate":
		return fmt.Sprintf("%d of %s passed", num, plural(den, "tested lab", "tested labs"))
	case "approval_age":
		return fmt.Sprintf("%s of waiting across %s", hours(f.Numerator), plural(den, "release", "releases"))
	}
	return fmt.Sprintf("%s / %s", strconv.FormatFloat(f.Numerator, 'f', -1, 64), strconv.FormatFloat(f.Denominator, 'f', -1, 64))
}

type data struct {
	deployments  []deployment // by release, each release's in the order they started
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
	if q.Environment != "" && !slices.Contains(d.environments, q.Environment) {
		known := "there are none yet"
		if len(d.environments) > 0 {
			known = "the known ones are " + strings.Join(d.environments, ", ")
		}
		return nil, apperr.Invalid("environment", "No release is in the environment %q; %s.", q.Environment, known)
	}

	// Deployments: each move to deploying, with the moves that followed
	// until the next one. Only releases with such a move in the range count
	// for any figure; their whole history is read (a deployment that
	// finished in the range may have started before it, lead time counts
	// from the first deployment that stayed).
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
		if to == "deploying" {
			if cur != nil {
				d.deployments = append(d.deployments, *cur)
			}
			cur = &deployment{releaseID: id, start: t}
			continue
		}
		if cur == nil {
			continue
		}
		finish := func(outcome string) {
			if cur.outcome == outcomeRunning {
				cur.outcome, cur.end = outcome, t
			}
		}
		switch to {
		case "deployed":
			finish(outcomeDeployed)
		case "failed":
			finish(outcomeFailed)
		case "rolled-back":
			finish(outcomeRolledBack)
			if cur.restoredAt.IsZero() {
				cur.restoredAt = t
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

	// Changes count at their release's first deployment that stayed, if it
	// finished (deployed) in the range: from their commit if given, else
	// from when they were recorded on the release.
	rows, err = db.QueryContext(ctx, `SELECT c.release_id, c.created_at, c.committed_at FROM release_changes c JOIN releases r ON r.id = c.release_id
		WHERE r.id IN (SELECT release_id FROM release_transitions WHERE to_state = 'deployed' AND at >= ? AND at < ?)`+envCond,
		append(slices.Clone(rangeArgs), args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var at, committed string
		if err := rows.Scan(&id, &at, &committed); err != nil {
			rows.Close()
			return nil, err
		}
		t, err := store.ParseTime(committed)
		if err != nil {
			t, _ = store.ParseTime(at)
		}
		d.changes[id] = append(d.changes[id], t)
	}
	rows.Close()

	// Reviews: of the releases above (failures and their restore, through
	// the deployments) or written in the range (success rate).
	rows, err = db.QueryContext(ctx, `SELECT v.release_id, v.outcome, v.incidents, v.reviewed_at FROM release_reviews v JOIN releases r ON r.id = v.release_id
		WHERE (v.reviewed_at >= ? AND v.reviewed_at < ? OR v.release_id IN (`+moved+`))`+envCond,
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
		rv.incidents = parseIncidents(incidents)
		d.reviews[id] = &rv
	}
	rows.Close()

	rows, err = db.QueryContext(ctx, `SELECT l.status, l.created_at,
			coalesce(json_extract(l.summary, '$.installs_failed'), 0) + coalesce(json_extract(l.summary, '$.checks_failed'), 0),
			coalesce(json_extract(l.summary, '$.installs_passed'), 0) + coalesce(json_extract(l.summary, '$.checks_passed'), 0) +
			coalesce(json_extract(l.summary, '$.installs_failed'), 0) + coalesce(json_extract(l.summary, '$.checks_failed'), 0)
		FROM labs l JOIN releases r ON r.id = l.release_id WHERE l.created_at >= ? AND l.created_at < ?`+envCond,
		append([]any{store.FormatTime(q.From), store.FormatTime(q.To)}, args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l lab
		var at string
		if err := rows.Scan(&l.status, &at, &l.checksFailed, &l.checksRecorded); err != nil {
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

// parseIncidents reads a review's incidents; one without a detected time
// cannot be placed against the deployments and is left out.
func parseIncidents(raw string) []incident {
	if raw == "" || raw == "[]" {
		return nil
	}
	var stored []struct {
		DetectedAt string `json:"detected_at"`
		RestoredAt string `json:"restored_at"`
	}
	_ = json.Unmarshal([]byte(raw), &stored)
	var out []incident
	for _, s := range stored {
		det, err := time.Parse(time.RFC3339, s.DetectedAt)
		if err != nil {
			continue
		}
		res, err := time.Parse(time.RFC3339, s.RestoredAt)
		if err != nil {
			res = time.Time{}
		}
		out = append(out, incident{detected: det, restored: res})
	}
	return out
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
	out := [][]string{{"section", "key", "label", "value", "unit", "numerator", "denominator", "n", "definition", "from", "to", "environment", "detail"}}
	env := r.Environment
	if env == "" {
		env = "all"
	}
	for _, f := range r.Figures {
		v := ""
		if f.Value != nil {
			v = fmt.Sprint(*f.Value)
		}
		out = append(out, []string{"figure", f.Key, f.Label, v, f.Unit, fmt.Sprint(f.Numerator), fmt.Sprint(f.Denominator), fmt.Sprint(f.N), f.Definition, r.From, r.To, env, f.Detail})
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
