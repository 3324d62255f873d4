package sshtarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Conn is one SSH connection to a target, reused for every step. Its
// methods may be called from several goroutines; at most MaxSessions
// channels are open at once, the others wait their turn.
type Conn struct {
	cfg    Config
	addr   string
	client *ssh.Client
	hostFP string
	sem    chan struct{}

	done      chan struct{} // closed when the connection ends, for any reason
	closeOnce sync.Once
	mu        sync.Mutex
	lost      error // why the connection ended; ErrClosed after Close
}

// Dial connects to the target, checks its host key against the pin and
// signs in. A cancelled ctx abandons the attempt; it does not end the
// connection once Dial returned.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	ccfg, p, err := cfg.clientConfig()
	if err != nil {
		return nil, err
	}
	addr := cfg.addr()
	var mismatch error
	keyChecked := false
	var hostFP string
	ccfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		hostFP = Fingerprint(key)
		if p != nil {
			if err := p.check(addr, key); err != nil {
				mismatch = err
				return err
			}
		}
		keyChecked = true
		return nil
	}
	timeout := within(ctx, cfg.dialTimeout())
	sc, chans, reqs, err := handshake(ctx, addr, timeout, ccfg)
	if err != nil {
		switch {
		case mismatch != nil:
			return nil, mismatch
		case keyChecked && !isNetwork(err) && ctx.Err() == nil:
			return nil, &AuthError{Addr: addr, User: cfg.User, Methods: methods(cfg), Err: err}
		}
		return nil, dialError(ctx, addr, timeout, err)
	}
	c := &Conn{
		cfg: cfg, addr: addr, hostFP: hostFP,
		client: ssh.NewClient(sc, chans, reqs),
		done:   make(chan struct{}),
	}
	n := cfg.MaxSessions
	if n <= 0 {
		n = DefaultMaxSessions
	}
	c.sem = make(chan struct{}, n)
	go func() { // the transport ended: remember why for the next caller
		err := c.client.Wait()
		if err == nil {
			err = io.EOF
		}
		c.end(err)
	}()
	if ka := cfg.KeepAlive; ka >= 0 {
		if ka == 0 {
			ka = DefaultKeepAlive
		}
		go c.keepalive(ka)
	}
	return c, nil
}

// handshake dials addr and runs the SSH handshake, bounded by timeout and ctx.
func handshake(ctx context.Context, addr string, timeout time.Duration, cfg *ssh.ClientConfig) (ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, nil, err
	}
	// The handshake has no context of its own: a deadline bounds it and
	// closing the socket ends it on cancel.
	deadline, _ := ctx.Deadline()
	nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if !stop() || err != nil {
		nc.Close()
		if ctx.Err() == context.DeadlineExceeded || err == nil {
			err = fmt.Errorf("%w (%v)", os.ErrDeadlineExceeded, err) // the socket closed by the timeout says only "closed"
		}
		return nil, nil, nil, err
	}
	nc.SetDeadline(time.Time{})
	return sc, chans, reqs, nil
}

// within is timeout, or less if ctx ends sooner.
func within(ctx context.Context, timeout time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		return time.Until(d)
	}
	return timeout
}

// isNetwork says err came from the socket rather than from the SSH peer.
func isNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}

// dialError classifies a failure to connect.
func dialError(ctx context.Context, addr string, timeout time.Duration, err error) error {
	if ctx.Err() == context.Canceled {
		return fmt.Errorf("ssh to %s: %w", addr, context.Canceled)
	}
	var ne net.Error
	if ctx.Err() == context.DeadlineExceeded || errors.As(err, &ne) && ne.Timeout() {
		return &UnreachableError{Addr: addr, Timeout: timeout, Err: err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		err = fmt.Errorf("it closed the connection before the SSH handshake finished (an overloaded sshd drops connections past MaxStartups; or this port is not sshd)")
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err // "connection refused" rather than "dial tcp 1.2.3.4:22: connect: connection refused"
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err
		}
	}
	return &UnreachableError{Addr: addr, Err: err}
}

func methods(cfg Config) []string {
	var m []string
	if len(cfg.PrivateKey) > 0 {
		m = append(m, "publickey")
	}
	if cfg.Password != "" {
		m = append(m, "password")
	}
	return m
}

// keepalive sends a request every interval; a connection that does not
// answer within the next interval is ended, so that waiting commands fail
// with a LostError instead of hanging on a dead peer.
func (c *Conn) keepalive(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		answered := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		}()
		timer := time.NewTimer(interval)
		select {
		case <-c.done:
			timer.Stop()
			return
		case err := <-answered:
			timer.Stop()
			if err != nil {
				c.end(err)
				return
			}
		case <-timer.C:
			c.end(fmt.Errorf("no answer to a keepalive within %s", interval))
			return
		}
	}
}

// end closes the connection once and remembers why.
func (c *Conn) end(why error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.lost = why
		c.mu.Unlock()
		close(c.done)
		c.client.Close()
	})
}

// Close ends the connection; running commands fail.
func (c *Conn) Close() error {
	c.end(ErrClosed)
	return nil
}

// Addr is the host:port connected to.
func (c *Conn) Addr() string { return c.addr }

// HostKeyFingerprint is the fingerprint of the host key the target presented.
func (c *Conn) HostKeyFingerprint() string { return c.hostFP }

// err returns why the connection ended, typed, or nil while it is up.
func (c *Conn) err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost == ErrClosed {
		return ErrClosed
	}
	return &LostError{Addr: c.addr, Err: c.lost}
}

// session opens a channel once a slot is free; release frees the slot.
func (c *Conn) session(ctx context.Context) (*ssh.Session, func(), error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, err := c.client.NewSession()
	if err != nil {
		release()
		return nil, nil, c.channelError(err)
	}
	return s, release, nil
}

// acquire waits for a session slot.
func (c *Conn) acquire(ctx context.Context) (func(), error) {
	if err := c.err(); err != nil {
		return nil, err
	}
	select {
	case c.sem <- struct{}{}:
		return func() { <-c.sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free SSH session on %s: %w", c.addr, ctx.Err())
	case <-c.done:
		return nil, c.err()
	}
}

// channelError explains a channel the target would not open.
func (c *Conn) channelError(err error) error {
	if e := c.err(); e != nil {
		return e
	}
	var oc *ssh.OpenChannelError
	if errors.As(err, &oc) {
		return fmt.Errorf("%s refused a new SSH session (%v): its sshd allows fewer sessions per connection (MaxSessions) than this target's MaxSessions", c.addr, err)
	}
	if isNetwork(err) {
		return &LostError{Addr: c.addr, Err: err}
	}
	return fmt.Errorf("new SSH session on %s: %w", c.addr, err)
}

// HostKey is a host key as a target presented it.
type HostKey struct {
	Key         ssh.PublicKey
	Line        string // authorized_keys format, "ssh-ed25519 AAAA…", to pin as is
	Fingerprint string // SHA256:…, to compare with ssh-keygen -lf on the machine
}

// errGotKey ends a handshake once the host key is known.
var errGotKey = errors.New("host key read")

// FetchHostKey runs the SSH handshake with addr until it has presented
// its host key and returns that key, without authenticating: for an
// administrator to check it on the machine and pin it. Without a deadline
// on ctx it gives up after DefaultDialTimeout.
func FetchHostKey(ctx context.Context, addr string) (HostKey, error) {
	addr = Config{Addr: addr}.addr()
	timeout := within(ctx, DefaultDialTimeout)
	var key HostKey
	cfg := &ssh.ClientConfig{User: "shakedown", HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
		key = HostKey{Key: k, Line: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))), Fingerprint: Fingerprint(k)}
		return errGotKey
	}}
	_, _, _, err := handshake(ctx, addr, timeout, cfg)
	if key.Key != nil {
		return key, nil
	}
	return HostKey{}, dialError(ctx, addr, timeout, err)
}
