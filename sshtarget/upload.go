package sshtarget

import (
	"bytes"
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
// Missing parent directories are made. remotePath is absolute, or starts
// with "~/" for the signed-in user's home directory.
//
// Without sudo the user writes it directly over SFTP. With sudo (the
// target's Config.Sudo) the user first writes it over SFTP into a private
// staging directory of its own (mktemp -d, mode 0700), then "sudo
// install" copies it next to remotePath, owned by root, and "mv" renames
// it into place; the staging directory is removed in every case.
//
// Check what landed with SHA256, which reads the file on the target.
func (c *Conn) Upload(ctx context.Context, remotePath string, r io.Reader, mode os.FileMode) (int64, string, error) {
	sent, err := c.upload(ctx, []outgoing{{path: remotePath, r: r, mode: mode}}, "")
	if len(sent) == 0 {
		return 0, "", err
	}
	return sent[0].n, sent[0].sum, err
}

// File is one file of UploadFiles.
type File struct {
	Path string // absolute, or "~/…" under the user's home
	Data []byte
	Mode os.FileMode
}

// UploadFiles writes several files as Upload writes one, over one SFTP
// session (and, with sudo, one staging directory and one sudo command):
// each file appears whole or not at all. It stops at the first failure.
func (c *Conn) UploadFiles(ctx context.Context, files []File) error {
	_, err := c.upload(ctx, outgoingFiles("", files), "")
	return err
}

// ReplaceDir makes dir hold exactly files (their paths relative to dir):
// what was in dir is removed first, in the same SFTP session (with sudo,
// the same sudo command). dir is absolute or under "~/", two levels deep
// at least.
func (c *Conn) ReplaceDir(ctx context.Context, dir string, files []File) error {
	d := strings.TrimPrefix(path.Clean(dir), "~/")
	if strings.Count(strings.Trim(d, "/"), "/") < 1 || (!path.IsAbs(dir) && !strings.HasPrefix(dir, "~/")) {
		return &ConfigError{Field: "path", Message: fmt.Sprintf("The directory %q to replace must be absolute (or under ~/) and two levels deep at least.", dir)}
	}
	for _, f := range files {
		if p := path.Clean(f.Path); path.IsAbs(p) || p == "." || strings.HasPrefix(p, "../") || p == ".." {
			return &ConfigError{Field: "path", Message: fmt.Sprintf("The file %q must lie inside %s.", f.Path, dir)}
		}
	}
	_, err := c.upload(ctx, outgoingFiles(dir, files), dir)
	return err
}

func outgoingFiles(dir string, files []File) []outgoing {
	out := make([]outgoing, len(files))
	for i, f := range files {
		p := f.Path
		if dir != "" {
			p = path.Join(dir, p) // "~/" stays in front
		}
		out[i] = outgoing{path: p, r: bytes.NewReader(f.Data), mode: f.Mode}
	}
	return out
}

// outgoing is a file on its way; n and sum are what was sent.
type outgoing struct {
	path string
	r    io.Reader
	mode os.FileMode
	n    int64
	sum  string
}

// upload writes the files, after removing the directory clean (if not
// empty); those sent are returned with their size and SHA-256.
func (c *Conn) upload(ctx context.Context, files []outgoing, clean string) ([]outgoing, error) {
	for i := range files {
		p := files[i].path
		rest, home := strings.CutPrefix(p, "~/")
		if home {
			p = rest
		}
		if (!home && !path.IsAbs(p)) || (home && (p == "" || path.IsAbs(p))) || path.Clean("/"+p) == "/" {
			return nil, &ConfigError{Field: "path", Message: fmt.Sprintf("The upload path %q must be an absolute file path, or one under ~/.", files[i].path)}
		}
		files[i].path = path.Clean(p)
		if home {
			files[i].path = "~/" + files[i].path
		}
	}
	if c.cfg.Sudo {
		return c.uploadSudo(ctx, files, clean)
	}
	var tmps []string
	var sent []outgoing
	err := c.withSFTP(ctx, func(sc *sftp.Client) error {
		clean, err := resolveHome(sc, files, clean)
		if err != nil {
			return err
		}
		if clean != "" {
			if err := sc.RemoveAll(clean); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return c.fileError(clean, "empty the directory", err)
			}
		}
		made := map[string]bool{}
		for _, f := range files {
			dir, tmp := path.Dir(f.path), tempName(f.path)
			if !made[dir] {
				if err := sc.MkdirAll(dir); err != nil {
					return c.fileError(dir, "make the directory", err)
				}
				made[dir] = true
			}
			tmps = append(tmps, tmp)
			var err error
			f.n, f.sum, err = write(sc, tmp, f.r, f.mode)
			if err == nil {
				err = rename(sc, tmp, f.path)
			}
			if err != nil {
				sc.Remove(tmp)
				return c.fileError(f.path, "write", err)
			}
			sent = append(sent, f)
		}
		return nil
	})
	if err != nil && ctx.Err() != nil && len(tmps) > 0 { // the SFTP session was cut: remove the part on a fresh one
		c.cleanup(ctx, Command(append([]string{"rm", "-f", "--"}, tmps...)...), SudoOff)
	}
	return sent, err
}

// resolveHome replaces "~/" in the files' paths, and in clean (returned),
// with the user's home: the SFTP session's starting directory.
func resolveHome(sc *sftp.Client, files []outgoing, clean string) (string, error) {
	home := ""
	resolve := func(p string) (string, error) {
		rest, ok := strings.CutPrefix(p, "~/")
		if !ok {
			return p, nil
		}
		if home == "" {
			wd, err := sc.Getwd()
			if err != nil || !path.IsAbs(wd) {
				return "", fmt.Errorf("reading the home directory over SFTP: %q %v", wd, err)
			}
			home = wd
		}
		return path.Join(home, rest), nil
	}
	for i := range files {
		p, err := resolve(files[i].path)
		if err != nil {
			return "", err
		}
		files[i].path = p
	}
	return resolve(clean)
}

// uploadSudo stages every file as the user, then installs them all as
// root in one command.
func (c *Conn) uploadSudo(ctx context.Context, files []outgoing, clean string) ([]outgoing, error) {
	res, err := c.Run(ctx, `mktemp -d "${TMPDIR:-/tmp}/shakedown-upload.XXXXXXXXXX"`, RunOptions{Sudo: SudoOff})
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("making a staging directory on %s: %w", c.addr, err)
	}
	stage := strings.TrimSpace(string(res.Stdout))
	if !path.IsAbs(stage) || strings.ContainsAny(stage, "\n") {
		return nil, fmt.Errorf("making a staging directory on %s: mktemp said %q", c.addr, res.Stdout)
	}
	defer c.cleanup(ctx, Command("rm", "-rf", "--", stage), SudoOff)
	err = c.withSFTP(ctx, func(sc *sftp.Client) error {
		var err error
		if clean, err = resolveHome(sc, files, clean); err != nil {
			return err
		}
		for i := range files {
			staged := path.Join(stage, fmt.Sprintf("payload-%d", i))
			var err error
			if files[i].n, files[i].sum, err = write(sc, staged, files[i].r, 0o600); err != nil {
				return c.fileError(staged, "write", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var script []string
	if clean != "" {
		script = append(script, "rm -rf -- "+Quote(clean))
	}
	for i, f := range files {
		tmp := tempName(f.path)
		script = append(script, fmt.Sprintf("{ mkdir -p -- %s && install -m %04o -- %s %s && mv -f -- %s %s || { rc=$?; rm -f -- %s; exit $rc; }; }",
			Quote(path.Dir(f.path)), f.mode.Perm(), Quote(path.Join(stage, fmt.Sprintf("payload-%d", i))), Quote(tmp), Quote(tmp), Quote(f.path), Quote(tmp)))
	}
	res, err = c.Run(ctx, strings.Join(script, " && "), RunOptions{Sudo: SudoOn})
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		if len(files) == 1 {
			return nil, fmt.Errorf("installing %s on %s as root: %w", files[0].path, c.addr, err)
		}
		return nil, fmt.Errorf("installing %d files on %s as root: %w", len(files), c.addr, err)
	}
	return files, nil
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
