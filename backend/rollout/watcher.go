package rollout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

// command is an admin's decision on its way to a watcher.
type command struct {
	by    auth.Actor
	in    ActionInput
	reply chan error
}

// watcher is the one goroutine that owns an active rollout (Nomad's
// deployment watcher): it alone changes the rollout's state, writes each
// step before it starts and after it ends, and takes admins' decisions
// from its command channel.
type watcher struct {
	s      *Service
	id     string
	cmds   chan command
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex // guards r.Targets while workers run, execs and dirty
	r  *Rollout
	// dirty are the targets changed since the last event: the flusher
	// publishes them together, so that a thousand targets' steps make a
	// few events a second, not a copy of the rollout per step.
	dirty map[int64]bool
	env   string
	plan  *packages.InstallPlan
	execs map[int64]Executor
	// dialErrs are connections that failed ahead of their target's turn;
	// dialing counts those being opened (closeExecs waits for them).
	dialErrs map[int64]error
	dialing  sync.WaitGroup

	logMu sync.Mutex
	logs  []logLine
}

func (s *Service) launch(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return apperr.Conflict("", "Shakedown is shutting down; try again when it is back.")
	}
	if s.watchers[id] != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{s: s, id: id, cmds: make(chan command), ctx: ctx, cancel: cancel, done: make(chan struct{}), execs: map[int64]Executor{}, dialErrs: map[int64]error{}, dirty: map[int64]bool{}}
	s.watchers[id] = w
	s.wg.Add(1)
	go w.run()
	return nil
}

func (w *watcher) stop() { w.cancel() }

// minute is the length of one of the plan's minutes.
func (w *watcher) minute() time.Duration {
	if w.s.Minute > 0 {
		return w.s.Minute
	}
	return time.Minute
}

// startDeadline runs the wave's progress deadline: anew when a wave starts,
// from what was left when a paused wave resumes.
func (w *watcher) startDeadline() {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := time.Duration(w.r.Plan.WaveDeadlineMinutes) * w.minute()
	if w.r.deadlineLeft > 0 {
		d = w.r.deadlineLeft
	}
	t := w.s.now().Add(d)
	w.r.Deadline, w.r.deadlineLeft = &t, 0
}

// deadlineC fires when the wave's deadline passes (nil: no deadline runs).
func (w *watcher) deadlineC() (<-chan time.Time, func()) {
	w.mu.Lock()
	d := w.r.Deadline
	w.mu.Unlock()
	if d == nil {
		return nil, func() {}
	}
	t := time.NewTimer(max(time.Until(*d), 0))
	return t.C, func() { t.Stop() }
}

// missedDeadline pauses the rollout: the wave did not pass its gate in time.
func (w *watcher) missedDeadline() {
	w.mu.Lock()
	w.r.deadlineLeft = 0
	w.r.Deadline = nil
	w.mu.Unlock()
	w.pause(fmt.Sprintf("Wave %d did not pass its gate within its deadline of %d minute(s) (paused time not counted): it is paused for an admin to decide.",
		w.r.Wave+1, w.r.Plan.WaveDeadlineMinutes), "")
}

// stopped says the rollout no longer goes forward: Shakedown is stopping,
// or an admin paused it, rolls it back or aborted it.
func (w *watcher) stopped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx.Err() != nil || w.r.Status != StatusRunning && w.r.Status != StatusRollingBack
}

// step is the context of a step on a target: a stop (Shakedown shutting
// down) ends the rollout's loop, not a step under way, so that what was
// started on a target finishes and is written down.
func (w *watcher) step() context.Context { return context.WithoutCancel(w.ctx) }

func (w *watcher) run() {
	s := w.s
	defer s.wg.Done()
	defer close(w.done)
	defer func() {
		s.mu.Lock()
		delete(s.watchers, w.id)
		s.mu.Unlock()
	}()
	stopFlush, flushed := make(chan struct{}), make(chan struct{})
	go w.flusher(stopFlush, flushed)
	defer func() { close(stopFlush); <-flushed }()
	defer w.closeExecs()
	if err := w.start(); err != nil {
		s.Log.Error("rollout: cannot resume", "rollout", w.id, "err", err)
		return
	}
	for !w.r.Status.Done() && w.ctx.Err() == nil {
		switch w.r.Status {
		case StatusPaused:
			w.waitDecision()
		case StatusRollingBack:
			w.rollbackAll()
		default:
			w.advance()
		}
	}
}

// start loads the rollout and what it rolls out.
func (w *watcher) start() error {
	r, err := load(w.ctx, w.s.db, w.id)
	if err != nil {
		return err
	}
	w.r = r
	rel, err := w.s.Releases.Get(w.ctx, auth.System, r.ReleaseID)
	if err != nil {
		return err
	}
	w.env = rel.Environment
	w.plan, err = w.s.Packages.InstallPlan(w.ctx, r.Digest, maxPackageBytes)
	return err
}

// flusher writes the buffered log and publishes the targets changed since
// the last event every 300 ms, and once more at the end.
func (w *watcher) flusher(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(300 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.flush()
			w.publishDirty()
		case <-stop:
			w.flush()
			w.publishDirty()
			return
		}
	}
}

func (w *watcher) flush() {
	w.logMu.Lock()
	lines := w.logs
	w.logs = nil
	w.logMu.Unlock()
	if err := w.s.flushLog(w.ctx, w.id, lines); err != nil {
		w.s.Log.Error("rollout log", "rollout", w.id, "err", err)
	}
}

func (w *watcher) log(ciID int64, msg string) {
	w.logMu.Lock()
	w.logs = append(w.logs, logLine{ciID: ciID, at: w.s.now(), msg: msg})
	w.logMu.Unlock()
}

func (w *watcher) closeExecs() {
	w.dialing.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.execs {
		e.Close()
	}
}

// save writes the rollout's own state and tells clients.
func (w *watcher) save() {
	stamp := w.s.stamp()
	at, _ := store.ParseTime(stamp)
	w.mu.Lock()
	w.r.UpdatedAt = at // the event carries the time written
	if w.r.Status != StatusPaused {
		w.r.PausedAt = nil
	}
	w.mu.Unlock()
	err := w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error { return saveRollout(ctx, tx, w.r, stamp) })
	if err != nil {
		w.s.Log.Error("save rollout", "rollout", w.id, "err", err)
	}
	w.publish()
}

// publish sends the rollout with the targets changed since the last event
// (clients merge them into what they have by ci_id) and its counts.
func (w *watcher) publish() {
	w.mu.Lock()
	if w.r == nil {
		w.mu.Unlock()
		return
	}
	w.r.count()
	snap := *w.r
	snap.Targets = []TargetRun{}
	for _, t := range w.r.Targets {
		if w.dirty[t.CIID] {
			snap.Targets = append(snap.Targets, t)
		}
	}
	clear(w.dirty)
	w.mu.Unlock()
	w.s.Bus.Publish(Updated, w.id, snap)
}

// publishDirty publishes when targets changed since the last event.
func (w *watcher) publishDirty() {
	w.mu.Lock()
	n := len(w.dirty)
	w.mu.Unlock()
	if n > 0 {
		w.publish()
	}
}

// saveTarget writes one target's state (the caller holds no lock).
func (w *watcher) saveTarget(t *TargetRun) {
	w.mu.Lock()
	copyT := *t
	w.mu.Unlock()
	err := w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error {
		return saveTargets(ctx, tx, w.id, []*TargetRun{&copyT}, w.s.stamp())
	})
	if err != nil {
		w.s.Log.Error("save rollout target", "rollout", w.id, "target", t.Name, "err", err)
	}
	w.mu.Lock()
	w.dirty[copyT.CIID] = true
	w.mu.Unlock()
}

func (w *watcher) setTarget(t *TargetRun, fn func(t *TargetRun)) {
	w.mu.Lock()
	fn(t)
	w.mu.Unlock()
	w.saveTarget(t)
}

func (w *watcher) pause(reason, phase string) {
	w.mu.Lock()
	w.r.Status, w.r.PauseReason, w.r.ClaimedBy = StatusPaused, reason, ""
	at := w.s.now().UTC().Truncate(time.Millisecond) // as stored
	w.r.PausedAt = &at
	if w.r.Deadline != nil { // a paused wave's deadline does not run
		w.r.deadlineLeft = max(time.Until(*w.r.Deadline), 0)
		w.r.Deadline = nil
	}
	w.mu.Unlock()
	if phase != "" {
		w.mu.Lock()
		w.r.Phase = phase
		w.mu.Unlock()
	}
	w.log(0, "Paused: "+reason)
	w.save()
}

// advance does the next piece of the current wave.
func (w *watcher) advance() {
	r := w.r
	if r.Wave >= len(r.WaveSizes) {
		w.finish(StatusSucceeded, "")
		return
	}
	wave := r.Wave
	if r.Phase == "" {
		occ, err := w.s.Releases.ActiveFreeze(w.ctx, w.env, w.s.now())
		if err != nil {
			w.pause("Could not read the freeze windows: "+err.Error(), "freeze")
			return
		}
		if occ != nil {
			w.pause(fmt.Sprintf("The freeze %q holds %s until %s: wave %d waits. An admin may continue with a reason to override it.",
				occ.Name, w.env, occ.End.Format("2 Jan 2006 15:04 MST"), wave+1), "freeze")
			return
		}
		if r.Plan.ApproveEachWave && wave > 0 {
			w.pause(fmt.Sprintf("Wave %d (%d targets) waits for an admin's go.", wave+1, r.WaveSizes[wave]), "approval")
			return
		}
		w.mu.Lock()
		r.Phase = "install"
		w.mu.Unlock()
		w.startDeadline()
		w.save()
	}
	if r.Deadline == nil {
		w.startDeadline() // a resumed wave, or one a restart left without its deadline
	}
	if r.Phase == "install" {
		if !w.installWave(wave) {
			return
		}
		w.mu.Lock()
		r.Phase = "gate"
		w.mu.Unlock()
		w.save()
	}
	if r.Phase == "gate" {
		if !w.gateWave(wave) {
			return
		}
		w.evaluate(wave)
	}
}

// targetsOf returns the wave's targets (pointers into r.Targets).
func (w *watcher) targetsOf(wave int, states ...TargetState) []*TargetRun {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*TargetRun
	for i := range w.r.Targets {
		t := &w.r.Targets[i]
		if t.Wave != wave {
			continue
		}
		for _, st := range states {
			if t.State == st {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// pool runs fn on each target, max_parallel at a time, and takes
// decisions between targets. It returns false when a decision stopped the
// wave (the rollout paused, rolls back or ended): what was started ends
// first. While targets wait for their turn, the next ones' connections
// are opened (half of max_parallel ahead at most), so that a turn does not
// start with an SSH handshake.
func (w *watcher) pool(ts []*TargetRun, fn func(t *TargetRun)) bool {
	sem := make(chan struct{}, w.r.Plan.MaxParallel)
	var wg sync.WaitGroup
	stopped := false
	late, stopTimer := w.deadlineC()
	defer stopTimer()
	ahead, connected := max(1, w.r.Plan.MaxParallel/2), 0
	ready := make([]chan struct{}, len(ts))
	for i, t := range ts {
		for ; connected < len(ts) && connected < i+ahead; connected++ {
			ready[connected] = w.connectAhead(ts[connected])
		}
		acquired := false
		for !acquired && !stopped {
			select {
			case sem <- struct{}{}:
				acquired = true
			case c := <-w.cmds:
				stopped = w.decideRunning(c)
			case <-late:
				w.missedDeadline()
				stopped = true
			case <-w.ctx.Done():
				stopped = true
			}
		}
		if stopped {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			<-ready[i]
			fn(t)
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	for {
		select {
		case <-finished:
			return !stopped && w.r.Status == StatusRunning && w.ctx.Err() == nil
		case c := <-w.cmds:
			if w.decideRunning(c) {
				stopped = true
			}
		case <-late:
			late = nil
			if !stopped {
				w.missedDeadline()
				stopped = true
			}
		}
	}
}

// connectAhead opens a target's executor in the background (kept for its
// turn, a failure too); the channel closes when it is done.
func (w *watcher) connectAhead(t *TargetRun) chan struct{} {
	done := make(chan struct{})
	w.mu.Lock()
	open := w.execs[t.CIID] != nil || t.Kind == KindManual
	if !open {
		w.dialing.Add(1)
	}
	w.mu.Unlock()
	if open {
		close(done)
		return done
	}
	go func() {
		defer w.dialing.Done()
		defer close(done)
		if _, err := w.exec(t); err != nil {
			w.mu.Lock()
			w.dialErrs[t.CIID] = err
			w.mu.Unlock()
		}
	}()
	return done
}

// exec returns (opening once) the executor of a target; a connection that
// failed ahead of the target's turn fails its turn (once: a retry connects
// again).
func (w *watcher) exec(t *TargetRun) (Executor, error) {
	w.mu.Lock()
	e, err := w.execs[t.CIID], w.dialErrs[t.CIID]
	delete(w.dialErrs, t.CIID)
	w.mu.Unlock()
	if e != nil || err != nil {
		return e, err
	}
	if t.Kind == KindManual {
		e = &manualExecutor{s: w.s, rollout: w.id, target: t.Target, stopped: w.stopped}
	} else if e, err = w.s.Connect.Connect(w.step(), t.Target); err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.execs[t.CIID] = e
	w.mu.Unlock()
	return e, nil
}

// installWave installs the package on the wave's targets that need it.
func (w *watcher) installWave(wave int) bool {
	ts := w.targetsOf(wave, TargetPending, TargetPreparing, TargetInstalling)
	return w.pool(ts, w.installTarget)
}

func (w *watcher) snapName() string { return "shakedown-" + w.id }

// installTarget takes one target from pending (or wherever a restart left
// it) to installed or failed, writing each step before and after.
func (w *watcher) installTarget(t *TargetRun) {
	ex, err := w.exec(t)
	if err != nil {
		w.failTarget(t, fmt.Errorf("cannot reach %s: %w", t.Name, err))
		return
	}
	resume := t.State == TargetInstalling
	if resume {
		// A restart left it mid-install: the marker on the target decides.
		if m, err := ex.Marker(w.step()); err == nil && m.RolloutID == w.id && m.Digest == w.r.Digest {
			w.log(t.CIID, "The target's marker says this rollout installed it already: not installing twice")
			w.installed(t)
			return
		}
	}
	if t.State != TargetInstalling && t.Kind != KindVM {
		// Nothing to prepare (no snapshot): one write, not two.
		w.setTarget(t, func(t *TargetRun) { t.State, t.Error = TargetInstalling, "" })
	}
	if t.State != TargetInstalling {
		w.setTarget(t, func(t *TargetRun) { t.State, t.Error = TargetPreparing, "" })
		_ = ex.Forget(w.step(), w.snapName()) // a snapshot a restart left half-taken
		paused, err := ex.Prepare(w.step(), w.snapName())
		if err != nil {
			w.failTarget(t, err)
			return
		}
		snap := ""
		if t.Kind == KindVM {
			snap = w.snapName()
			w.log(t.CIID, fmt.Sprintf("Snapshot %s taken; the VM stood still for %d ms", snap, paused.Milliseconds()))
		}
		w.setTarget(t, func(t *TargetRun) { t.State, t.Snapshot, t.PausedMS = TargetInstalling, snap, paused.Milliseconds() })
	}
	m := Marker{Digest: w.r.Digest, RolloutID: w.id, ReleaseID: w.r.ReleaseID, At: w.s.now().UTC()}
	err = ex.Install(w.step(), w.plan, m, resume, func(line string) { w.log(t.CIID, line) })
	w.addCommandTime(t, ex)
	if err != nil {
		if errors.Is(err, errInterrupted) {
			return // waited for again when the rollout goes on
		}
		w.failTarget(t, err)
		return
	}
	if t.Kind == KindManual {
		w.log(t.CIID, "The install of "+w.plan.Name+" is marked done")
	} else {
		w.log(t.CIID, "Installed and verified "+w.plan.Name)
	}
	w.installed(t)
}

// installed records the target installed, and what runs there now, in one
// transaction.
func (w *watcher) installed(t *TargetRun) {
	w.mu.Lock()
	t.State = TargetInstalled
	copyT := *t
	w.dirty[t.CIID] = true
	w.mu.Unlock()
	err := w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := saveTargets(ctx, tx, w.id, []*TargetRun{&copyT}, w.s.stamp()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO target_installs (ci_id, release_id, digest, rollout_id, state, at) VALUES (?, ?, ?, ?, 'installed', ?)`,
			t.CIID, w.r.ReleaseID, w.r.Digest, w.id, w.s.stamp())
		return err
	})
	if err != nil {
		w.s.Log.Error("record install", "rollout", w.id, "err", err)
	}
}

// setTargets changes several targets and writes them in one transaction.
func (w *watcher) setTargets(ts []*TargetRun, fn func(t *TargetRun)) {
	if len(ts) == 0 {
		return
	}
	copies := make([]*TargetRun, len(ts))
	w.mu.Lock()
	for i, t := range ts {
		fn(t)
		c := *t
		copies[i] = &c
		w.dirty[t.CIID] = true
	}
	w.mu.Unlock()
	err := w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error {
		return saveTargets(ctx, tx, w.id, copies, w.s.stamp())
	})
	if err != nil {
		w.s.Log.Error("save rollout targets", "rollout", w.id, "err", err)
	}
}

// addCommandTime adds what the executor's commands took to the target's
// record (written with its next state).
func (w *watcher) addCommandTime(t *TargetRun, ex Executor) {
	d := ex.TakeCommandTime()
	w.mu.Lock()
	t.CommandMS += d.Milliseconds()
	w.mu.Unlock()
}

// failTarget records a failed step.
func (w *watcher) failTarget(t *TargetRun, err error) {
	w.log(t.CIID, "Failed: "+err.Error())
	w.setTarget(t, func(t *TargetRun) { t.State, t.Error = TargetFailed, clip(err.Error()) })
}

// check is one gate check as the targets run it.
type check struct {
	name    string
	command string // a shell command on the target
	http    *HTTPCheck
}

func (w *watcher) checks() []check {
	var out []check
	if w.plan.Verify != "" {
		out = append(out, check{name: "verify", command: w.plan.Verify})
	}
	for _, c := range w.plan.Checks {
		out = append(out, check{name: c.Name, command: c.Command})
	}
	for _, c := range w.r.Plan.Gate.Commands {
		out = append(out, check{name: c.Name, command: c.Command})
	}
	for i := range w.r.Plan.Gate.HTTP {
		h := w.r.Plan.Gate.HTTP[i]
		out = append(out, check{name: h.Name, http: &h})
	}
	return out
}

// gateWave checks the wave's installed targets every interval for the
// gate's rounds (or soak). It returns false when a decision stopped it.
func (w *watcher) gateWave(wave int) bool {
	g := w.r.Plan.Gate
	checks := w.checks()
	end := w.s.now().Add(g.gateLength())
	for round := 1; ; round++ {
		ts := w.targetsOf(wave, TargetInstalled)
		if len(ts) == 0 || len(checks) == 0 {
			break
		}
		ok := w.pool(ts, func(t *TargetRun) { w.checkTarget(t, checks, round) })
		if !ok {
			return false
		}
		last := round >= g.Rounds
		if g.SoakSeconds > 0 {
			last = !w.s.now().Before(end)
		}
		if last {
			break
		}
		if !w.sleep(time.Duration(g.IntervalSeconds) * time.Second) {
			return false
		}
	}
	unknown := 0
	var passed []*TargetRun
	for _, t := range w.targetsOf(wave, TargetInstalled) {
		if t.Unknown > 0 {
			unknown++
			continue
		}
		passed = append(passed, t)
	}
	w.setTargets(passed, func(t *TargetRun) { t.State = TargetHealthy })
	if unknown > 0 {
		w.pause(fmt.Sprintf("%d target(s) of wave %d gave results that were neither pass nor fail (unreachable): the wave is paused, not passed.", unknown, wave+1), "")
		return false
	}
	return true
}

// checkTarget runs one round of checks on a target.
func (w *watcher) checkTarget(t *TargetRun, checks []check, round int) {
	ex, err := w.exec(t)
	results := make([]CheckResult, 0, len(checks))
	for _, c := range checks {
		switch {
		case err != nil:
			results = append(results, CheckResult{Check: c.name, Outcome: Unknown, Output: err.Error()})
		case c.http != nil:
			results = append(results, httpCheck(w.step(), *c.http, t.Address))
		default:
			results = append(results, ex.Check(w.step(), c.name, c.command))
		}
	}
	if ex != nil {
		w.addCommandTime(t, ex)
	}
	failed, unknown := false, false
	for _, res := range results {
		failed = failed || res.Outcome == Failed
		unknown = unknown || res.Outcome == Unknown
		if res.Outcome != Passed {
			w.log(t.CIID, fmt.Sprintf("Gate round %d: %s %s: %s", round, res.Check, res.Outcome, res.Output))
		}
	}
	w.setTarget(t, func(t *TargetRun) {
		t.Checks = results
		switch {
		case failed:
			t.Failed++
		case unknown:
			t.Unknown++
		}
		if t.Failed > w.r.Plan.Gate.FailureLimit {
			t.State, t.Error = TargetFailed, fmt.Sprintf("The gate failed %d round(s), over the limit of %d.", t.Failed, w.r.Plan.Gate.FailureLimit)
		}
	})
}

// httpCheck asks a target's URL ({address} replaced) for the check.
func httpCheck(ctx context.Context, h HTTPCheck, address string) CheckResult {
	url := strings.ReplaceAll(h.URL, "{address}", address)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return CheckResult{Check: h.Name, Outcome: Failed, Output: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return CheckResult{Check: h.Name, Outcome: Unknown, Output: err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	want := h.Status
	if want == 0 {
		want = http.StatusOK
	}
	switch {
	case resp.StatusCode != want:
		return CheckResult{Check: h.Name, Outcome: Failed, Output: fmt.Sprintf("status %d, want %d", resp.StatusCode, want)}
	case h.BodyContains != "" && !strings.Contains(string(body), h.BodyContains):
		return CheckResult{Check: h.Name, Outcome: Failed, Output: fmt.Sprintf("the body does not contain %q", h.BodyContains)}
	}
	return CheckResult{Check: h.Name, Outcome: Passed, Output: fmt.Sprintf("status %d", resp.StatusCode)}
}

// sleep waits d, taking decisions; false when one stopped the wave.
func (w *watcher) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	late, stopTimer := w.deadlineC()
	defer stopTimer()
	for {
		select {
		case <-t.C:
			return true
		case <-late:
			w.missedDeadline()
			return false
		case c := <-w.cmds:
			if w.decideRunning(c) {
				return false
			}
		case <-w.ctx.Done():
			return false
		}
	}
}

// evaluate applies the failure policy once the wave's gate is done.
func (w *watcher) evaluate(wave int) {
	failedWave, failedAll, size, total := 0, 0, 0, 0
	w.mu.Lock()
	for _, t := range w.r.Targets {
		if t.State == TargetExcluded {
			continue
		}
		total++
		if t.State == TargetFailed {
			failedAll++
		}
		if t.Wave == wave {
			size++
			if t.State == TargetFailed {
				failedWave++
			}
		}
	}
	w.mu.Unlock()
	if b := w.r.Plan.Policy.Check(wave+1, failedWave, size, failedAll, total); b != nil {
		if w.r.Plan.Policy.OnBreach == Rollback {
			w.mu.Lock()
			w.r.Status, w.r.Error = StatusRollingBack, b.Message
			w.mu.Unlock()
			w.log(0, b.Message+" Rolling back every changed target.")
			w.save()
			return
		}
		w.pause(b.Message, "")
		return
	}
	w.mu.Lock()
	w.r.Deadline, w.r.deadlineLeft = nil, 0
	w.mu.Unlock()
	w.log(0, fmt.Sprintf("Wave %d passed its gate.", wave+1))
	w.mu.Lock()
	w.r.Wave, w.r.Phase = wave+1, ""
	w.mu.Unlock()
	w.save()
	w.closeWave(wave)
}

// closeWave closes the connections of a wave that passed: a thousand
// targets do not keep a thousand connections open to the end (a rollback
// connects again).
func (w *watcher) closeWave(wave int) {
	w.mu.Lock()
	var done []Executor
	for _, t := range w.r.Targets {
		if e := w.execs[t.CIID]; e != nil && t.Wave == wave {
			done = append(done, e)
			delete(w.execs, t.CIID)
		}
	}
	w.mu.Unlock()
	for _, e := range done {
		e.Close()
	}
}

// decideRunning takes a decision while the rollout runs: pause, rollback
// or abort stop the wave (true); the others wait for a pause.
func (w *watcher) decideRunning(c command) bool {
	switch c.in.Action {
	case "pause":
		w.audit(c, "rollout.pause", nil)
		w.pause("Paused by "+c.by.Username+reasonSuffix(c.in.Reason), "")
		c.reply <- nil
		return true
	case "rollback":
		w.audit(c, "rollout.rollback", nil)
		w.mu.Lock()
		w.r.Status, w.r.Error = StatusRollingBack, "Rolled back by "+c.by.Username+reasonSuffix(c.in.Reason)
		w.mu.Unlock()
		w.save()
		c.reply <- nil
		return true
	case "abort":
		if strings.TrimSpace(c.in.Reason) == "" {
			c.reply <- apperr.Invalid("reason", "Say why the rollout is aborted: the targets keep what they have.")
			return false
		}
		w.audit(c, "rollout.abort", nil)
		c.reply <- nil
		w.abort(c)
		return true
	}
	c.reply <- apperr.Conflict("action", "The rollout is running: pause it before you %s.", c.in.Action)
	return false
}

func reasonSuffix(r string) string {
	if r = strings.TrimSpace(r); r != "" {
		return ": " + r
	}
	return "."
}

func (w *watcher) audit(c command, action string, extra map[string]any) {
	after := map[string]any{"rollout": w.id, "reason": c.in.Reason, "wave": w.r.Wave + 1}
	for k, v := range extra {
		after[k] = v
	}
	err := w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error {
		return audit.Append(ctx, tx, w.s.now(), audit.Record{Actor: c.by.Username, Action: action, Entity: "release", EntityID: events.ID(w.r.ReleaseID), After: after})
	})
	if err != nil {
		w.s.Log.Error("audit rollout decision", "rollout", w.id, "err", err)
	}
}

// waitDecision blocks on a paused rollout until an admin decides.
func (w *watcher) waitDecision() {
	select {
	case <-w.ctx.Done():
	case c := <-w.cmds:
		c.reply <- w.decidePaused(c)
	}
}

// decidePaused takes a decision on a paused rollout: whoever claimed it
// decides (acting claims an unclaimed one).
func (w *watcher) decidePaused(c command) error {
	r := w.r
	if r.ClaimedBy != "" && r.ClaimedBy != c.by.Username && c.in.Action != "pause" {
		return apperr.Conflict("action", "%s has claimed this paused rollout; they decide.", r.ClaimedBy)
	}
	switch c.in.Action {
	case "pause":
		return nil
	case "claim":
		w.mu.Lock()
		r.ClaimedBy = c.by.Username
		w.mu.Unlock()
		w.audit(c, "rollout.claim", nil)
		w.save()
		return nil
	case "continue", "retry":
		if r.Phase == "freeze" {
			if strings.TrimSpace(c.in.Reason) == "" {
				return apperr.Invalid("reason", "A freeze holds this wave: say why it must go on.")
			}
			w.audit(c, "rollout.freeze-override", map[string]any{"pause_reason": r.PauseReason})
			w.mu.Lock()
			r.Phase = "install"
			w.mu.Unlock()
		} else if r.Phase == "approval" {
			w.audit(c, "rollout.wave-go", nil)
			w.mu.Lock()
			r.Phase = "install"
			w.mu.Unlock()
		} else if c.in.Action == "retry" {
			n := 0
			w.mu.Lock()
			for i := range r.Targets {
				if t := &r.Targets[i]; t.Wave == r.Wave && t.State == TargetFailed {
					t.State, t.Failed, t.Unknown, t.Error = TargetPending, 0, 0, ""
					if t.Snapshot != "" {
						t.State = TargetInstalling
					}
					n++
				}
			}
			w.mu.Unlock()
			for i := range r.Targets {
				if t := &r.Targets[i]; t.Wave == r.Wave {
					w.saveTarget(t)
				}
			}
			w.audit(c, "rollout.retry", map[string]any{"targets": n})
			w.mu.Lock()
			r.Phase = "install"
			w.mu.Unlock()
		} else {
			w.audit(c, "rollout.continue", nil)
			if r.Phase == "gate" {
				// The gate was done (a breach or unknown results paused it): go on to the next wave.
				w.mu.Lock()
				for i := range r.Targets {
					if t := &r.Targets[i]; t.Wave == r.Wave && t.State == TargetInstalled {
						t.State = TargetHealthy
					}
				}
				w.mu.Unlock()
				w.mu.Lock()
				r.Wave, r.Phase, r.deadlineLeft = r.Wave+1, "", 0
				w.mu.Unlock()
			}
		}
		w.mu.Lock()
		r.Status, r.PauseReason, r.ClaimedBy = StatusRunning, "", ""
		w.mu.Unlock()
		w.log(0, "Resumed by "+c.by.Username+" ("+c.in.Action+")")
		w.save()
		return nil
	case "exclude":
		w.mu.Lock()
		var t *TargetRun
		for i := range r.Targets {
			if r.Targets[i].CIID == c.in.CIID {
				t = &r.Targets[i]
			}
		}
		w.mu.Unlock()
		if t == nil {
			return apperr.Invalid("ci_id", "Configuration item %d is not a target of this rollout.", c.in.CIID)
		}
		if t.State.changed() && t.State != TargetFailed {
			return apperr.Conflict("ci_id", "%s already carries the package; roll it back rather than exclude it.", t.Name)
		}
		w.audit(c, "rollout.exclude", map[string]any{"target": t.Name})
		w.setTarget(t, func(t *TargetRun) { t.State = TargetExcluded })
		w.mu.Lock()
		r.ClaimedBy = c.by.Username
		w.mu.Unlock()
		w.save()
		return nil
	case "rollback":
		w.audit(c, "rollout.rollback", nil)
		w.mu.Lock()
		r.Status, r.Error = StatusRollingBack, "Rolled back by "+c.by.Username+reasonSuffix(c.in.Reason)
		w.mu.Unlock()
		w.save()
		return nil
	case "abort":
		if strings.TrimSpace(c.in.Reason) == "" {
			return apperr.Invalid("reason", "Say why the rollout is aborted: the targets keep what they have.")
		}
		w.audit(c, "rollout.abort", nil)
		w.abort(c)
		return nil
	}
	return apperr.Invalid("action", "Unknown action %q.", c.in.Action)
}

// abort ends the rollout where it is: the targets keep what they have and
// the release fails (it is not deployed as planned).
func (w *watcher) abort(c command) {
	carrying := 0
	for _, t := range w.r.Targets {
		if t.mayCarry() {
			carrying++
		}
	}
	w.finish(StatusAborted, fmt.Sprintf("Aborted by %s%s; %d target(s) may carry the new package.", c.by.Username, strings.TrimSuffix(reasonSuffix(c.in.Reason), "."), carrying))
}

// rollbackAll undoes every changed target, newest first, without the
// waves; then the release is rolled back.
func (w *watcher) rollbackAll() {
	var ts []*TargetRun
	w.mu.Lock()
	for i := range w.r.Targets {
		if t := &w.r.Targets[i]; t.mayCarry() {
			ts = append(ts, t)
		}
	}
	w.mu.Unlock()
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Wave != ts[j].Wave {
			return ts[i].Wave > ts[j].Wave
		}
		return ts[i].Position > ts[j].Position
	})
	var failures []string
	for _, t := range ts {
		if w.ctx.Err() != nil {
			return
		}
		w.setTarget(t, func(t *TargetRun) { t.State = TargetRollingBack })
		ex, err := w.exec(t)
		if err == nil {
			if t.Kind == KindVM && t.Snapshot == "" {
				err = errors.New("no snapshot was taken before the install")
			} else {
				err = ex.Rollback(w.step(), t.Snapshot, w.plan, func(line string) { w.log(t.CIID, line) })
			}
			w.addCommandTime(t, ex)
		}
		if errors.Is(err, errInterrupted) {
			return // Shakedown is stopping: the rollback goes on at the next start
		}
		if err != nil {
			failures = append(failures, t.Name+": "+err.Error())
			w.log(t.CIID, "Rollback failed: "+err.Error())
			w.setTarget(t, func(t *TargetRun) { t.State, t.Error = TargetFailed, clip("rollback: "+err.Error()) })
			continue
		}
		w.log(t.CIID, "Rolled back")
		w.setTarget(t, func(t *TargetRun) { t.State = TargetRolledBack })
		_ = w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO target_installs (ci_id, release_id, digest, rollout_id, state, at) VALUES (?, ?, ?, ?, 'rolled-back', ?)`,
				t.CIID, w.r.ReleaseID, w.r.Digest, w.id, w.s.stamp())
			return err
		})
	}
	if len(failures) > 0 {
		w.finish(StatusFailed, w.r.Error+" The rollback failed on: "+strings.Join(failures, "; "))
		return
	}
	w.finish(StatusRolledBack, w.r.Error)
}

// finish ends the rollout: the release moves to the outcome (deployed,
// rolled-back or failed) first, then the rollout's final state is written
// and its targets freed, so that whoever sees the rollout ended sees the
// release moved.
func (w *watcher) finish(st Status, msg string) {
	now := w.s.now().UTC()
	w.mu.Lock()
	w.r.Status, w.r.FinishedAt, w.r.PauseReason, w.r.ClaimedBy = st, &now, "", ""
	if msg != "" {
		w.r.Error = msg
	}
	w.mu.Unlock()
	to, reason := release.StateDeployed, "Rollout "+w.id+" succeeded on every target."
	switch st {
	case StatusRolledBack:
		to, reason = release.StateRolledBack, "Rollout "+w.id+": "+w.r.Error
	case StatusFailed, StatusAborted:
		to, reason = release.StateFailed, "Rollout "+w.id+": "+w.r.Error
	}
	if _, err := w.s.Releases.Apply(context.WithoutCancel(w.ctx), auth.Actor{Username: "rollout:" + w.id, Roles: []auth.Role{auth.RoleAdmin}},
		w.r.ReleaseID, release.Move{To: to, Reason: reason}); err != nil {
		w.s.Log.Error("rollout outcome on the release", "rollout", w.id, "to", to, "err", err)
		w.log(0, "Could not move the release to "+string(to)+": "+err.Error())
	}
	err := w.s.write(w.ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := saveRollout(ctx, tx, w.r, w.s.stamp()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM rollout_locks WHERE rollout_id = ?`, w.id)
		return err
	})
	if err != nil {
		w.s.Log.Error("finish rollout", "rollout", w.id, "err", err)
	}
	w.log(0, fmt.Sprintf("Rollout %s: %s", st, w.r.Error))
	w.publish()
}
