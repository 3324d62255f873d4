package rollout

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"time"

	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/sshtarget"
)

// sshExecutor installs on a host over one SSH connection, reused for every
// step of the rollout; rollback runs the package's rollback command.
type sshExecutor struct {
	installer
	conn *sshtarget.Conn
}

// NewSSHExecutor returns the executor of an ssh target over conn; the
// package's files go under base/rollout and the marker is base/installed.json
// (the server's base is /var/lib/shakedown/targets/<ci id> for root or sudo
// targets, ~/.shakedown/targets/<ci id> otherwise).
func NewSSHExecutor(conn *sshtarget.Conn, name, base string) Executor {
	return &sshExecutor{installer: installer{r: sshShell{conn: conn, target: name}, workdir: path.Join(base, "rollout"),
		marker: path.Join(base, "installed.json")}, conn: conn}
}

// sshShell runs scripts and writes files over SSH (SFTP), through sudo
// when the target is configured so.
type sshShell struct {
	conn   *sshtarget.Conn
	target string
}

func (s sshShell) name() string { return s.target }

func (s sshShell) sh(ctx context.Context, script string) (labs.ExecResult, error) {
	res, err := s.conn.Run(ctx, script, sshtarget.RunOptions{})
	if err != nil {
		return labs.ExecResult{}, err
	}
	return labs.ExecResult{ExitCode: res.ExitCode, Stdout: string(res.Stdout), Stderr: string(res.Stderr),
		Truncated: res.StdoutTruncated || res.StderrTruncated, Took: res.Took}, nil
}

func (s sshShell) write(ctx context.Context, p string, data []byte) error {
	if res, err := s.sh(ctx, "mkdir -p "+packages.Quote(path.Dir(p))); err != nil || res.ExitCode != 0 {
		return fmt.Errorf("make %s on %s: %v %s", path.Dir(p), s.target, err, res.Stderr)
	}
	_, _, err := s.conn.Upload(ctx, p, bytes.NewReader(data), 0o644)
	return err
}

func (e *sshExecutor) Prepare(ctx context.Context, snap string) (time.Duration, error) { return 0, nil }

func (e *sshExecutor) Rollback(ctx context.Context, snap string, plan *packages.InstallPlan, log func(string)) error {
	if plan.Rollback == "" {
		return fmt.Errorf("the package has no rollback command to run on %s", e.r.name())
	}
	if err := e.run(ctx, "rollback", "cd "+packages.Quote(e.workdir)+" && ( "+plan.Rollback+" )", log); err != nil {
		return err
	}
	// The package is no longer what runs there.
	_, err := e.sh(ctx, "rm -f "+packages.Quote(e.marker))
	return err
}

func (e *sshExecutor) Forget(ctx context.Context, snap string) error { return nil }

func (e *sshExecutor) Close() error { return e.conn.Close() }
