package sshtarget_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

func randomBytes(t testing.TB, n int) ([]byte, string) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// leftovers lists the hidden temporary files Upload may leave in dir.
func leftovers(t *testing.T, dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, ".*.shakedown-*"))
	return m
}

// A 20 MiB package lands whole, in new directories, with its mode, and
// the target's own sha256sum agrees; a second upload replaces it.
func TestUpload20MiB(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	c := dial(t, rootConfig(t, s))
	data, want := randomBytes(t, 20<<20)
	dir := filepath.Join(t.TempDir(), "releases", "1.4.0")
	dest := filepath.Join(dir, "app.tar.gz")
	ctx := context.Background()

	start := time.Now()
	n, sum, err := c.Upload(ctx, dest, bytes.NewReader(data), 0o640)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || sum != want {
		t.Errorf("Upload says %d bytes, %s; sent %d bytes, %s", n, sum, len(data), want)
	}
	onTarget, err := c.SHA256(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if onTarget != want {
		t.Errorf("sha256sum on the target says %s, sent %s", onTarget, want)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 || fi.Size() != int64(len(data)) {
		t.Errorf("landed with mode %s and %d bytes", fi.Mode(), fi.Size())
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
	t.Logf("20 MiB uploaded in %s (%.0f MiB/s)", took.Round(time.Millisecond), 20/took.Seconds())

	// Replace it while a reader holds the old one open: the old inode
	// stays whole (a rename, not a rewrite in place).
	old, err := os.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	next, want2 := randomBytes(t, 1<<20)
	if _, _, err := c.Upload(ctx, dest, bytes.NewReader(next), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.SHA256(ctx, dest); got != want2 {
		t.Errorf("after the second upload the target has %s, want %s", got, want2)
	}
	h := sha256.New()
	io.Copy(h, old)
	if hex.EncodeToString(h.Sum(nil)) != want {
		t.Errorf("the file open before the replacement changed under its reader")
	}

	var nf *sshtarget.FileNotFoundError
	if _, err := c.SHA256(ctx, filepath.Join(dir, "missing")); !errors.As(err, &nf) {
		t.Errorf("SHA256 of a missing file: %v, want a FileNotFoundError", err)
	}
	if _, _, err := c.Upload(ctx, "relative/path", bytes.NewReader(nil), 0o644); err == nil {
		t.Errorf("a relative path was accepted")
	}
}

// A cancelled upload leaves neither the file nor its temporary part.
func TestUploadCancelled(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	c := dial(t, rootConfig(t, s))
	dir := t.TempDir()
	dest := filepath.Join(dir, "big.bin")
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{n: 4 << 20, cancel: cancel}
	_, _, err := c.Upload(ctx, dest, r, 0o644)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled upload said %v", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("the destination exists after a cancelled upload: %v", err)
	}
	if !waitFor(2*time.Second, func() bool { return len(leftovers(t, dir)) == 0 }) {
		t.Errorf("temporary files left: %v", leftovers(t, dir))
	}
	run(t, c, "true", sshtarget.RunOptions{}) // the connection lives on
}

// cancelAfter is an endless reader that cancels after n bytes.
type cancelAfter struct {
	n      int
	read   int
	cancel func()
}

func (r *cancelAfter) Read(p []byte) (int, error) {
	if r.read >= r.n {
		r.cancel()
		time.Sleep(10 * time.Millisecond)
	}
	r.read += len(p)
	return len(p), nil
}

// With sudo, the user stages the file in a private directory and sudo
// installs it, owned by root, where the user may not write.
func TestUploadWithSudo(t *testing.T) {
	needSudo(t)
	s := startSSHD(t, labtest.SSHDOptions{User: true})
	dir := filepath.Join(t.TempDir(), "opt", "app") // under root's 0700 test directory
	dest := filepath.Join(dir, "app.tar.gz")
	data, want := randomBytes(t, 3<<20)
	ctx := context.Background()

	// Without sudo the user is refused, and told why.
	plain := dial(t, userConfig(s))
	_, _, err := plain.Upload(ctx, dest, bytes.NewReader(data), 0o644)
	var pe *sshtarget.PermissionError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "sudo") {
		t.Fatalf("an upload where the user may not write: %v, want a PermissionError", err)
	}

	cfg := userConfig(s)
	cfg.Sudo, cfg.SudoPassword = true, s.Password
	c := dial(t, cfg)
	n, sum, err := c.Upload(ctx, dest, bytes.NewReader(data), 0o750)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || sum != want {
		t.Errorf("Upload says %d bytes, %s; sent %d, %s", n, sum, len(data), want)
	}
	if got, err := c.SHA256(ctx, dest); err != nil || got != want {
		t.Errorf("sha256sum on the target (through sudo): %s, %v; want %s", got, err, want)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 0 || fi.Mode().Perm() != 0o750 {
		t.Errorf("installed as uid %d mode %s, want root's and 0750", st.Uid, fi.Mode().Perm())
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
	stages, _ := filepath.Glob("/tmp/shakedown-upload.*")
	for _, p := range stages {
		if fi, err := os.Stat(p); err == nil && fi.Sys().(*syscall.Stat_t).Uid == uint32(s.UID) {
			t.Errorf("staging directory %s left behind", p)
		}
	}
}

// UploadFiles puts several files in place over one session, in new
// directories, with their modes, as the user and through sudo as root;
// nothing temporary is left; "~/" is the user's home.
func TestUploadFiles(t *testing.T) {
	needSudo(t)
	s := startSSHD(t, labtest.SSHDOptions{User: true})
	ctx := context.Background()
	a, sumA := randomBytes(t, 1<<20)
	b, sumB := randomBytes(t, 100)
	for _, sudo := range []bool{false, true} {
		base := filepath.Join(s.Home, "plain")
		cfg := userConfig(s)
		if sudo {
			base = filepath.Join(t.TempDir(), "root-only") // under root's 0700 test directory
			cfg.Sudo, cfg.SudoPassword = true, s.Password
		}
		c := dial(t, cfg)
		files := []sshtarget.File{
			{Path: filepath.Join(base, "app.bin"), Data: a, Mode: 0o640},
			{Path: filepath.Join(base, "sub", "dir", "conf"), Data: b, Mode: 0o600},
		}
		if err := c.UploadFiles(ctx, files); err != nil {
			t.Fatalf("sudo %v: %v", sudo, err)
		}
		for i, want := range []string{sumA, sumB} {
			if got, err := c.SHA256(ctx, files[i].Path); err != nil || got != want {
				t.Errorf("sudo %v: %s: %s %v, want %s", sudo, files[i].Path, got, err, want)
			}
			fi, err := os.Stat(files[i].Path)
			if err != nil {
				t.Fatal(err)
			}
			uid := fi.Sys().(*syscall.Stat_t).Uid
			if fi.Mode().Perm() != files[i].Mode || (sudo && uid != 0) || (!sudo && uid != uint32(s.UID)) {
				t.Errorf("sudo %v: %s mode %s uid %d", sudo, files[i].Path, fi.Mode().Perm(), uid)
			}
			if l := leftovers(t, filepath.Dir(files[i].Path)); len(l) > 0 {
				t.Errorf("temporary files left: %v", l)
			}
		}
	}
	// "~/" is the user's home.
	c := dial(t, userConfig(s))
	if err := c.UploadFiles(ctx, []sshtarget.File{{Path: "~/tilde/conf", Data: b, Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(s.Home, "tilde", "conf")); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("~/tilde/conf: %v", err)
	}
	// ReplaceDir: what was in the directory goes, the files come.
	for _, sudo := range []bool{false, true} {
		cfg := userConfig(s)
		if sudo {
			cfg.Sudo, cfg.SudoPassword = true, s.Password
		}
		rc := dial(t, cfg)
		dir := filepath.Join(s.Home, "app", "current")
		run(t, rc, "mkdir -p "+dir+"/old && echo x > "+dir+"/old/stale", sshtarget.RunOptions{})
		if err := rc.ReplaceDir(ctx, "~/app/current", []sshtarget.File{{Path: "conf", Data: b, Mode: 0o644}, {Path: "sub/a", Data: a, Mode: 0o600}}); err != nil {
			t.Fatalf("sudo %v: %v", sudo, err)
		}
		var names []string
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				names = append(names, rel)
			}
			return nil
		})
		if strings.Join(names, ",") != "conf,sub/a" {
			t.Errorf("sudo %v: the directory holds %v", sudo, names)
		}
	}
	for _, bad := range []string{"/", "/var", "~/", "~/app", "relative/dir"} {
		var ce *sshtarget.ConfigError
		if err := c.ReplaceDir(ctx, bad, nil); !errors.As(err, &ce) {
			t.Errorf("ReplaceDir(%q): %v, want a ConfigError", bad, err)
		}
	}
	var ce2 *sshtarget.ConfigError
	if err := c.ReplaceDir(ctx, "~/app/current", []sshtarget.File{{Path: "../escape", Data: b}}); !errors.As(err, &ce2) {
		t.Errorf("a file outside the directory: %v", err)
	}
	// A relative path is refused before anything is written.
	var ce *sshtarget.ConfigError
	if err := c.UploadFiles(ctx, []sshtarget.File{{Path: "rel/x", Data: b}}); !errors.As(err, &ce) {
		t.Fatalf("a relative path: %v", err)
	}
}
