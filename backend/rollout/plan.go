// Package rollout promotes a release's approved package to its production
// targets: a plan (big bang or phased waves, health gates, a failure
// policy), and the engine that carries it out, one watcher goroutine per
// active rollout owning its state, every target step written down before
// it starts and after it ends so that a restart resumes where it stopped.
package rollout

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
)

// Strategy is how targets are grouped into waves.
type Strategy string

// Strategies.
const (
	// BigBang puts every target in one wave, worked on max_parallel at a time.
	BigBang Strategy = "big-bang"
	// Phased works wave by wave, with a health gate after each.
	Phased Strategy = "phased"
)

// EnumValues lists the strategies, for the API document.
func (Strategy) EnumValues() []string { return []string{string(BigBang), string(Phased)} }

// Size is a wave size or a failure limit: a count, or a percentage of the
// targets ("20%"), which for a wave means at least one target.
type Size struct {
	N       int
	Percent float64 // used when Pct is set
	Pct     bool
}

// String is the size as written: "5" or "20%".
func (s Size) String() string {
	if s.Pct {
		return strconv.FormatFloat(s.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(s.N)
}

// MarshalJSON writes a count as a number and a percentage as "20%".
func (s Size) MarshalJSON() ([]byte, error) {
	if s.Pct {
		return json.Marshal(s.String())
	}
	return json.Marshal(s.N)
}

// UnmarshalJSON reads 5, "5" or "20%".
func (s *Size) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*s = Size{N: n}
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("a size is a number or a percentage like \"20%%\"")
	}
	v, err := ParseSize(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSize reads "5" or "20%".
func ParseSize(v string) (Size, error) {
	v = strings.TrimSpace(v)
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > 100 {
			return Size{}, fmt.Errorf("%q is not a percentage between 0 and 100", v)
		}
		return Size{Percent: f, Pct: true}, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return Size{}, fmt.Errorf("%q is not a count or a percentage like \"20%%\"", v)
	}
	return Size{N: n}, nil
}

// of is the size as a count of total, a percentage rounded down.
func (s Size) of(total int) int {
	if !s.Pct {
		return s.N
	}
	return int(math.Floor(s.Percent * float64(total) / 100))
}

// Waves splits n targets into waves the way Ansible's serial does: each
// size in turn, the last repeating until every target has a wave; a
// percentage is of all n targets, and at least one.
func Waves(n int, sizes []Size) []int {
	if n == 0 {
		return nil
	}
	if len(sizes) == 0 {
		return []int{n}
	}
	var out []int
	left := n
	for i := 0; left > 0; i++ {
		s := sizes[min(i, len(sizes)-1)]
		k := max(s.of(n), 1)
		k = min(k, left)
		out = append(out, k)
		left -= k
	}
	return out
}

// Trip says when a failure limit stops a rollout.
type Trip string

// Trips.
const (
	// Exceeded trips when failures go over the limit (a limit of 1 allows one).
	Exceeded Trip = "exceeded"
	// Reached trips when failures come to the limit (a limit of 1 allows none).
	Reached Trip = "reached"
)

// EnumValues lists the trips, for the API document.
func (Trip) EnumValues() []string { return []string{string(Exceeded), string(Reached)} }

// OnBreach is what a breached failure limit does.
type OnBreach string

// What a breach does.
const (
	Rollback OnBreach = "rollback" // roll every changed target back at once
	Pause    OnBreach = "pause"    // stop and wait for a person to decide
)

// EnumValues lists the actions, for the API document.
func (OnBreach) EnumValues() []string { return []string{string(Rollback), string(Pause)} }

// FailurePolicy says how many target failures a rollout allows, per wave
// and in total, and what happens beyond.
type FailurePolicy struct {
	PerWave  Size     `json:"per_wave"`
	Total    Size     `json:"total"`
	Trip     Trip     `json:"trip"`
	OnBreach OnBreach `json:"on_breach"`
}

// Breach is a failure limit that tripped, said plainly.
type Breach struct {
	Scope   string `json:"scope"` // "wave" or "total"
	Failed  int    `json:"failed"`
	Of      int    `json:"of"`
	Limit   int    `json:"limit"`
	Message string `json:"message"`
}

// Check applies the policy to failed targets of a wave of size waveSize,
// and failedTotal of all total targets. It returns the first breach.
func (p FailurePolicy) Check(wave, failedInWave, waveSize, failedTotal, total int) *Breach {
	trips := func(failed, limit int) bool {
		if p.Trip == Reached {
			return failed >= limit && failed > 0
		}
		return failed > limit
	}
	if l := p.PerWave.of(waveSize); trips(failedInWave, l) {
		return &Breach{Scope: "wave", Failed: failedInWave, Of: waveSize, Limit: l,
			Message: fmt.Sprintf("%d of %d targets failed in wave %d: the limit of %d per wave (%s) is %s.", failedInWave, waveSize, wave, l, p.PerWave, p.Trip)}
	}
	if l := p.Total.of(total); trips(failedTotal, l) {
		return &Breach{Scope: "total", Failed: failedTotal, Of: total, Limit: l,
			Message: fmt.Sprintf("%d of %d targets failed in all: the limit of %d in total (%s) is %s.", failedTotal, total, l, p.Total, p.Trip)}
	}
	return nil
}

// Describe says the policy in one sentence, as the plan form shows it
// before the start.
func (p FailurePolicy) Describe() string {
	verb := "more than"
	if p.Trip == Reached {
		verb = "as many as"
	}
	then := "every changed target is rolled back at once"
	if p.OnBreach == Pause {
		then = "the rollout pauses for an admin to decide"
	}
	return fmt.Sprintf("If %s %s targets of a wave, or %s %s of all targets, fail, %s.", verb, p.PerWave, verb, p.Total, then)
}

// HTTPCheck asks each target for a URL ({address} stands for the target's
// address) and expects a status and, optionally, a text in the body.
type HTTPCheck struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Status       int    `json:"status,omitempty"`        // default 200
	BodyContains string `json:"body_contains,omitempty"` // "" = any body
}

// CommandCheck runs a shell command on each target; exit 0 passes.
type CommandCheck struct {
	Name    string `json:"name"`
	Command string `json:"command"`
}

// Gate is the health gate after each wave: the package's verify command
// and health checks, and these checks, every interval for count rounds
// (or for the soak time), on every target of the wave.
type Gate struct {
	HTTP     []HTTPCheck    `json:"http,omitempty"`
	Commands []CommandCheck `json:"commands,omitempty"`
	// IntervalSeconds between rounds; Rounds of checks; SoakSeconds, when
	// set, keeps checking for that long instead.
	IntervalSeconds int `json:"interval_seconds"`
	Rounds          int `json:"rounds"`
	SoakSeconds     int `json:"soak_seconds,omitempty"`
	// FailureLimit is how many failed rounds a check may have on a target
	// before the target counts as failed ("exceeded": 0 allows none).
	FailureLimit int `json:"failure_limit"`
}

// Plan is how a rollout goes.
type Plan struct {
	Strategy Strategy `json:"strategy"`
	// Waves are the wave sizes of a phased rollout, the last repeating.
	Waves []Size `json:"waves,omitempty"`
	// MaxParallel is how many targets are worked on at once.
	MaxParallel int           `json:"max_parallel"`
	Gate        Gate          `json:"gate"`
	Policy      FailurePolicy `json:"failure_policy"`
	// ApproveEachWave asks an admin to start every wave after the first.
	ApproveEachWave bool `json:"approve_each_wave,omitempty"`
	// WaveDeadlineMinutes bounds a wave's progress (not counting pauses).
	WaveDeadlineMinutes int `json:"wave_deadline_minutes"`
}

// DefaultPlan is what the plan form starts from: canary of one, then 25 %
// at a time, a gate of 3 rounds 10 s apart, pause on any failure.
func DefaultPlan() Plan {
	return Plan{Strategy: Phased, Waves: []Size{{N: 1}, {Percent: 25, Pct: true}}, MaxParallel: 10,
		Gate:   Gate{IntervalSeconds: 10, Rounds: 3},
		Policy: FailurePolicy{PerWave: Size{N: 0}, Total: Size{N: 0}, Trip: Exceeded, OnBreach: Pause}, WaveDeadlineMinutes: 30}
}

// Limits of a plan.
const (
	maxParallel   = 500
	maxWaves      = 100
	maxGateChecks = 20
	maxRounds     = 1000
)

// Validate checks a plan, naming the field at fault.
func (p *Plan) Validate() error {
	switch p.Strategy {
	case BigBang:
		p.Waves = nil
	case Phased:
		if len(p.Waves) == 0 {
			return apperr.Invalid("waves", "A phased rollout needs its wave sizes, e.g. [1, 5, \"20%%\", \"100%%\"].")
		}
		if len(p.Waves) > maxWaves {
			return apperr.Invalid("waves", "At most %d wave sizes (the last repeats).", maxWaves)
		}
		for i, w := range p.Waves {
			if !w.Pct && w.N < 1 {
				return apperr.Invalid(fmt.Sprintf("waves[%d]", i), "A wave has at least one target.")
			}
		}
	default:
		return apperr.Invalid("strategy", "The strategy is big-bang or phased.")
	}
	if p.MaxParallel < 1 || p.MaxParallel > maxParallel {
		return apperr.Invalid("max_parallel", "Between 1 and %d targets at once.", maxParallel)
	}
	g := &p.Gate
	if len(g.HTTP)+len(g.Commands) > maxGateChecks {
		return apperr.Invalid("gate", "At most %d checks in a gate.", maxGateChecks)
	}
	for i, h := range g.HTTP {
		f := fmt.Sprintf("gate.http[%d]", i)
		if strings.TrimSpace(h.Name) == "" {
			return apperr.Invalid(f+".name", "Name the check.")
		}
		if !strings.HasPrefix(h.URL, "http://") && !strings.HasPrefix(h.URL, "https://") {
			return apperr.Invalid(f+".url", "The URL starts with http:// or https:// ({address} is the target's address).")
		}
		if h.Status != 0 && (h.Status < 100 || h.Status > 599) {
			return apperr.Invalid(f+".status", "An HTTP status is between 100 and 599.")
		}
	}
	for i, c := range g.Commands {
		f := fmt.Sprintf("gate.commands[%d]", i)
		if strings.TrimSpace(c.Name) == "" || strings.TrimSpace(c.Command) == "" {
			return apperr.Invalid(f, "A command check has a name and a command.")
		}
	}
	if g.IntervalSeconds < 1 || g.IntervalSeconds > 3600 {
		return apperr.Invalid("gate.interval_seconds", "Between 1 second and an hour between rounds.")
	}
	if g.SoakSeconds < 0 || g.SoakSeconds > 7*24*3600 {
		return apperr.Invalid("gate.soak_seconds", "A soak lasts at most a week.")
	}
	if g.SoakSeconds == 0 && (g.Rounds < 1 || g.Rounds > maxRounds) {
		return apperr.Invalid("gate.rounds", "Between 1 and %d rounds, or a soak time.", maxRounds)
	}
	if g.FailureLimit < 0 || g.FailureLimit > maxRounds {
		return apperr.Invalid("gate.failure_limit", "Failed rounds allowed per check: 0 or more.")
	}
	pol := &p.Policy
	switch pol.Trip {
	case "":
		pol.Trip = Exceeded
	case Exceeded, Reached:
	default:
		return apperr.Invalid("failure_policy.trip", "A limit trips when exceeded or when reached.")
	}
	switch pol.OnBreach {
	case Rollback, Pause:
	default:
		return apperr.Invalid("failure_policy.on_breach", "On a breach the rollout rolls back or pauses.")
	}
	for f, s := range map[string]Size{"failure_policy.per_wave": pol.PerWave, "failure_policy.total": pol.Total} {
		if s.N < 0 || (s.Pct && (s.Percent <= 0 || s.Percent > 100)) {
			return apperr.Invalid(f, "A failure limit is a count (0 or more) or a percentage.")
		}
	}
	if p.WaveDeadlineMinutes < 1 || p.WaveDeadlineMinutes > 7*24*60 {
		return apperr.Invalid("wave_deadline_minutes", "A wave's deadline is between 1 minute and a week.")
	}
	return nil
}

// gateLength is how long a gate takes at least.
func (g Gate) gateLength() time.Duration {
	if g.SoakSeconds > 0 {
		return time.Duration(g.SoakSeconds) * time.Second
	}
	return time.Duration(max(g.Rounds-1, 0)*g.IntervalSeconds) * time.Second
}

// WaveSizes is how many targets each wave of the plan has, for n targets.
func (p Plan) WaveSizes(n int) []int {
	if p.Strategy == BigBang {
		return Waves(n, nil)
	}
	return Waves(n, p.Waves)
}

// JSONSchema says how a size is written, for the API document.
func (Size) JSONSchema() map[string]any {
	return map[string]any{"description": "A count, or a percentage of the targets like \"20%\"",
		"oneOf": []any{map[string]any{"type": "integer", "minimum": 0}, map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?%$`}}}
}
