package labs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// AgentTimeoutError says a guest's agent did not answer in time.
type AgentTimeoutError struct {
	Domain string
	After  time.Duration
}

func (e *AgentTimeoutError) Error() string {
	return fmt.Sprintf("the guest agent of %s did not answer within %s: the VM may not have booted, or qemu-guest-agent is not running in it", e.Domain, e.After.Round(time.Second))
}

// agent runs one guest agent command and decodes its "return" into out.
func agent(l *libvirt.Libvirt, dom libvirt.Domain, cmd any, out any, timeout time.Duration) error {
	raw, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	secs := int32(timeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	res, err := l.QEMUDomainAgentCommand(dom, string(raw), secs, 0)
	if err != nil {
		return err
	}
	if out == nil || len(res) == 0 {
		return nil
	}
	var envelope struct {
		Return json.RawMessage `json:"return"`
	}
	if err := json.Unmarshal([]byte(res[0]), &envelope); err != nil {
		return fmt.Errorf("agent reply %q: %w", res[0], err)
	}
	return json.Unmarshal(envelope.Return, out)
}

type agentCmd struct {
	Execute   string `json:"execute"`
	Arguments any    `json:"arguments,omitempty"`
}

// WaitAgent waits until the domain's guest agent answers. It listens for
// libvirt's agent lifecycle events rather than sleeping, and pings once
// more on each event (and at the start, in case it is up already).
func (h *Host) WaitAgent(ctx context.Context, domain string, timeout time.Duration) error {
	if _, _, err := h.domain(ctx, domain); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	events, stop, err := h.subscribe(ctx, libvirt.DomainEventIDAgentLifecycle)
	if err != nil {
		return fmt.Errorf("subscribe to agent events of %s: %w", domain, err)
	}
	defer func() { stop() }()
	var lastErr error
	// The channel can be connected before the agent inside answers, and an
	// event can be missed between subscribe and first ping, so a slow
	// backstop ping runs too.
	backstop := time.NewTicker(2 * time.Second)
	defer backstop.Stop()
	for {
		// Resolve the connection each time: if libvirtd restarts meanwhile,
		// the host reconnects and the wait goes on with the new connection.
		l, dom, err := h.domain(ctx, domain)
		if err == nil {
			if err = agent(l, dom, agentCmd{Execute: "guest-ping"}, nil, 2*time.Second); err == nil {
				return nil
			}
		}
		var nsd *NoSuchDomainError
		if errors.As(err, &nsd) {
			return err
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				var down *HostDownError
				if errors.As(lastErr, &down) {
					return lastErr
				}
				return &AgentTimeoutError{Domain: domain, After: timeout}
			}
			return ctx.Err()
		case <-events:
		case <-backstop.C:
		}
	}
}

// ExecResult is what a command run in a guest did.
type ExecResult struct {
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	// Truncated is set when the agent cut the output.
	Truncated bool          `json:"truncated"`
	Took      time.Duration `json:"took_ns"`
}

// Exec runs argv in the guest through guest-exec and waits for it to end.
func (h *Host) Exec(ctx context.Context, domain string, argv []string, stdin []byte) (ExecResult, error) {
	if len(argv) == 0 {
		return ExecResult{}, errors.New("no command to run")
	}
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return ExecResult{}, err
	}
	start := time.Now()
	args := map[string]any{"path": argv[0], "arg": argv[1:], "capture-output": true}
	if stdin != nil {
		args["input-data"] = base64.StdEncoding.EncodeToString(stdin)
	}
	var started struct {
		PID int `json:"pid"`
	}
	if err := agent(l, dom, agentCmd{Execute: "guest-exec", Arguments: args}, &started, 10*time.Second); err != nil {
		return ExecResult{}, fmt.Errorf("run %q in %s: %w", argv[0], domain, err)
	}
	// guest-exec-status is the only way to learn the outcome: poll it.
	delay := 20 * time.Millisecond
	for {
		var st struct {
			Exited   bool   `json:"exited"`
			ExitCode int    `json:"exitcode"`
			Signal   int    `json:"signal"`
			OutData  string `json:"out-data"`
			ErrData  string `json:"err-data"`
			OutTrunc bool   `json:"out-truncated"`
			ErrTrunc bool   `json:"err-truncated"`
		}
		if err := agent(l, dom, agentCmd{Execute: "guest-exec-status", Arguments: map[string]int{"pid": started.PID}}, &st, 10*time.Second); err != nil {
			return ExecResult{}, fmt.Errorf("status of %q in %s: %w", argv[0], domain, err)
		}
		if st.Exited {
			out, _ := base64.StdEncoding.DecodeString(st.OutData)
			errb, _ := base64.StdEncoding.DecodeString(st.ErrData)
			code := st.ExitCode
			if st.Signal != 0 {
				code = 128 + st.Signal
			}
			return ExecResult{ExitCode: code, Stdout: string(out), Stderr: string(errb), Truncated: st.OutTrunc || st.ErrTrunc, Took: time.Since(start)}, nil
		}
		select {
		case <-ctx.Done():
			return ExecResult{}, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

// agentChunk keeps each guest-file-write under the agent's message limit.
const agentChunk = 32 << 10

// WriteFile writes data to path in the guest through guest-file-*.
func (h *Host) WriteFile(ctx context.Context, domain, path string, data []byte) error {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return err
	}
	var handle int
	if err := agent(l, dom, agentCmd{Execute: "guest-file-open", Arguments: map[string]string{"path": path, "mode": "w"}}, &handle, 10*time.Second); err != nil {
		return fmt.Errorf("open %s in %s: %w", path, domain, err)
	}
	closeIt := func() error {
		return agent(l, dom, agentCmd{Execute: "guest-file-close", Arguments: map[string]int{"handle": handle}}, nil, 10*time.Second)
	}
	for off := 0; off < len(data) || off == 0; off += agentChunk {
		if err := ctx.Err(); err != nil {
			closeIt()
			return err
		}
		end := min(off+agentChunk, len(data))
		args := map[string]any{"handle": handle, "buf-b64": base64.StdEncoding.EncodeToString(data[off:end])}
		if err := agent(l, dom, agentCmd{Execute: "guest-file-write", Arguments: args}, nil, 30*time.Second); err != nil {
			closeIt()
			return fmt.Errorf("write %s in %s: %w", path, domain, err)
		}
		if end == len(data) {
			break
		}
	}
	return closeIt()
}

// ReadFile reads a (small) file from the guest.
func (h *Host) ReadFile(ctx context.Context, domain, path string, limit int) ([]byte, error) {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return nil, err
	}
	var handle int
	if err := agent(l, dom, agentCmd{Execute: "guest-file-open", Arguments: map[string]string{"path": path, "mode": "r"}}, &handle, 10*time.Second); err != nil {
		return nil, fmt.Errorf("open %s in %s: %w", path, domain, err)
	}
	defer agent(l, dom, agentCmd{Execute: "guest-file-close", Arguments: map[string]int{"handle": handle}}, nil, 10*time.Second)
	var out []byte
	for len(out) < limit {
		var r struct {
			Count  int    `json:"count"`
			BufB64 string `json:"buf-b64"`
			EOF    bool   `json:"eof"`
		}
		if err := agent(l, dom, agentCmd{Execute: "guest-file-read", Arguments: map[string]int{"handle": handle, "count": min(agentChunk, limit-len(out))}}, &r, 10*time.Second); err != nil {
			return nil, fmt.Errorf("read %s in %s: %w", path, domain, err)
		}
		b, _ := base64.StdEncoding.DecodeString(r.BufB64)
		out = append(out, b...)
		if r.EOF || r.Count == 0 {
			break
		}
	}
	return out, nil
}

// GuestInfo is what a guest's agent says of the guest.
type GuestInfo struct {
	// OS is the pretty name of the guest's OS ("Debian GNU/Linux 12 (bookworm)").
	OS       string `json:"os"`
	Kernel   string `json:"kernel"`
	Hostname string `json:"hostname"`
	// UptimeSeconds is how long the guest has run (0: unknown).
	UptimeSeconds float64          `json:"uptime_seconds"`
	Interfaces    []GuestInterface `json:"interfaces"`
	// Errors lists the questions the agent did not answer.
	Errors []string `json:"errors"`
}

// GuestInterface is one network interface as the guest sees it.
type GuestInterface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac"`
	Addresses []string `json:"addresses"`
}

// GuestInfo asks the guest agent for the OS, host name, uptime and
// interfaces. Questions the agent does not answer are listed in Errors;
// an error is returned only when the domain cannot be reached at all.
func (h *Host) GuestInfo(ctx context.Context, domain string) (GuestInfo, error) {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return GuestInfo{}, err
	}
	info := GuestInfo{Interfaces: []GuestInterface{}, Errors: []string{}}
	var osinfo struct {
		PrettyName    string `json:"pretty-name"`
		Name          string `json:"name"`
		KernelRelease string `json:"kernel-release"`
	}
	if err := agent(l, dom, agentCmd{Execute: "guest-get-osinfo"}, &osinfo, 5*time.Second); err != nil {
		info.Errors = append(info.Errors, "OS: "+err.Error())
	} else {
		info.OS, info.Kernel = osinfo.PrettyName, osinfo.KernelRelease
		if info.OS == "" {
			info.OS = osinfo.Name
		}
	}
	var host struct {
		HostName string `json:"host-name"`
	}
	if err := agent(l, dom, agentCmd{Execute: "guest-get-host-name"}, &host, 5*time.Second); err != nil {
		info.Errors = append(info.Errors, "host name: "+err.Error())
	} else {
		info.Hostname = host.HostName
	}
	var ifaces []struct {
		Name string `json:"name"`
		MAC  string `json:"hardware-address"`
		IPs  []struct {
			Addr   string `json:"ip-address"`
			Prefix int    `json:"prefix"`
		} `json:"ip-addresses"`
	}
	if err := agent(l, dom, agentCmd{Execute: "guest-network-get-interfaces"}, &ifaces, 5*time.Second); err != nil {
		info.Errors = append(info.Errors, "interfaces: "+err.Error())
	} else {
		for _, i := range ifaces {
			gi := GuestInterface{Name: i.Name, MAC: i.MAC, Addresses: []string{}}
			for _, ip := range i.IPs {
				gi.Addresses = append(gi.Addresses, fmt.Sprintf("%s/%d", ip.Addr, ip.Prefix))
			}
			info.Interfaces = append(info.Interfaces, gi)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if res, err := h.Exec(ctx, domain, []string{"cat", "/proc/uptime"}, nil); err != nil {
		info.Errors = append(info.Errors, "uptime: "+err.Error())
	} else {
		fmt.Sscanf(res.Stdout, "%f", &info.UptimeSeconds)
	}
	return info, nil
}
