package sshtarget

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// KillGrace is how long a cancelled command has between SIGTERM and
// SIGKILL.
const KillGrace = 2 * time.Second

// Sudo chooses, for one command, whether it runs through sudo.
type Sudo int

const (
	SudoDefault Sudo = iota // as Config.Sudo says
	SudoOn                  // through sudo, whatever Config.Sudo says
	SudoOff                 // as the signed-in user
)

// RunOptions are a command's input, output streams and privilege.
type RunOptions struct {
	Stdin io.Reader
	// Stdout and Stderr receive the output as it arrives, all of it (the
	// Result keeps only the end). They may be the same writer: writes to
	// them are serialised, and none happens after Run returned.
	Stdout, Stderr io.Writer
	Sudo           Sudo
	// MaxOutput is how many bytes of each stream the Result keeps (the
	// last ones, where errors are); 0: DefaultMaxOutput, <0: none.
	MaxOutput int
}

// Result is how a command ended. A non-zero exit status is not an error
// of Run: Err turns it into one for callers that want that.
type Result struct {
	ExitCode        int
	Stdout, Stderr  []byte
	StdoutTruncated bool // Stdout holds only the last MaxOutput bytes
	StderrTruncated bool
	Took            time.Duration

	addr, cmd string
}

// Err is an *ExitError for a non-zero exit status, else nil.
func (r Result) Err() error {
	if r.ExitCode == 0 {
		return nil
	}
	return &ExitError{Addr: r.addr, Cmd: r.cmd, Code: r.ExitCode, Stderr: lastLine(r.Stderr)}
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return short(s)
}

// Run runs cmd through the target's login shell (or through sudo and sh)
// on its own channel of the connection. Cancelling ctx sends SIGTERM to
// the command's process group, SIGKILL after KillGrace, and returns the
// output so far with ctx's error.
func (c *Conn) Run(ctx context.Context, cmd string, o RunOptions) (Result, error) {
	res := Result{ExitCode: -1, addr: c.addr, cmd: cmd}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	sess, release, err := c.session(ctx)
	if err != nil {
		return res, err
	}
	defer release()
	defer sess.Close()

	outs := newOutputs(o)
	defer outs.close() // no write reaches the caller's writers after Run
	sess.Stdout = &outs.stdout
	stdin, err := sess.StdinPipe()
	if err != nil {
		return res, c.channelError(err)
	}
	var gate *sudoGate
	var stderr io.Writer = &outs.stderr
	remote := cmd
	sudo := o.Sudo == SudoOn || o.Sudo == SudoDefault && c.cfg.Sudo
	if sudo {
		gate = newSudoGate(c.cfg.SudoPassword, stdin, &outs.stderr)
		defer gate.finish()
		remote, stderr = gate.command(cmd), gate
	}
	pre := newPreamble(stderr)
	sess.Stderr = pre
	start := time.Now()
	if err := sess.Start(pre.command(remote)); err != nil {
		return res, c.channelError(err)
	}
	go feed(stdin, o.Stdin, gate)

	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()
	var refused <-chan struct{}
	if gate != nil {
		refused = gate.refused
	}
	var werr, stopErr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		werr = c.stop(sess, waited, pre)
		stopErr = fmt.Errorf("%s on %s: %w", short(cmd), c.addr, ctx.Err())
	case <-refused:
		werr = c.stop(sess, waited, pre)
		stopErr = &SudoError{Addr: c.addr, User: c.cfg.User, Reason: "it refused the sudo password"}
	}
	res.Took = time.Since(start)
	pre.flush()
	outs.close()
	res.Stdout, res.StdoutTruncated = outs.stdout.result()
	res.Stderr, res.StderrTruncated = outs.stderr.result()

	var exit *ssh.ExitError
	switch {
	case werr == nil:
		res.ExitCode = 0
	case errors.As(werr, &exit):
		res.ExitCode = exit.ExitStatus()
	}
	if stopErr != nil {
		return res, stopErr
	}
	if res.ExitCode == -1 { // no exit status: the channel or the connection ended first
		if err := c.err(); err != nil {
			return res, err
		}
		return res, &LostError{Addr: c.addr, Err: fmt.Errorf("the session of %s ended without an exit status: %v", short(cmd), werr)}
	}
	if gate != nil && !gate.started() {
		return res, gate.failure(c.addr, c.cfg.User, res.ExitCode)
	}
	if err := outs.err(); err != nil {
		return res, fmt.Errorf("streaming the output of %s on %s: %w", short(cmd), c.addr, err)
	}
	return res, nil
}

// stop ends a running command: SIGTERM to its process group, SIGKILL
// after KillGrace, then the channel is closed. It returns what Wait said,
// if it said it in time. sshd honours the "signal" request only for
// sessions it runs with privilege separation, which OpenSSH skips for
// root logins, so the group is also killed with kill(1) on a channel of
// its own, once the command said which group it is.
func (c *Conn) stop(sess *ssh.Session, waited <-chan error, pre *preamble) error {
	grace := time.After(KillGrace)
	sess.Signal(ssh.SIGTERM)
	select {
	case err := <-waited:
		return err
	case <-pre.known: // a cancel at the very start waits for the group id
		c.killGroup(pre.group(), ssh.SIGTERM)
		select {
		case err := <-waited:
			return err
		case <-grace:
		}
	case <-grace:
	}
	sess.Signal(ssh.SIGKILL)
	c.killGroup(pre.group(), ssh.SIGKILL)
	sess.Close()
	select {
	case err := <-waited:
		return err
	case <-time.After(time.Second): // a dead peer: keepalives will end the connection
		return nil
	}
}

// killGroup sends sig to a remote process group, waiting at most a
// second. It opens a channel outside the session slots: DefaultMaxSessions
// leaves two of sshd's ten for it.
func (c *Conn) killGroup(group int, sig ssh.Signal) {
	if group <= 1 {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := c.client.NewSession()
		if err != nil {
			return
		}
		defer s.Close()
		s.Run(fmt.Sprintf("kill -s %s -- -%d 2>/dev/null; true", sig, group))
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// preamble makes every command first print, on stderr, the id of its
// process group (the login shell's pid: sshd starts each session in a new
// session and group), and takes that line out of the stream.
type preamble struct {
	token []byte
	next  io.Writer

	mu    sync.Mutex
	buf   []byte
	done  bool
	pgid  int
	known chan struct{} // closed once pgid is known, or never will be
}

func newPreamble(next io.Writer) *preamble {
	return &preamble{token: []byte("shakedown-pgid-" + randomToken() + " "), next: next, known: make(chan struct{})}
}

func (p *preamble) command(cmd string) string {
	return "printf '%s%d\\n' " + Quote(string(p.token)) + " $$ >&2\n" + cmd
}

func (p *preamble) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return p.next.Write(b)
	}
	p.buf = append(p.buf, b...)
	i := bytes.Index(p.buf, p.token)
	if i < 0 {
		if len(p.buf) > 64<<10 { // no preamble (a login shell that is not POSIX): pass it all on
			p.flushLocked()
		}
		return len(b), nil
	}
	j := bytes.IndexByte(p.buf[i:], '\n')
	if j < 0 {
		return len(b), nil
	}
	p.pgid, _ = strconv.Atoi(string(p.buf[i+len(p.token) : i+j]))
	p.buf = append(p.buf[:i], p.buf[i+j+1:]...)
	p.flushLocked()
	return len(b), nil
}

func (p *preamble) flushLocked() {
	p.done = true
	close(p.known)
	if len(p.buf) > 0 {
		p.next.Write(p.buf)
	}
	p.buf = nil
}

// flush passes on what is held back, at the end of a command.
func (p *preamble) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		p.flushLocked()
	}
}

func (p *preamble) group() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pgid
}

func randomToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// feed copies the caller's stdin to the command once it runs (after sudo
// took its password), then closes it. The copy is not part of Wait, so a
// stdin that never ends cannot hold a finished command.
func feed(w io.WriteCloser, r io.Reader, gate *sudoGate) {
	if gate != nil {
		select {
		case <-gate.opened:
		case <-gate.ended:
			return
		}
	}
	if r != nil {
		io.Copy(w, r)
	}
	w.Close()
}

// outputs are a command's two streams, sharing one lock so that a caller
// may pass the same writer for both.
type outputs struct {
	mu             sync.Mutex
	closed         bool
	stdout, stderr output
}

type output struct {
	o         *outputs
	w         io.Writer
	werr      error
	max       int
	buf       []byte
	truncated bool
}

func newOutputs(o RunOptions) *outputs {
	max := o.MaxOutput
	if max == 0 {
		max = DefaultMaxOutput
	}
	if max < 0 {
		max = 0
	}
	outs := &outputs{}
	outs.stdout = output{o: outs, w: o.Stdout, max: max}
	outs.stderr = output{o: outs, w: o.Stderr, max: max}
	return outs
}

func (outs *outputs) close() {
	outs.mu.Lock()
	outs.closed = true
	outs.mu.Unlock()
}

func (outs *outputs) err() error {
	outs.mu.Lock()
	defer outs.mu.Unlock()
	if outs.stdout.werr != nil {
		return outs.stdout.werr
	}
	return outs.stderr.werr
}

// Write keeps the last max bytes and streams to the caller's writer. It
// never fails, so that a broken caller's writer cannot stall the remote
// command on a full channel; the writer's error is reported by Run.
func (w *output) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.o.closed {
		return len(p), nil
	}
	if w.w != nil && w.werr == nil {
		_, w.werr = w.w.Write(p)
	}
	kept := p
	if len(kept) > w.max {
		kept = kept[len(kept)-w.max:]
		w.truncated = true
	}
	w.buf = append(w.buf, kept...)
	if len(w.buf) > 2*w.max { // compact now and then: amortised O(n)
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-w.max:]...)
		w.truncated = true
	}
	return len(p), nil
}

func (w *output) result() ([]byte, bool) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	b, t := w.buf, w.truncated
	if len(b) > w.max {
		b, t = b[len(b)-w.max:], true
	}
	return bytes.Clone(b), t
}

// sudoGate runs a command through sudo and watches its stderr: a prompt
// (a random token) is answered with the password, once; the command's
// first words (another token, printed by the root shell) say sudo let it
// run, and only then does the caller's stdin flow, so that the password
// never reaches the command when sudo did not ask for it.
type sudoGate struct {
	prompt, ok []byte
	password   string
	stdin      io.Writer
	out        io.Writer

	mu          sync.Mutex
	buf         []byte // stderr before the command ran: what sudo said
	open        bool
	prompts     int
	refusedOnce sync.Once
	endOnce     sync.Once
	opened      chan struct{} // the command runs as root
	refused     chan struct{} // sudo asked again: the password is wrong
	ended       chan struct{} // Run returned
}

func newSudoGate(password string, stdin io.Writer, out io.Writer) *sudoGate {
	t := randomToken()
	return &sudoGate{
		prompt: []byte("[shakedown-sudo-" + t + "]"), ok: []byte("shakedown-root-" + t + "\n"),
		password: password, stdin: stdin, out: out,
		opened: make(chan struct{}), refused: make(chan struct{}), ended: make(chan struct{}),
	}
}

// sudoWrapper runs "$1" in the background of a root shell that, on
// SIGTERM (which sudo relays), ends the whole process group: TERM, then
// KILL after up to 2 s. The background job's stdin is made the real one
// again (POSIX gives it /dev/null).
const sudoWrapper = `trap 'trap "" TERM INT HUP; kill -TERM 0 2>/dev/null; i=0; while [ $i -lt 20 ] && kill -0 $! 2>/dev/null; do sleep 0.1; i=$((i+1)); done; kill -KILL 0' TERM INT HUP; exec 3<&0; sh -c "$1" <&3 3<&- & wait $!`

// command is the remote command line for cmd. The login shell is
// replaced by sudo (exec) so that sshd's signals reach it.
func (g *sudoGate) command(cmd string) string {
	return sudoCommand(cmd, g.password != "", string(g.prompt), strings.TrimSuffix(string(g.ok), "\n"))
}

func sudoCommand(cmd string, withPassword bool, prompt, ok string) string {
	flags := "-n" // never ask: fail at once when a password is needed
	if withPassword {
		flags = "-S -p " + Quote(prompt)
	}
	script := "printf '%s\\n' " + ok + " >&2; " + sudoWrapper
	return "exec sudo " + flags + " -- sh -c " + Quote(script) + " sh " + Quote(cmd)
}

func (g *sudoGate) Write(p []byte) (int, error) {
	g.mu.Lock()
	if g.open {
		g.mu.Unlock()
		return g.out.Write(p)
	}
	defer g.mu.Unlock()
	g.buf = append(g.buf, p...)
	for {
		i, j := bytes.Index(g.buf, g.prompt), bytes.Index(g.buf, g.ok)
		if i >= 0 && (j < 0 || i < j) {
			g.buf = append(g.buf[:i], g.buf[i+len(g.prompt):]...)
			g.prompts++
			if g.prompts == 1 && g.password != "" {
				g.stdin.Write([]byte(g.password + "\n"))
			} else {
				g.refusedOnce.Do(func() { close(g.refused) })
			}
			continue
		}
		if j >= 0 {
			rest := bytes.Clone(g.buf[j+len(g.ok):])
			g.buf = g.buf[:j]
			g.open = true
			close(g.opened)
			if len(rest) > 0 {
				g.out.Write(rest)
			}
		} else if len(g.buf) > 16<<10 { // sudo does not say that much; keep the end
			g.buf = append(g.buf[:0], g.buf[len(g.buf)-8<<10:]...)
		}
		return len(p), nil
	}
}

func (g *sudoGate) started() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

func (g *sudoGate) finish() { g.endOnce.Do(func() { close(g.ended) }) }

// failure explains why sudo did not run the command.
func (g *sudoGate) failure(addr, user string, code int) error {
	g.mu.Lock()
	said := strings.TrimSpace(string(g.buf))
	g.mu.Unlock()
	reason := said
	switch {
	case code == 127:
		reason = "sudo is not installed there (" + said + ")"
	case said == "":
		reason = fmt.Sprintf("sudo exited with status %d and said nothing", code)
	}
	return &SudoError{Addr: addr, User: user, Reason: reason}
}

// Quote quotes s for a POSIX shell: as is when it holds only characters
// the shell leaves alone, else in single quotes.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command joins args into a shell command line, each one quoted.
func Command(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
