package rollout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/labs"
)

// VMHost is what a vm target needs of its libvirt host: the guest agent
// and snapshots. *labs.Host implements it, and so does labs/fakehost.
type VMHost interface {
	Exec(ctx context.Context, domain string, argv []string, stdin []byte) (labs.ExecResult, error)
	WriteFile(ctx context.Context, domain, path string, data []byte) error
	ReadFile(ctx context.Context, domain, path string, limit int) ([]byte, error)
	Snapshot(ctx context.Context, domain, name, description string) error
	Revert(ctx context.Context, domain, name string) error
	DeleteSnapshot(ctx context.Context, domain, name string) error
}

var _ VMHost = (*labs.Host)(nil)

// vmExecutor installs through the guest agent of one libvirt domain.
type vmExecutor struct {
	host    VMHost
	domain  string
	workdir string
}

// NewVMExecutor returns the executor of a vm target; workdir is where the
// package's files go in the guest.
func NewVMExecutor(host VMHost, domain, workdir string) Executor {
	return &vmExecutor{host: host, domain: domain, workdir: workdir}
}

func (v *vmExecutor) sh(ctx context.Context, script string) (labs.ExecResult, error) {
	return v.host.Exec(ctx, v.domain, []string{"/bin/sh", "-c", script}, nil)
}

func (v *vmExecutor) Marker(ctx context.Context) (Marker, error) {
	res, err := v.sh(ctx, "cat "+packages.Quote(MarkerPath)+" 2>/dev/null || true")
	if err != nil {
		return Marker{}, err
	}
	var m Marker
	if out := strings.TrimSpace(res.Stdout); out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			return Marker{}, fmt.Errorf("the marker %s in %s is not Shakedown's: %w", MarkerPath, v.domain, err)
		}
	}
	return m, nil
}

func (v *vmExecutor) Prepare(ctx context.Context, snap string) (time.Duration, error) {
	start := time.Now()
	if err := v.host.Snapshot(ctx, v.domain, snap, "Before Shakedown rollout "+snap); err != nil {
		return 0, fmt.Errorf("snapshot %s before installing: %w", v.domain, err)
	}
	return time.Since(start), nil
}

func (v *vmExecutor) Install(ctx context.Context, plan *packages.InstallPlan, m Marker, log func(string)) error {
	w := packages.Quote(v.workdir)
	// A restart may find this rollout's install running in the guest (the
	// guest agent's process outlives the server) or done: wait for it, or
	// go on from it, rather than install twice.
	for {
		res, err := v.sh(ctx, "cd "+w+" 2>/dev/null || exit 0; cat .shakedown.rollout 2>/dev/null; echo; "+
			"test -f .shakedown.installed && echo installed; test -f .shakedown.pid && kill -0 \"$(cat .shakedown.pid)\" 2>/dev/null && echo running; true")
		if err != nil {
			return err
		}
		lines := strings.Split(res.Stdout, "\n")
		if strings.TrimSpace(lines[0]) != m.RolloutID {
			break // not this rollout's: a fresh install
		}
		switch {
		case strings.Contains(res.Stdout, "\nrunning"):
			log("This rollout's install is still running in the guest (found after a restart): waiting for it")
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		case strings.Contains(res.Stdout, "\ninstalled"):
			log("This rollout's install had finished in the guest (found after a restart): not installing twice")
			return v.verifyAndMark(ctx, plan, m, log)
		}
		break // interrupted before it finished (the guest restarted): install again
	}
	log(fmt.Sprintf("Copying %s (%d files) into %s", plan.Name, len(plan.Files), v.workdir))
	if res, err := v.sh(ctx, "rm -rf "+w+" && mkdir -p "+w); err != nil || res.ExitCode != 0 {
		return fmt.Errorf("make %s in %s: %v %s", v.workdir, v.domain, err, res.Stderr)
	}
	var sums strings.Builder
	var modes []string
	for _, f := range plan.Files {
		p := path.Join(v.workdir, f.Path)
		if dir := path.Dir(p); dir != v.workdir {
			if res, err := v.sh(ctx, "mkdir -p "+packages.Quote(dir)); err != nil || res.ExitCode != 0 {
				return fmt.Errorf("make %s in %s: %v %s", dir, v.domain, err, res.Stderr)
			}
		}
		if err := v.host.WriteFile(ctx, v.domain, p, f.Content); err != nil {
			return err
		}
		sum := sha256.Sum256(f.Content)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f.Path)
		if f.Mode != "" {
			modes = append(modes, fmt.Sprintf("chmod %s %s", f.Mode, packages.Quote(f.Path)))
		}
	}
	// What landed is checked in the guest before anything runs.
	if err := v.host.WriteFile(ctx, v.domain, path.Join(v.workdir, ".shakedown.sha256"), []byte(sums.String())); err != nil {
		return err
	}
	check := "cd " + w + " && sha256sum -c .shakedown.sha256"
	if len(modes) > 0 {
		check += " && " + strings.Join(modes, " && ")
	}
	if err := v.run(ctx, "sha256 check", check, log); err != nil {
		return err
	}
	log("The package's files match their sha256 in the guest")
	if err := v.host.WriteFile(ctx, v.domain, path.Join(v.workdir, ".shakedown.rollout"), []byte(m.RolloutID+"\n")); err != nil {
		return err
	}
	// The install leaves its pid while it runs and a mark when it succeeded.
	script := "cd " + w + " && echo $$ > .shakedown.pid && (" + plan.Install + "); rc=$?; rm -f .shakedown.pid; [ $rc = 0 ] && touch .shakedown.installed; exit $rc"
	if err := v.run(ctx, "install", script, log); err != nil {
		return err
	}
	return v.verifyAndMark(ctx, plan, m, log)
}

// verifyAndMark runs the package's verify and leaves the marker.
func (v *vmExecutor) verifyAndMark(ctx context.Context, plan *packages.InstallPlan, m Marker, log func(string)) error {
	if plan.Verify != "" {
		if err := v.run(ctx, "verify", "cd "+packages.Quote(v.workdir)+" && ("+plan.Verify+")", log); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(m)
	if res, err := v.sh(ctx, "mkdir -p "+packages.Quote(path.Dir(MarkerPath))); err != nil || res.ExitCode != 0 {
		return fmt.Errorf("make %s in %s: %v %s", path.Dir(MarkerPath), v.domain, err, res.Stderr)
	}
	return v.host.WriteFile(ctx, v.domain, MarkerPath, b)
}

// run runs one step's script and logs its output; a non-zero exit fails.
func (v *vmExecutor) run(ctx context.Context, step, script string, log func(string)) error {
	res, err := v.sh(ctx, script)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", step, v.domain, err)
	}
	for _, out := range []string{res.Stdout, res.Stderr} {
		if out = strings.TrimSpace(out); out != "" {
			log(out)
		}
	}
	if res.ExitCode != 0 {
		return &StepError{Step: step, Target: v.domain, ExitCode: res.ExitCode, Output: strings.TrimSpace(res.Stderr + "\n" + res.Stdout)}
	}
	return nil
}

func (v *vmExecutor) Check(ctx context.Context, name, command string) CheckResult {
	res, err := v.sh(ctx, command)
	switch {
	case err != nil:
		return CheckResult{Check: name, Outcome: Unknown, Output: err.Error()}
	case res.ExitCode != 0:
		return CheckResult{Check: name, Outcome: Failed, Output: clip(fmt.Sprintf("exit %d: %s%s", res.ExitCode, res.Stdout, res.Stderr))}
	}
	return CheckResult{Check: name, Outcome: Passed, Output: clip(res.Stdout)}
}

func (v *vmExecutor) Rollback(ctx context.Context, snap string, plan *packages.InstallPlan, log func(string)) error {
	log(fmt.Sprintf("Reverting %s to the snapshot %s", v.domain, snap))
	if err := v.host.Revert(ctx, v.domain, snap); err != nil {
		return fmt.Errorf("revert %s to %s: %w", v.domain, snap, err)
	}
	return nil
}

func (v *vmExecutor) Forget(ctx context.Context, snap string) error {
	return v.host.DeleteSnapshot(ctx, v.domain, snap)
}

func (v *vmExecutor) Close() error { return nil }

// StepError is a step that ran and failed on a target.
type StepError struct {
	Step     string
	Target   string
	ExitCode int
	Output   string
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s failed on %s (exit %d): %s", e.Step, e.Target, e.ExitCode, clip(e.Output))
}

// clip keeps an output short enough for a record.
func clip(s string) string {
	const max = 4000
	s = strings.TrimSpace(s)
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
