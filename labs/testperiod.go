package labs

import (
	"context"
	"fmt"
	"time"
)

// Check is one command run in every lab VM at every tick of a test period.
type Check struct {
	Name string   `json:"name"`
	Argv []string `json:"argv"`
}

// PeriodSpec says how long a test period lasts and how often it checks.
type PeriodSpec struct {
	Interval time.Duration
	Duration time.Duration
	Checks   []Check
	// ContinueOnFailure keeps checking after a failed check ("continue and
	// record"); otherwise the first failure ends the period.
	ContinueOnFailure bool
}

// CheckResult is one check on one VM at one time: a piece of evidence.
type CheckResult struct {
	At     time.Time  `json:"at"`
	VM     string     `json:"vm"`
	Check  string     `json:"check"`
	Round  int        `json:"round"`
	Passed bool       `json:"passed"`
	Result ExecResult `json:"result"`
	Error  string     `json:"error,omitempty"`
}

// PeriodOutcome sums a test period up.
type PeriodOutcome struct {
	Rounds int  `json:"rounds"`
	Passed int  `json:"passed"`
	Failed int  `json:"failed"`
	OK     bool `json:"ok"`
}

// RunPeriod runs every check on every VM at each interval until the
// duration has passed (the first round starts at once). Each result goes
// to record as it happens; progress gets the fraction of time elapsed.
func (h *Host) RunPeriod(ctx context.Context, vms []string, spec PeriodSpec, record func(CheckResult), progress func(done float64, o PeriodOutcome)) (PeriodOutcome, error) {
	if spec.Interval <= 0 || spec.Duration <= 0 || len(spec.Checks) == 0 {
		return PeriodOutcome{}, fmt.Errorf("a test period needs an interval, a duration and at least one check")
	}
	start := time.Now()
	deadline := start.Add(spec.Duration)
	var o PeriodOutcome
	tick := time.NewTicker(spec.Interval)
	defer tick.Stop()
	for {
		o.Rounds++
		for _, vm := range vms {
			for _, c := range spec.Checks {
				res, err := h.Exec(ctx, vm, c.Argv, nil)
				if ctx.Err() != nil {
					return o, ctx.Err()
				}
				r := CheckResult{At: time.Now().UTC(), VM: vm, Check: c.Name, Round: o.Rounds, Result: res, Passed: err == nil && res.ExitCode == 0}
				if err != nil {
					r.Error = err.Error()
				}
				if r.Passed {
					o.Passed++
				} else {
					o.Failed++
				}
				record(r)
				if !r.Passed && !spec.ContinueOnFailure {
					return o, nil
				}
			}
		}
		if progress != nil {
			progress(min(1, float64(time.Since(start))/float64(spec.Duration)), o)
		}
		if !time.Now().Add(spec.Interval).Before(deadline.Add(spec.Interval / 2)) {
			o.OK = o.Failed == 0
			return o, nil
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-tick.C:
		}
	}
}
