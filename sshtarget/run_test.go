package sshtarget_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

func TestRunExitCodesOutputAndStdin(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	c := dial(t, rootConfig(t, s))
	big := make([]byte, 5<<20)
	rand.Read(big)
	bigSum := sha256.Sum256(big)
	cases := []struct {
		name, cmd        string
		stdin            io.Reader
		code             int
		stdout, stderr   string
		streamed         string // what the one writer given as Stdout and Stderr saw
		stdoutIsChecksum bool
	}{
		{name: "success", cmd: "true", code: 0},
		{name: "exit status", cmd: "exit 3", code: 3},
		{name: "command not found", cmd: "sdtest-no-such-command", code: 127, stderr: "*"},
		{name: "killed by a signal", cmd: "kill -KILL $$", code: 128 + 9},
		{name: "stdout and stderr", cmd: "echo out; echo err >&2; exit 1", code: 1, stdout: "out\n", stderr: "err\n"},
		{name: "in order on one writer", cmd: "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three", stdout: "one\nthree\n", stderr: "two\n", streamed: "one\ntwo\nthree\n"},
		{name: "stdin", cmd: "cat", stdin: strings.NewReader("hello\nworld"), stdout: "hello\nworld"},
		{name: "no stdin is EOF", cmd: "cat; echo done", stdout: "done\n"},
		{name: "5 MiB of stdin", cmd: "sha256sum", stdin: bytes.NewReader(big), stdout: hex.EncodeToString(bigSum[:]), stdoutIsChecksum: true},
		{name: "quoted arguments", cmd: sshtarget.Command("printf", "%s|", "it's", "a b", "$HOME", "`id`", ""), stdout: "it's|a b|$HOME|`id`||"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stream bytes.Buffer
			res, err := c.Run(context.Background(), tc.cmd, sshtarget.RunOptions{Stdin: tc.stdin, Stdout: &stream, Stderr: &stream})
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", res.ExitCode, tc.code, res.Stderr)
			}
			if (res.Err() == nil) != (tc.code == 0) {
				t.Errorf("Err() is %v for exit code %d", res.Err(), tc.code)
			}
			out := string(res.Stdout)
			if tc.stdoutIsChecksum {
				out, _, _ = strings.Cut(out, " ")
			}
			if out != tc.stdout {
				t.Errorf("stdout %q, want %q", out, tc.stdout)
			}
			if tc.stderr == "*" && len(res.Stderr) == 0 || tc.stderr != "*" && string(res.Stderr) != tc.stderr {
				t.Errorf("stderr %q, want %q", res.Stderr, tc.stderr)
			}
			if tc.streamed != "" && stream.String() != tc.streamed {
				t.Errorf("streamed %q, want %q", stream.String(), tc.streamed)
			}
			if stream.Len() != len(res.Stdout)+len(res.Stderr) {
				t.Errorf("streamed %d bytes, the result holds %d", stream.Len(), len(res.Stdout)+len(res.Stderr))
			}
			if res.Took <= 0 {
				t.Errorf("took %s", res.Took)
			}
		})
	}
	var ee *sshtarget.ExitError
	res := run(t, c, "true", sshtarget.RunOptions{})
	res, _ = c.Run(context.Background(), "echo first >&2; echo 'it broke' >&2; exit 4", sshtarget.RunOptions{})
	if err := res.Err(); !errors.As(err, &ee) || ee.Code != 4 || ee.Stderr != "it broke" || !strings.Contains(err.Error(), s.Addr) {
		t.Errorf("Err() = %v, want an ExitError with status 4 saying the last line", err)
	}
}

// The Result keeps the last MaxOutput bytes; the stream gets everything.
func TestRunOutputCap(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{})
	c := dial(t, rootConfig(t, s))
	var n countingWriter
	res := run(t, c, "head -c 3000000 /dev/zero | tr '\\0' a; printf END; head -c 10 /dev/zero >&2", sshtarget.RunOptions{Stdout: &n})
	if len(res.Stdout) != sshtarget.DefaultMaxOutput || !res.StdoutTruncated || !bytes.HasSuffix(res.Stdout, []byte("aaaEND")) {
		t.Errorf("stdout: %d bytes, truncated %v, ends %q; want the last %d bytes", len(res.Stdout), res.StdoutTruncated, res.Stdout[max(0, len(res.Stdout)-6):], sshtarget.DefaultMaxOutput)
	}
	if len(res.Stderr) != 10 || res.StderrTruncated {
		t.Errorf("stderr: %d bytes, truncated %v", len(res.Stderr), res.StderrTruncated)
	}
	if n != 3000003 {
		t.Errorf("the stream got %d bytes, want 3000003", n)
	}
	res = run(t, c, "echo hello", sshtarget.RunOptions{MaxOutput: 3})
	if string(res.Stdout) != "lo\n" || !res.StdoutTruncated {
		t.Errorf("MaxOutput 3 kept %q, truncated %v", res.Stdout, res.StdoutTruncated)
	}
}

type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// Cancelling a Run returns at once and ends the remote process and its
// children, with and without sudo.
func TestRunCancelEndsRemoteProcess(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{User: true})
	_, sudoErr := lookSudo()
	cases := []struct {
		name   string
		cfg    sshtarget.Config
		cmd    string // %s is the sleep token
		sudo   bool
		output string // written before the sleep, must come back
	}{
		{name: "single command", cfg: rootConfig(t, s), cmd: "sleep %s"},
		{name: "shell with a child", cfg: rootConfig(t, s), cmd: "echo started; sleep %s; echo after", output: "started\n"},
		{name: "pipeline", cfg: rootConfig(t, s), cmd: "sleep %s | cat"},
		{name: "unprivileged user", cfg: userConfig(s), cmd: "echo started; sleep %s; echo after", output: "started\n"},
		{name: "sudo as root", cfg: rootConfig(t, s), cmd: "echo started; sleep %s; echo after", sudo: true, output: "started\n"},
		{name: "sudo with a password", cfg: userConfig(s), cmd: "echo started; sleep %s & wait", sudo: true, output: "started\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sudo && sudoErr != nil {
				t.Skip(sudoErr)
			}
			cfg := tc.cfg
			if tc.sudo {
				cfg.Sudo, cfg.SudoPassword = true, s.Password
				if cfg.User == "root" {
					cfg.SudoPassword = ""
				}
			}
			c := dial(t, cfg)
			token := sleepToken()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type ran struct {
				res sshtarget.Result
				err error
			}
			done := make(chan ran, 1)
			go func() {
				res, err := c.Run(ctx, fmt.Sprintf(tc.cmd, token), sshtarget.RunOptions{})
				done <- ran{res, err}
			}()
			if !waitFor(10*time.Second, func() bool { return len(procsWith(token)) > 0 }) {
				cancel()
				r := <-done
				t.Fatalf("the remote sleep never showed up in /proc: %v %q", r.err, r.res.Stderr)
			}
			running := procsWith(token)
			time.Sleep(100 * time.Millisecond) // let the echo arrive
			start := time.Now()
			cancel()
			r := <-done
			took := time.Since(start)
			if !errors.Is(r.err, context.Canceled) {
				t.Errorf("Run said %v, want context.Canceled", r.err)
			}
			if took > time.Second {
				t.Errorf("Run returned %s after the cancel", took)
			}
			if string(r.res.Stdout) != tc.output {
				t.Errorf("output so far %q, want %q", r.res.Stdout, tc.output)
			}
			if !waitFor(3*time.Second, func() bool { return len(procsWith(token)) == 0 }) {
				t.Errorf("remote processes %v (of %v) still run 3 s after the cancel", procsWith(token), running)
			}
			t.Logf("returned %s after the cancel; %d remote processes ended", took.Round(time.Millisecond), len(running))
			run(t, c, "true", sshtarget.RunOptions{}) // the connection lives on
		})
	}
}

// 50 Runs at once, each over its own connection, to one sshd whose
// MaxStartups lets 50 handshakes in at once.
func TestFiftyConnectionsAtOnce(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{MaxStartups: 100})
	cfg := rootConfig(t, s)
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := sshtarget.Dial(ctx, cfg)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			res, err := c.Run(ctx, "echo "+strconv.Itoa(i)+"; sleep 0.2", sshtarget.RunOptions{})
			if err == nil && string(res.Stdout) != strconv.Itoa(i)+"\n" {
				err = fmt.Errorf("said %q", res.Stdout)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			t.Errorf("connection %d: %v", i, err)
		}
	}
	t.Logf("%d of %d connections ran in %s", n-failed, n, time.Since(start).Round(time.Millisecond))
}

// Many Runs at once on one connection wait for one of its MaxSessions
// slots; without the bound, sshd's MaxSessions 10 refuses channels.
func TestManyRunsOnOneConnection(t *testing.T) {
	s := startSSHD(t, labtest.SSHDOptions{}) // sshd's default MaxSessions 10
	runAll := func(c *sshtarget.Conn, n int) []error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.Run(context.Background(), "sleep 0.3; echo "+strconv.Itoa(i), sshtarget.RunOptions{})
				if err == nil && string(res.Stdout) != strconv.Itoa(i)+"\n" {
					err = fmt.Errorf("said %q", res.Stdout)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		return errs
	}
	start := time.Now()
	for i, err := range runAll(dial(t, rootConfig(t, s)), 40) {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	took := time.Since(start)
	if took < 4*300*time.Millisecond { // 40 runs in slots of 8: at least 5 rounds
		t.Errorf("40 runs of 0.3 s took %s: more than 8 at once?", took)
	}
	t.Logf("40 runs of 0.3 s over 8 sessions: %s", took.Round(time.Millisecond))

	// The control: allowed 20 channels, the client meets sshd's limit.
	cfg := rootConfig(t, s)
	cfg.MaxSessions = 20
	refused := 0
	for _, err := range runAll(dial(t, cfg), 20) {
		if err != nil {
			if !strings.Contains(err.Error(), "MaxSessions") {
				t.Errorf("a refused channel says %v", err)
			}
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("sshd took 20 channels at once on one connection: the control shows nothing")
	}
}

// A command's round trip on a reused connection. OpenSSH serves root
// logins without privilege separation, which is much slower per channel
// than an unprivileged account, so both are measured.
func BenchmarkRunOverOneConn(b *testing.B) {
	s := startSSHD(b, labtest.SSHDOptions{User: true})
	_, noSudo := lookSudo()
	root := rootConfig(b, s)
	rootSudo := root
	rootSudo.Sudo = true
	user := userConfig(s)
	userSudo := user
	userSudo.Sudo, userSudo.SudoPassword = true, s.Password
	for _, bc := range []struct {
		name string
		cfg  sshtarget.Config
	}{{"root", root}, {"root-sudo", rootSudo}, {"user", user}, {"user-sudo-password", userSudo}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.cfg.Sudo && noSudo != nil {
				b.Skip(noSudo)
			}
			c := dial(b, bc.cfg)
			ctx := context.Background()
			run(b, c, "true", sshtarget.RunOptions{})
			for b.Loop() {
				res, err := c.Run(ctx, "true", sshtarget.RunOptions{})
				if err != nil || res.ExitCode != 0 {
					b.Fatal(err, res.ExitCode)
				}
			}
		})
	}
}
