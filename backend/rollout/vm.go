package rollout

import (
	"context"
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

// vmExecutor installs through the guest agent of one libvirt domain, and
// rolls back by reverting to the snapshot it took.
type vmExecutor struct {
	installer
	host   VMHost
	domain string
}

// NewVMExecutor returns the executor of a vm target; workdir is where the
// package's files go in the guest.
func NewVMExecutor(host VMHost, domain, workdir string) Executor {
	return &vmExecutor{installer: installer{r: agentShell{host: host, domain: domain}, workdir: workdir, marker: MarkerPath}, host: host, domain: domain}
}

// agentShell runs scripts and writes files through the guest agent.
type agentShell struct {
	host   VMHost
	domain string
}

func (g agentShell) name() string { return g.domain }

func (g agentShell) sh(ctx context.Context, script string) (labs.ExecResult, error) {
	return g.host.Exec(ctx, g.domain, []string{"/bin/sh", "-c", script}, nil)
}

func (g agentShell) write(ctx context.Context, p string, data []byte) error {
	if err := g.mkdir(ctx, path.Dir(p)); err != nil {
		return err
	}
	return g.host.WriteFile(ctx, g.domain, p, data)
}

// replaceDir empties dir (and makes the files' directories) in one guest
// command, then writes the files (in chunks, through the agent).
func (g agentShell) replaceDir(ctx context.Context, dir string, files []file) error {
	dirs := []string{packages.Quote(dir)}
	seen := map[string]bool{dir: true}
	for _, f := range files {
		if d := path.Dir(path.Join(dir, f.path)); !seen[d] {
			seen[d] = true
			dirs = append(dirs, packages.Quote(d))
		}
	}
	res, err := g.sh(ctx, "rm -rf "+packages.Quote(dir)+" && mkdir -p "+strings.Join(dirs, " "))
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	if err != nil {
		return fmt.Errorf("empty %s in %s: %w", dir, g.domain, err)
	}
	for _, f := range files {
		if err := g.host.WriteFile(ctx, g.domain, path.Join(dir, f.path), f.data); err != nil {
			return err
		}
	}
	return nil
}

func (g agentShell) mkdir(ctx context.Context, dir string) error {
	res, err := g.sh(ctx, "mkdir -p "+packages.Quote(dir))
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	if err != nil {
		return fmt.Errorf("make %s in %s: %w", dir, g.domain, err)
	}
	return nil
}

func (v *vmExecutor) Prepare(ctx context.Context, snap string) (time.Duration, error) {
	start := time.Now()
	if err := v.host.Snapshot(ctx, v.domain, snap, "Before Shakedown rollout "+snap); err != nil {
		return 0, fmt.Errorf("snapshot %s before installing: %w", v.domain, err)
	}
	return time.Since(start), nil
}

func (v *vmExecutor) Rollback(ctx context.Context, snap string, plan *packages.InstallPlan, log func(string)) error {
	log(fmt.Sprintf("Reverting %s to the snapshot %s", v.domain, snap))
	defer v.timed(time.Now())
	if err := v.host.Revert(ctx, v.domain, snap); err != nil {
		return fmt.Errorf("revert %s to %s: %w", v.domain, snap, err)
	}
	return nil
}

func (v *vmExecutor) Forget(ctx context.Context, snap string) error {
	return v.host.DeleteSnapshot(ctx, v.domain, snap)
}

func (v *vmExecutor) Close() error { return nil }
