package sshtarget_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

// Root with sudo: the "sudo -n" path (no password asked, none given).
func TestSudoAsRoot(t *testing.T) {
	needSudo(t)
	s := startSSHD(t, labtest.SSHDOptions{})
	cfg := rootConfig(t, s)
	cfg.Sudo = true
	c := dial(t, cfg)
	res := run(t, c, "id -u; echo to stderr >&2", sshtarget.RunOptions{})
	if string(res.Stdout) != "0\n" || string(res.Stderr) != "to stderr\n" {
		t.Errorf("stdout %q stderr %q: sudo's tokens must not show", res.Stdout, res.Stderr)
	}
	res, err := c.Run(context.Background(), "exit 7", sshtarget.RunOptions{})
	if err != nil || res.ExitCode != 7 {
		t.Errorf("the command's status through sudo: %d, %v; want 7", res.ExitCode, err)
	}
	// A password is set, but sudo does not ask root for one: it must not
	// reach the command's stdin.
	cfg.SudoPassword = "never-asked"
	c = dial(t, cfg)
	res = run(t, c, "cat", sshtarget.RunOptions{Stdin: strings.NewReader("payload")})
	if string(res.Stdout) != "payload" {
		t.Errorf("the command read %q, want exactly the caller's stdin", res.Stdout)
	}
}

// An unprivileged user whose sudo asks a password each time.
func TestSudoWithPassword(t *testing.T) {
	needSudo(t)
	s := startSSHD(t, labtest.SSHDOptions{User: true})
	cfg := userConfig(s)
	cfg.Sudo, cfg.SudoPassword = true, s.Password
	c := dial(t, cfg)

	res := run(t, c, "id -u", sshtarget.RunOptions{})
	if string(res.Stdout) != "0\n" || len(res.Stderr) != 0 {
		t.Errorf("id -u through sudo: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	res = run(t, c, "cat; echo err >&2", sshtarget.RunOptions{Stdin: strings.NewReader("line 1\nline 2\n")})
	if string(res.Stdout) != "line 1\nline 2\n" || string(res.Stderr) != "err\n" {
		t.Errorf("stdin through sudo: stdout %q stderr %q (the password must not leak into either)", res.Stdout, res.Stderr)
	}
	if strings.Contains(string(res.Stdout)+string(res.Stderr), s.Password) {
		t.Errorf("the sudo password leaked into the output")
	}
	if res, _ := c.Run(context.Background(), "exit 5", sshtarget.RunOptions{}); res.ExitCode != 5 {
		t.Errorf("exit 5 through sudo: %d", res.ExitCode)
	}
	res = run(t, c, "id -u", sshtarget.RunOptions{Sudo: sshtarget.SudoOff})
	if want := strconv.Itoa(s.UID) + "\n"; string(res.Stdout) != want {
		t.Errorf("SudoOff ran as %q, want %q", res.Stdout, want)
	}

	// A wrong password: sudo asks again and Run gives up at once.
	bad := cfg
	bad.SudoPassword = "wrong"
	start := time.Now()
	_, err := dial(t, bad).Run(context.Background(), "id -u", sshtarget.RunOptions{})
	var se *sshtarget.SudoError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "refused the sudo password") {
		t.Errorf("a wrong sudo password: %v, want a SudoError", err)
	}
	if d := time.Since(start); d > 6*time.Second { // sudo itself waits ~2 s after a wrong password
		t.Errorf("a wrong sudo password took %s", d)
	}
	// No password: "sudo -n" fails at once and says why.
	none := cfg
	none.SudoPassword = ""
	_, err = dial(t, none).Run(context.Background(), "id -u", sshtarget.RunOptions{})
	var inv invalid
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "password is required") || !errors.As(err, &inv) {
		t.Errorf("sudo without a password: %v, want a SudoError that says a password is required", err)
	}
	t.Logf("no password: %v", err)
	// SudoOn on a target without Sudo.
	plain := cfg
	plain.Sudo = false
	res = run(t, dial(t, plain), "id -u", sshtarget.RunOptions{Sudo: sshtarget.SudoOn})
	if string(res.Stdout) != "0\n" {
		t.Errorf("SudoOn ran as %q", res.Stdout)
	}
}
