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
// targets, ~/.shakedown/targets/<ci id> otherwise: "~/" is the user's home).
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

// write uploads a file over SFTP (missing directories are made; "~/" is
// the user's home).
func (s sshShell) write(ctx context.Context, p string, data []byte) error {
	_, _, err := s.conn.Upload(ctx, p, bytes.NewReader(data), 0o644)
	return err
}

// replaceDir empties dir and uploads the files into it, over one SFTP
// session.
func (s sshShell) replaceDir(ctx context.Context, dir string, files []file) error {
	up := make([]sshtarget.File, len(files))
	for i, f := range files {
		up[i] = sshtarget.File{Path: f.path, Data: f.data, Mode: 0o644}
	}
	return s.conn.ReplaceDir(ctx, dir, up)
}

func (e *sshExecutor) Prepare(ctx context.Context, snap string) (time.Duration, error) { return 0, nil }

func (e *sshExecutor) Rollback(ctx context.Context, snap string, plan *packages.InstallPlan, log func(string)) error {
	if plan.Rollback == "" {
		return fmt.Errorf("the package has no rollback command to run on %s", e.r.name())
	}
	// The package is no longer what runs there: the marker goes with it.
	return e.run(ctx, "rollback", "cd "+q(e.workdir)+" && ( "+plan.Rollback+" ) && rm -f "+q(e.marker), log)
}

func (e *sshExecutor) Forget(ctx context.Context, snap string) error { return nil }

func (e *sshExecutor) Close() error { return e.conn.Close() }
