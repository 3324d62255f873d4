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

// remote is how an installer reaches a target: run a shell script, write
// a file (the guest agent for a VM, SSH and SFTP for a host).
type remote interface {
	name() string
	sh(ctx context.Context, script string) (labs.ExecResult, error)
	write(ctx context.Context, path string, data []byte) error
}

// installer is what every reachable target does the same way: the marker,
// the install (files copied and checked by sha256 on the target, then the
// install command, exactly once across restarts), verify, and checks.
type installer struct {
	r       remote
	workdir string
	marker  string // where the marker lives on the target
}

func (v *installer) sh(ctx context.Context, script string) (labs.ExecResult, error) {
	return v.r.sh(ctx, script)
}

func (v *installer) Marker(ctx context.Context) (Marker, error) {
	res, err := v.sh(ctx, "cat "+packages.Quote(v.marker)+" 2>/dev/null || true")
	if err != nil {
		return Marker{}, err
	}
	var m Marker
	if out := strings.TrimSpace(res.Stdout); out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			return Marker{}, fmt.Errorf("the marker %s on %s is not Shakedown's: %w", v.marker, v.r.name(), err)
		}
	}
	return m, nil
}

func (v *installer) Install(ctx context.Context, plan *packages.InstallPlan, m Marker, log func(string)) error {
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
		return fmt.Errorf("make %s in %s: %v %s", v.workdir, v.r.name(), err, res.Stderr)
	}
	var sums strings.Builder
	var modes []string
	for _, f := range plan.Files {
		p := path.Join(v.workdir, f.Path)
		if dir := path.Dir(p); dir != v.workdir {
			if res, err := v.sh(ctx, "mkdir -p "+packages.Quote(dir)); err != nil || res.ExitCode != 0 {
				return fmt.Errorf("make %s in %s: %v %s", dir, v.r.name(), err, res.Stderr)
			}
		}
		if err := v.r.write(ctx, p, f.Content); err != nil {
			return err
		}
		sum := sha256.Sum256(f.Content)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f.Path)
		if f.Mode != "" {
			modes = append(modes, fmt.Sprintf("chmod %s %s", f.Mode, packages.Quote(f.Path)))
		}
	}
	// What landed is checked in the guest before anything runs.
	if err := v.r.write(ctx, path.Join(v.workdir, ".shakedown.sha256"), []byte(sums.String())); err != nil {
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
	if err := v.r.write(ctx, path.Join(v.workdir, ".shakedown.rollout"), []byte(m.RolloutID+"\n")); err != nil {
		return err
	}
	// The install leaves its pid while it runs and a mark when it succeeded.
	script := "cd " + w + " && echo $$ > .shakedown.pid && ( " + plan.Install + " ); rc=$?; rm -f .shakedown.pid; [ $rc = 0 ] && touch .shakedown.installed; exit $rc"
	if err := v.run(ctx, "install", script, log); err != nil {
		return err
	}
	return v.verifyAndMark(ctx, plan, m, log)
}

// verifyAndMark runs the package's verify and leaves the marker.
func (v *installer) verifyAndMark(ctx context.Context, plan *packages.InstallPlan, m Marker, log func(string)) error {
	if plan.Verify != "" {
		if err := v.run(ctx, "verify", "cd "+packages.Quote(v.workdir)+" && ( "+plan.Verify+" )", log); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(m)
	if res, err := v.sh(ctx, "mkdir -p "+packages.Quote(path.Dir(v.marker))); err != nil || res.ExitCode != 0 {
		return fmt.Errorf("make %s in %s: %v %s", path.Dir(v.marker), v.r.name(), err, res.Stderr)
	}
	return v.r.write(ctx, v.marker, b)
}

// run runs one step's script and logs its output; a non-zero exit fails.
func (v *installer) run(ctx context.Context, step, script string, log func(string)) error {
	res, err := v.sh(ctx, script)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", step, v.r.name(), err)
	}
	for _, out := range []string{res.Stdout, res.Stderr} {
		if out = strings.TrimSpace(out); out != "" {
			log(out)
		}
	}
	if res.ExitCode != 0 {
		return &StepError{Step: step, Target: v.r.name(), ExitCode: res.ExitCode, Output: strings.TrimSpace(res.Stderr + "\n" + res.Stdout)}
	}
	return nil
}

// Check runs a gate check in the package's directory, as verify ran.
func (v *installer) Check(ctx context.Context, name, command string) CheckResult {
	res, err := v.sh(ctx, "cd "+packages.Quote(v.workdir)+" 2>/dev/null; ( "+command+" )")
	switch {
	case err != nil:
		return CheckResult{Check: name, Outcome: Unknown, Output: err.Error()}
	case res.ExitCode != 0:
		return CheckResult{Check: name, Outcome: Failed, Output: clip(fmt.Sprintf("exit %d: %s%s", res.ExitCode, res.Stdout, res.Stderr))}
	}
	return CheckResult{Check: name, Outcome: Passed, Output: clip(res.Stdout)}
}

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
