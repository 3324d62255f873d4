package fakehost

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/shakedown/shakedown/labs"
)

// IsActive reports whether a fake domain runs.
func (h *Host) IsActive(ctx context.Context, name string) (bool, error) {
	if err := h.enter("IsActive"); err != nil {
		h.mu.Unlock()
		return false, err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	if !ok {
		return false, h.noSuch(name)
	}
	return d.active, nil
}

// GuestInfo answers like a tiny Debian guest on the lab network.
func (h *Host) GuestInfo(ctx context.Context, name string) (labs.GuestInfo, error) {
	if err := h.enter("GuestInfo"); err != nil {
		h.mu.Unlock()
		return labs.GuestInfo{}, err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	if !ok {
		return labs.GuestInfo{}, h.noSuch(name)
	}
	info := labs.GuestInfo{OS: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.1.0-fake", Hostname: name, UptimeSeconds: 42,
		Interfaces: []labs.GuestInterface{{Name: "lo", Addresses: []string{"127.0.0.1/8"}},
			{Name: "eth0", MAC: "52:54:00:00:00:01", Addresses: []string{"10.99.0.2/24"}}}, Errors: []string{}}
	if !d.active {
		return labs.GuestInfo{Interfaces: []labs.GuestInterface{}, Errors: []string{"the VM is not running"}}, nil
	}
	return info, nil
}

// OpenConsole is a console that prints a login prompt and echoes what is
// typed, line by line, like a shell would.
func (h *Host) OpenConsole(ctx context.Context, name string) (io.ReadWriteCloser, error) {
	if err := h.enter("OpenConsole"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	_, ok := h.domains[name]
	h.mu.Unlock()
	if !ok {
		return nil, h.noSuch(name)
	}
	c := &console{}
	c.cond = sync.NewCond(&c.mu)
	c.print(fmt.Sprintf("\r\nDebian GNU/Linux 12 %s ttyS0\r\n\r\n%s login: ", name, name))
	return c, nil
}

// console is an in-memory serial line: what is printed waits for Read.
type console struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
}

func (c *console) print(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, s...)
	c.cond.Broadcast()
}

func (c *console) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buf) == 0 && !c.closed {
		c.cond.Wait()
	}
	if len(c.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// Write echoes what is typed, a carriage return as a new line.
func (c *console) Write(p []byte) (int, error) {
	c.print(strings.ReplaceAll(string(p), "\r", "\r\n"))
	return len(p), nil
}

func (c *console) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.cond.Broadcast()
	return nil
}
