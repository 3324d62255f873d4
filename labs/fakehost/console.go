package fakehost

import (
	"context"
	"fmt"
	"io"
	"strings"

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
	r, w := io.Pipe()
	c := &console{r: r, w: w}
	go fmt.Fprintf(w, "\r\nDebian GNU/Linux 12 %s ttyS0\r\n\r\n%s login: ", name, name)
	return c, nil
}

type console struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func (c *console) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *console) Write(p []byte) (int, error) {
	s := strings.ReplaceAll(string(p), "\r", "\r\n")
	go c.w.Write([]byte(s))
	return len(p), nil
}

func (c *console) Close() error {
	c.w.Close()
	return c.r.Close()
}
