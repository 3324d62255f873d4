package rollout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/labs"
)

// remote is how an installer reaches a target: run a shell script, write
// a file (its directory made if missing), replace a directory's content
// with files (paths relative to it). The guest agent for a VM, SSH and
// SFTP for a host.
type remote interface {
	name() string
	sh(ctx context.Context, script string) (labs.ExecResult, error)
	write(ctx context.Context, path string, data []byte) error
	replaceDir(ctx context.Context, dir string, files []file) error
}

// installer is what every reachable target does the same way: the marker,
// the install (files copied and checked by sha256 on the target, then the
// install command, exactly once across restarts), verify, and checks.
//
// Each round trip is a process on the target, what costs most when a
// thousand targets are at work: a fresh install is one batch of writes,
// one script and the marker.
type installer struct {
	r remote
	// workdir and marker may start with "~/": under the home directory of
	// the user an SSH target signs in as.
	workdir string
	marker  string
	took    atomic.Int64 // nanoseconds its commands took, since TakeCommandTime
}

// q quotes a path for a script; "~/x" becomes "$HOME"/'x'.
func q(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return `"$HOME"/` + packages.Quote(rest)
	}
	return packages.Quote(p)
}

// sh, write and replaceDir reach the target, counting the time taken.
func (v *installer) sh(ctx context.Context, script string) (labs.ExecResult, error) {
	defer v.timed(time.Now())
	return v.r.sh(ctx, script)
}

func (v *installer) write(ctx context.Context, p string, data []byte) error {
	defer v.timed(time.Now())
	return v.r.write(ctx, p, data)
}

func (v *installer) replaceDir(ctx context.Context, dir string, files []file) error {
	defer v.timed(time.Now())
	return v.r.replaceDir(ctx, dir, files)
}

func (v *installer) timed(start time.Time) { v.took.Add(int64(time.Since(start))) }

// TakeCommandTime returns the time commands took on the target since the
// last call.
func (v *installer) TakeCommandTime() time.Duration { return time.Duration(v.took.Swap(0)) }

func (v *installer) Marker(ctx context.Context) (Marker, error) {
	res, err := v.sh(ctx, "cat "+q(v.marker)+" 2>/dev/null || true")
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

// Lines the install script prints to say how far it went (never logged).
const (
	filesOK     = "shakedown:files-ok"
	installedOK = "shakedown:installed"
)

// Install puts the package on the target: the files go over in one batch
// into an emptied working directory; one script checks their sha256,
// records the rollout, runs install and verify; then the marker is
// written. resume says a previous run recorded this install as started: a
// script first reads how far it went on the target.
func (v *installer) Install(ctx context.Context, plan *packages.InstallPlan, m Marker, resume bool, log func(string)) error {
	w := q(v.workdir)
	// A restart may find this rollout's install running on the target (the
	// guest agent's process outlives the server) or done: wait for it, or
	// go on from it, rather than install twice.
	if resume {
		switch found, err := v.found(ctx, m, "a restart", log); {
		case err != nil:
			return err
		case found:
			return v.verifyAndMark(ctx, plan, m, log)
		}
	}
	log(fmt.Sprintf("Copying %s (%d files) into %s", plan.Name, len(plan.Files), v.workdir))
	var sums strings.Builder
	var modes []string
	files := make([]file, 0, len(plan.Files)+1)
	for _, f := range plan.Files {
		files = append(files, file{path: f.Path, data: f.Content})
		sum := sha256.Sum256(f.Content)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f.Path)
		if f.Mode != "" {
			modes = append(modes, fmt.Sprintf("chmod %s %s", f.Mode, packages.Quote(f.Path)))
		}
	}
	files = append(files, file{path: ".shakedown.sha256", data: []byte(sums.String())})
	if err := v.replaceDir(ctx, v.workdir, files); err != nil {
		return err
	}
	// What landed is checked on the target before anything runs, then the
	// directory says which rollout it is (read after a restart), then the
	// install runs, leaving its pid while it runs and a mark when it
	// succeeded, then verify: one script, whose lines say how far it went.
	script := "cd " + w + " && sha256sum -c .shakedown.sha256"
	if len(modes) > 0 {
		script += " && " + strings.Join(modes, " && ")
	}
	script += " && echo " + packages.Quote(m.RolloutID) + " > .shakedown.rollout && echo " + filesOK +
		" && echo $$ > .shakedown.pid && ( " + plan.Install + " ); rc=$?; rm -f .shakedown.pid; [ $rc = 0 ] || exit $rc; touch .shakedown.installed; echo " + installedOK
	if plan.Verify != "" {
		script += "; ( " + plan.Verify + " )"
	}
	res, err := v.sh(ctx, script)
	if err != nil {
		// Contact was lost with the script under way (libvirtd restarted,
		// the agent's answer lost): the target says how far it went.
		log(fmt.Sprintf("Lost contact during the install (%v): asking the target how far it went", err))
		if found, ferr := v.found(ctx, m, "lost contact", log); ferr == nil && found {
			return v.verifyAndMark(ctx, plan, m, log)
		}
		return fmt.Errorf("install in %s: %w", v.r.name(), err)
	}
	// The output of each part, and which one failed (none of the lines
	// is there when a step before failed; with exit 0 all went through).
	out := res.Stdout
	checked, out, filesPassed := cutLine(out, filesOK)
	installOut, verifyOut, installed := cutLine(out, installedOK)
	step, stepOut := "", ""
	switch {
	case res.ExitCode == 0:
	case !filesPassed:
		step, stepOut = "sha256 check", checked
	case !installed:
		step, stepOut = "install", installOut
	default:
		step, stepOut = "verify", verifyOut
	}
	logOutput(log, checked)
	if step == "sha256 check" {
		logOutput(log, res.Stderr)
		return stepError(step, v.r.name(), res.ExitCode, res.Stderr+"\n"+checked)
	}
	log("The package's files match their sha256 on the target")
	logOutput(log, installOut, verifyOut, res.Stderr)
	if step != "" {
		return stepError(step, v.r.name(), res.ExitCode, res.Stderr+"\n"+stepOut)
	}
	return v.mark(ctx, m)
}

// cutLine splits out around the line marker: what came before it, after
// it, and whether it was there (if not, everything is before it).
func cutLine(out, marker string) (string, string, bool) {
	before, after, ok := strings.Cut(out, marker+"\n")
	if !ok {
		return out, "", false
	}
	return before, after, true
}

// found asks the target whether this rollout's install ran there (after
// a restart, or contact lost mid-install): while it runs, it waits; true
// when it finished, false when it never started or was interrupted
// (install again). Contact is tried again for 30 s.
func (v *installer) found(ctx context.Context, m Marker, after string, log func(string)) (bool, error) {
	w := q(v.workdir)
	script := `if [ "$(cat ` + w + `/.shakedown.rollout 2>/dev/null)" = ` + packages.Quote(m.RolloutID) + ` ]; then ` +
		"test -f " + w + "/.shakedown.installed && echo installed; " +
		"test -f " + w + `/.shakedown.pid && kill -0 "$(cat ` + w + `/.shakedown.pid)" 2>/dev/null && echo running; fi; true`
	lost := time.Time{}
	waited := false
	for {
		res, err := v.sh(ctx, script)
		if err != nil {
			if lost.IsZero() {
				lost = time.Now()
			}
			if time.Since(lost) > 30*time.Second {
				return false, err
			}
		} else {
			lost = time.Time{}
			switch {
			case strings.Contains(res.Stdout, "running"):
				if !waited {
					log("This rollout's install is still running on the target (after " + after + "): waiting for it")
					waited = true
				}
			case strings.Contains(res.Stdout, "installed"):
				log("This rollout's install finished on the target (after " + after + "): not installing twice")
				return true, nil
			default:
				return false, nil
			}
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// file is a file to write on a target.
type file struct {
	path string
	data []byte
}

// verifyAndMark runs the package's verify, then leaves the marker.
func (v *installer) verifyAndMark(ctx context.Context, plan *packages.InstallPlan, m Marker, log func(string)) error {
	if plan.Verify != "" {
		if err := v.run(ctx, "verify", "cd "+q(v.workdir)+" && ( "+plan.Verify+" )", log); err != nil {
			return err
		}
	}
	return v.mark(ctx, m)
}

// mark leaves the marker (its directory is the working directory's parent).
func (v *installer) mark(ctx context.Context, m Marker) error {
	b, _ := json.Marshal(m)
	return v.write(ctx, v.marker, b)
}

// logOutput logs what a script printed, trimmed.
func logOutput(log func(string), outs ...string) {
	for _, out := range outs {
		if out = strings.TrimSpace(out); out != "" {
			log(out)
		}
	}
}

func stepError(step, target string, code int, output string) error {
	if code == 0 {
		code = -1 // it stopped without saying why
	}
	return &StepError{Step: step, Target: target, ExitCode: code, Output: strings.TrimSpace(output)}
}

// run runs one step's script and logs its output; a non-zero exit fails.
func (v *installer) run(ctx context.Context, step, script string, log func(string)) error {
	res, err := v.sh(ctx, script)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", step, v.r.name(), err)
	}
	logOutput(log, res.Stdout, res.Stderr)
	if res.ExitCode != 0 {
		return stepError(step, v.r.name(), res.ExitCode, res.Stderr+"\n"+res.Stdout)
	}
	return nil
}

// Check runs a gate check in the package's directory, as verify ran.
func (v *installer) Check(ctx context.Context, name, command string) CheckResult {
	res, err := v.sh(ctx, "cd "+q(v.workdir)+" 2>/dev/null; ( "+command+" )")
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
