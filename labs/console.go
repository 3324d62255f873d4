package labs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	_ "unsafe" // go:linkname

	"github.com/digitalocean/go-libvirt"
)

// go-libvirt's DomainOpenConsole only reads; a console one can type into
// needs its stream in both directions, which its (unexported) requestStream
// does for uploads. It is reached here rather than forking the library.
//
//go:linkname requestStream github.com/digitalocean/go-libvirt.(*Libvirt).requestStream
func requestStream(l *libvirt.Libvirt, proc uint32, program uint32, payload []byte, out io.Reader, in io.Writer) (streamResponse, error)

// streamResponse mirrors go-libvirt's response (same layout).
type streamResponse struct {
	Payload []byte
	Status  uint32
}

const (
	remoteProgram         = 0x20008086 // REMOTE_PROGRAM
	procDomainOpenConsole = 201        // REMOTE_PROC_DOMAIN_OPEN_CONSOLE
)

// Console is a live serial console of a domain: Read returns what the
// guest prints, Write types into it. Close ends the session.
type Console struct {
	l      *libvirt.Libvirt
	in     *consoleInput
	out    chan []byte
	done   chan struct{}
	errMu  sync.Mutex
	err    error
	closed sync.Once
	rest   []byte
}

// OpenConsole attaches to a running domain's serial console over its own
// connection to libvirtd (so that ending it ends the stream cleanly). An
// existing session (another viewer, virsh console) is taken over.
func (h *Host) OpenConsole(ctx context.Context, domain string) (io.ReadWriteCloser, error) {
	if h.IsTest() {
		return nil, fmt.Errorf("the test driver has no serial consoles")
	}
	_, dom, err := h.domain(ctx, domain)
	if err != nil {
		return nil, err
	}
	l, err := dial(h.cfg.URI)
	if err != nil {
		return nil, &HostDownError{Host: h.cfg.Name, URI: h.cfg.URI, Err: err}
	}
	c := &Console{l: l, in: newConsoleInput(), out: make(chan []byte, 64), done: make(chan struct{})}
	payload := encodeOpenConsole(dom, libvirt.DomainConsoleForce|libvirt.DomainConsoleSafe)
	go func() {
		defer close(c.done)
		defer close(c.out)
		_, err := requestStream(l, procDomainOpenConsole, remoteProgram, payload, c.in, consoleOutput{c})
		c.errMu.Lock()
		c.err = err
		c.errMu.Unlock()
	}()
	return c, nil
}

// Read returns the next bytes the guest printed; io.EOF once the console
// ended (the VM stopped, or another session took it over).
func (c *Console) Read(p []byte) (int, error) {
	if len(c.rest) == 0 {
		b, ok := <-c.out
		if !ok {
			c.errMu.Lock()
			defer c.errMu.Unlock()
			if c.err != nil && !errors.Is(c.err, libvirt.ErrInterrupted) {
				return 0, c.err
			}
			return 0, io.EOF
		}
		c.rest = b
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

// Write types p into the console.
func (c *Console) Write(p []byte) (int, error) { return c.in.write(p) }

// Close ends the session: the stream is finished, and the connection
// dropped after a moment if libvirtd does not answer.
func (c *Console) Close() error {
	c.closed.Do(func() {
		c.in.close()
		go func() {
			for range c.out { // drain so the reader goroutine can end
			}
		}()
		select {
		case <-c.done:
		case <-time.After(3 * time.Second):
		}
		c.l.Disconnect()
	})
	return nil
}

// consoleOutput receives the stream's packets; it never blocks the
// connection for long (a reader that stopped reading loses output).
type consoleOutput struct{ c *Console }

func (o consoleOutput) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	select {
	case o.c.out <- b:
	case <-time.After(5 * time.Second):
	}
	return len(p), nil
}

// consoleInput is the reader go-libvirt sends to the guest: it blocks for
// typed bytes and reports io.EOF once closed (which finishes the stream).
type consoleInput struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    bytes.Buffer
	closed bool
}

func newConsoleInput() *consoleInput {
	in := &consoleInput{}
	in.cond = sync.NewCond(&in.mu)
	return in
}

func (in *consoleInput) Read(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.buf.Len() == 0 && !in.closed {
		in.cond.Wait()
	}
	if in.buf.Len() == 0 {
		return 0, io.EOF
	}
	return in.buf.Read(p)
}

func (in *consoleInput) write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return 0, io.ErrClosedPipe
	}
	in.buf.Write(p)
	in.cond.Broadcast()
	return len(p), nil
}

func (in *consoleInput) close() {
	in.mu.Lock()
	in.closed = true
	in.cond.Broadcast()
	in.mu.Unlock()
}

// encodeOpenConsole is the XDR of remote_domain_open_console_args: the
// domain (name, uuid, id), no device name (the first console), flags.
func encodeOpenConsole(dom libvirt.Domain, flags libvirt.DomainConsoleFlags) []byte {
	var b bytes.Buffer
	u32 := func(v uint32) { binary.Write(&b, binary.BigEndian, v) }
	u32(uint32(len(dom.Name)))
	b.WriteString(dom.Name)
	for i := len(dom.Name); i%4 != 0; i++ {
		b.WriteByte(0)
	}
	b.Write(dom.UUID[:])
	u32(uint32(dom.ID))
	u32(0) // dev_name: absent
	u32(uint32(flags))
	return b.Bytes()
}
