package sshtarget_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

// Every test here talks to a real OpenSSH server (labtest.StartSSHD) on
// loopback, with its own config and host key; none uses a fake executor.

// startSSHD starts a test sshd. A missing sshd fails the normal tier and
// skips under -short, with the reason.
func startSSHD(t testing.TB, o labtest.SSHDOptions) labtest.SSHD {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		msg := "these tests need a real sshd: openssh-server is not installed (scripts/install-deps.sh installs it)"
		if testing.Short() {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	return labtest.StartSSHDWith(t, o)
}

// hostKeyLine is the test sshd's public host key, as an authorized_keys line.
func hostKeyLine(t testing.TB, s labtest.SSHD) string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "hostkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	return f[0] + " " + f[1]
}

// rootConfig signs in as root with the client key, pinning the host key line.
func rootConfig(t testing.TB, s labtest.SSHD) sshtarget.Config {
	return sshtarget.Config{Addr: s.Addr, User: "root", PrivateKey: []byte(s.PrivateKey), HostKey: hostKeyLine(t, s)}
}

// userConfig signs in as the sshd's unprivileged test account with its password.
func userConfig(s labtest.SSHD) sshtarget.Config {
	return sshtarget.Config{Addr: s.Addr, User: s.User, Password: s.Password, HostKey: s.Fingerprint}
}

func dial(t testing.TB, cfg sshtarget.Config) *sshtarget.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := sshtarget.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("dial %s as %s: %v", cfg.Addr, cfg.User, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs cmd and fails the test on an error or a non-zero exit.
func run(t testing.TB, c *sshtarget.Conn, cmd string, o sshtarget.RunOptions) sshtarget.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Run(ctx, cmd, o)
	if err == nil {
		err = res.Err()
	}
	if err != nil {
		t.Fatalf("%s: %v (stdout %q, stderr %q)", cmd, err, res.Stdout, res.Stderr)
	}
	return res
}

// lookSudo finds sudo, or says why the sudo tests cannot run.
func lookSudo() (string, error) {
	p, err := exec.LookPath("sudo")
	if err != nil {
		return "", errors.New("sudo is not installed here (scripts/install-deps.sh installs it)")
	}
	return p, nil
}

func needSudo(t testing.TB) {
	t.Helper()
	if _, err := lookSudo(); err != nil {
		t.Skip(err)
	}
}

// sleepToken is a sleep duration no other process has on its command line.
func sleepToken() string {
	return "30." + strconv.Itoa(100000000+rand.IntN(900000000))
}

// procsWith lists the live (not zombie) processes whose command line
// contains token: only processes the test itself started carry it.
func procsWith(token string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if !bytes.Contains(cmdline, []byte(token)) {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// waitFor polls cond every 20 ms until it holds or d passed.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// descendants lists the processes below pid.
func descendants(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}
