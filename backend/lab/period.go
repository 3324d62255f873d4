package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

// Check is one command run in every lab VM at every round of a test period.
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

// PeriodOutcome sums a test period up.
type PeriodOutcome struct {
	Rounds int  `json:"rounds"`
	Passed int  `json:"passed"`
	Failed int  `json:"failed"`
	OK     bool `json:"ok"`
}

// RunPeriod starts another test period on a ready lab.
func (s *Service) RunPeriod(ctx context.Context, by auth.Actor, labID string, in PeriodInput) (Started, error) {
	if err := in.validate(""); err != nil {
		return Started{}, err
	}
	// Under the service's lock: the lab is read once, checked and marked
	// testing before a concurrent teardown or test period can act on it.
	s.mu.Lock()
	l, host, err := s.periodStart(ctx, by, labID, in)
	if err != nil {
		s.mu.Unlock()
		return Started{}, err
	}
	release := s.own(labID)
	s.mu.Unlock()
	started, err := s.startOp(ctx, by, labID, KindTestPeriod, release, func(ctx context.Context, p *ops.Progress) error {
		err := s.period(ctx, func(pct float64, msg string) { ops.Report(p, PeriodTestPeriod, pct, msg) }, host, l, by, in, 0)
		if err != nil {
			// Whatever ended the period, the lab is usable again with the
			// evidence taken so far.
			if ferr := s.finishStatus(ctx, labID); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
		return err
	})
	if err != nil && started.Operation.ID == "" {
		s.finishStatus(ctx, labID)
	}
	return started, err
}

// periodStart checks that lab labID may start a test period (ready, of a
// release that still takes evidence, on a known host) and marks it testing.
// The caller holds s.mu.
func (s *Service) periodStart(ctx context.Context, by auth.Actor, labID string, in PeriodInput) (Lab, Host, error) {
	l, err := s.Get(ctx, labID)
	if err != nil {
		return l, nil, err
	}
	if !l.Status.usable() {
		return l, nil, apperr.Conflict("", "Lab %s is %s: a test period needs a ready lab.", labID, l.Status)
	}
	// A closed or cancelled release takes no more evidence.
	if _, err := s.releases.LabScope(ctx, l.ReleaseID); err != nil {
		return l, nil, err
	}
	host, err := s.hosts.Get(l.Host)
	if err != nil {
		return l, nil, err
	}
	return l, host, s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE labs SET status = ?, error = '', updated_at = ? WHERE id = ?`, string(StatusTesting), store.FormatTime(s.now()), labID); err != nil {
			return err
		}
		return s.auditLab(ctx, tx, by.Username, "lab.test-period", l, in)
	})
}

// period runs a test period on every VM of the lab, recording each round's
// results as evidence through the release service. report reports the
// progress as the test-period stage of the operation that runs it (a build
// or a test period of its own), from percent from on.
func (s *Service) period(ctx context.Context, report func(percent float64, message string), host Host, l Lab, by auth.Actor, in PeriodInput, from float64) error {
	pkg, err := s.packageOf(ctx, l)
	if err != nil {
		return err
	}
	if err := s.setStatus(ctx, l.ID, StatusTesting, ""); err != nil {
		return err
	}
	spec := in.spec(pkg)
	report(from, fmt.Sprintf("Checking every %s for %s", spec.Interval, spec.Duration))
	outcome, err := s.runPeriod(ctx, host, l, spec, func(round []release.LabResult) error {
		return s.record(ctx, by, l, round)
	}, func(done float64, o PeriodOutcome) {
		report(from+(100-from)*done, fmt.Sprintf("Round %d: %d checks passed, %d failed", o.Rounds, o.Passed, o.Failed))
	})
	if err != nil {
		return err
	}
	s.log.Info("test period ended", "lab", l.ID, "rounds", outcome.Rounds, "passed", outcome.Passed, "failed", outcome.Failed)
	if err := s.finishStatus(ctx, l.ID); err != nil {
		return err
	}
	// The last word at 100 %: how the period ended, not its last round.
	how := fmt.Sprintf("Test period ended after %d round(s)", outcome.Rounds)
	if outcome.Failed > 0 && !spec.ContinueOnFailure {
		how = fmt.Sprintf("Test period stopped at the first failed check, in round %d", outcome.Rounds)
	}
	report(100, fmt.Sprintf("%s: %d checks passed, %d failed", how, outcome.Passed, outcome.Failed))
	return nil
}

// runPeriod runs every check on every VM at each interval until the
// duration has passed (the first round starts at once). Each round's
// results go to record as one batch; progress gets the fraction of time
// elapsed.
func (s *Service) runPeriod(ctx context.Context, host Host, l Lab, spec PeriodSpec, record func([]release.LabResult) error, progress func(done float64, o PeriodOutcome)) (PeriodOutcome, error) {
	var o PeriodOutcome
	if spec.Interval <= 0 || spec.Duration <= 0 || len(spec.Checks) == 0 {
		return o, fmt.Errorf("a test period needs an interval, a duration and at least one check")
	}
	start := time.Now()
	deadline := start.Add(spec.Duration)
	tick := time.NewTicker(spec.Interval)
	defer tick.Stop()
	for {
		o.Rounds++
		var round []release.LabResult
		stop := false
	vms:
		for _, vm := range l.VMs {
			for _, c := range spec.Checks {
				res, err := host.Exec(ctx, vm.Domain, c.Argv, nil)
				if ctx.Err() != nil {
					break vms // the round so far is still recorded
				}
				r := release.LabResult{At: s.now(), VM: vm.CIName, Kind: release.EvidenceCheck, Name: c.Name, Round: o.Rounds,
					Passed: err == nil && res.ExitCode == 0, ExitCode: res.ExitCode, Stdout: res.Stdout, Stderr: res.Stderr, Took: res.Took}
				if err != nil {
					r.ExitCode, r.Stdout = -1, err.Error()
				}
				if r.Passed {
					o.Passed++
				} else {
					o.Failed++
				}
				round = append(round, r)
				if !r.Passed && !spec.ContinueOnFailure {
					stop = true
					break vms
				}
			}
		}
		if err := record(round); err != nil {
			return o, err
		}
		if err := ctx.Err(); err != nil {
			return o, err
		}
		if progress != nil {
			progress(min(1, float64(time.Since(start))/float64(spec.Duration)), o)
		}
		if stop {
			return o, nil
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
