package sshtarget

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// Upload writes r to remotePath with the given permission bits (only
// Perm() is used) and returns the bytes written and their SHA-256 as
// read here. The file appears whole or not at all: it is written under a
// temporary name in the same directory and renamed over remotePath.
// Missing parent directories are made.
//
// Without sudo the user writes it directly over SFTP. With sudo (the
// target's Config.Sudo) the user first writes it over SFTP into a private
// staging directory of its own (mktemp -d, mode 0700), then "sudo
// install" copies it next to remotePath, owned by root, and "mv" renames
// it into place; the staging directory is removed in every case.
//
// Check what landed with SHA256, which reads the file on the target.
func (c *Conn) Upload(ctx context.Context, remotePath string, r io.Reader, mode os.FileMode) (int64, string, error) {
	if !path.IsAbs(remotePath) || path.Clean(remotePath) == "/" {
		return 0, "", &ConfigError{Field: "path", Message: fmt.Sprintf("The upload path %q must be an absolute file path.", remotePath)}
	}
	remotePath = path.Clean(remotePath)
	if c.cfg.Sudo {
		return c.uploadSudo(ctx, remotePath, r, mode)
	}
	dir, tmp := path.Dir(remotePath), tempName(remotePath)
	var n int64
	var sum string
	err := c.withSFTP(ctx, func(sc *sftp.Client) error {
		if err := sc.MkdirAll(dir); err != nil {
			return c.fileError(dir, "make the directory", err)
		}
		var err error
		n, sum, err = write(sc, tmp, r, mode)
		if err == nil {
			err = rename(sc, tmp, remotePath)
		}
		if err != nil {
			sc.Remove(tmp)
			return c.fileError(remotePath, "write", err)
		}
		return nil
	})
	if err != nil && ctx.Err() != nil { // the SFTP session was cut: remove the part on a fresh one
		c.cleanup(ctx, Command("rm", "-f", "--", tmp), SudoOff)
	}
	return n, sum, err
}

// uploadSudo stages the file as the user, then installs it as root.
func (c *Conn) uploadSudo(ctx context.Context, remotePath string, r io.Reader, mode os.FileMode) (int64, string, error) {
	res, err := c.Run(ctx, `mktemp -d "${TMPDIR:-/tmp}/shakedown-upload.XXXXXXXXXX"`, RunOptions{Sudo: SudoOff})
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return 0, "", fmt.Errorf("making a staging directory on %s: %w", c.addr, err)
	}
	stage := strings.TrimSpace(string(res.Stdout))
	if !path.IsAbs(stage) || strings.ContainsAny(stage, "\n") {
		return 0, "", fmt.Errorf("making a staging directory on %s: mktemp said %q", c.addr, res.Stdout)
	}
	defer c.cleanup(ctx, Command("rm", "-rf", "--", stage), SudoOff)

	staged := path.Join(stage, "payload")
	var n int64
	var sum string
	err = c.withSFTP(ctx, func(sc *sftp.Client) error {
		var err error
		n, sum, err = write(sc, staged, r, 0o600)
		if err != nil {
			return c.fileError(staged, "write", err)
		}
		return nil
	})
	if err != nil {
		return n, sum, err
	}
	tmp := tempName(remotePath)
	install := fmt.Sprintf("mkdir -p -- %s && install -m %04o -- %s %s && mv -f -- %s %s || { rc=$?; rm -f -- %s; exit $rc; }",
		Quote(path.Dir(remotePath)), mode.Perm(), Quote(staged), Quote(tmp), Quote(tmp), Quote(remotePath), Quote(tmp))
	res, err = c.Run(ctx, install, RunOptions{Sudo: SudoOn})
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return n, sum, fmt.Errorf("installing %s on %s as root: %w", remotePath, c.addr, err)
	}
	return n, sum, nil
}

// tempName is a hidden, unique name next to p.
func tempName(p string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return path.Join(path.Dir(p), "."+path.Base(p)+".shakedown-"+hex.EncodeToString(b))
}

// withSFTP runs f on an SFTP session of its own; cancelling ctx cuts it.
func (c *Conn) withSFTP(ctx context.Context, f func(*sftp.Client) error) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	sc, err := sftp.NewClient(c.client, sftp.UseConcurrentWrites(true))
	if err != nil {
		if e := c.err(); e != nil {
			return e
		}
		return fmt.Errorf("starting SFTP on %s (is the sftp subsystem enabled in its sshd?): %w", c.addr, err)
	}
	defer sc.Close()
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	defer stop()
	err = f(sc)
	if ctx.Err() != nil {
		return fmt.Errorf("upload to %s: %w", c.addr, ctx.Err())
	}
	if e := c.err(); e != nil && err != nil {
		return e
	}
	return err
}

// write creates p (it must not exist) and copies r into it, hashing on the way.
func write(sc *sftp.Client, p string, r io.Reader, mode os.FileMode) (int64, string, error) {
	f, err := sc.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := f.ReadFromWithConcurrency(io.TeeReader(r, h), 0)
	if err == nil {
		err = f.Chmod(mode.Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// rename replaces newname atomically (OpenSSH's posix-rename extension;
// plain SFTP rename refuses an existing target).
func rename(sc *sftp.Client, oldname, newname string) error {
	if _, ok := sc.HasExtension("posix-rename@openssh.com"); ok {
		return sc.PosixRename(oldname, newname)
	}
	return sc.Rename(oldname, newname)
}

// fileError types a refused write.
func (c *Conn) fileError(p, what string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return &PermissionError{Addr: c.addr, User: c.cfg.User, Path: p, Err: err}
	}
	if e := c.err(); e != nil {
		return e
	}
	return fmt.Errorf("%s %s on %s: %w", what, p, c.addr, err)
}

// cleanup runs cmd even when ctx was cancelled, briefly.
func (c *Conn) cleanup(ctx context.Context, cmd string, sudo Sudo) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	c.Run(ctx, cmd, RunOptions{Sudo: sudo})
}

// missingFile is the status SHA256's command exits with when the file is
// not there (sha256sum itself says 1 for every failure).
const missingFile = 44

// SHA256 reads path's digest on the target (sha256sum, through sudo when
// the target uses it), as lowercase hex.
func (c *Conn) SHA256(ctx context.Context, p string) (string, error) {
	q := Quote(p)
	res, err := c.Run(ctx, fmt.Sprintf("[ -e %s ] || exit %d; sha256sum -- %s", q, missingFile, q), RunOptions{})
	if err != nil {
		return "", err
	}
	if res.ExitCode == missingFile {
		return "", &FileNotFoundError{Addr: c.addr, Path: p}
	}
	if err := res.Err(); err != nil {
		return "", err
	}
	// A name with a backslash or newline makes sha256sum start the line with "\".
	sum, _, _ := strings.Cut(strings.TrimPrefix(string(res.Stdout), "\\"), " ")
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != 2*sha256.Size {
		return "", fmt.Errorf("sha256sum of %s on %s said %q", p, c.addr, res.Stdout)
	}
	return sum, nil
}
