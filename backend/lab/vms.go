package lab

import (
	"context"
	"io"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/labs"
)

// VMDetail is one lab VM as its detail view shows it: the record, whether
// its domain runs, its addresses and what its guest agent answers.
type VMDetail struct {
	LabID  string `json:"lab_id"`
	Host   string `json:"host"`
	VM     VM     `json:"vm"`
	Active bool   `json:"active"`
	// IPs are the guest's addresses (loopback left out), from the agent.
	IPs   []string       `json:"ips"`
	Guest labs.GuestInfo `json:"guest"`
	// CanType says whether the caller may type into the serial console.
	CanType bool `json:"can_type"`
	// Error says why the host or the guest could not be asked.
	Error string `json:"error"`
}

// labVM finds a VM of a lab by its domain name.
func (s *Service) labVM(ctx context.Context, labID, domain string) (Lab, VM, Host, error) {
	l, err := s.Get(ctx, labID)
	if err != nil {
		return Lab{}, VM{}, nil, err
	}
	for _, vm := range l.VMs {
		if vm.Domain == domain {
			h, err := s.hosts.Get(l.Host)
			return l, vm, h, err
		}
	}
	return Lab{}, VM{}, nil, apperr.NotFound("lab VM", domain)
}

// CanTypeConsole says who may type into a lab VM's serial console: testers
// and admins; managers and everyone else read.
func CanTypeConsole(by auth.Actor) bool { return by.Has(auth.RoleTester, auth.RoleAdmin) }

// VMDetail asks the host and the guest agent about one lab VM. A host or
// guest that does not answer is reported in Error, not as a failure.
func (s *Service) VMDetail(ctx context.Context, by auth.Actor, labID, domain string) (VMDetail, error) {
	l, vm, h, err := s.labVM(ctx, labID, domain)
	if err != nil {
		return VMDetail{}, err
	}
	d := VMDetail{LabID: l.ID, Host: l.Host, VM: vm, IPs: []string{}, CanType: CanTypeConsole(by),
		Guest: labs.GuestInfo{Interfaces: []labs.GuestInterface{}, Errors: []string{}}}
	if vm.State == VMRemoved || !l.Status.Live() {
		return d, nil
	}
	active, err := h.IsActive(ctx, domain)
	if err != nil {
		d.Error = err.Error()
		return d, nil
	}
	d.Active = active
	if !active {
		return d, nil
	}
	if d.Guest, err = h.GuestInfo(ctx, domain); err != nil {
		d.Error = err.Error()
		return d, nil
	}
	for _, i := range d.Guest.Interfaces {
		for _, a := range i.Addresses {
			if !strings.HasPrefix(a, "127.") && !strings.HasPrefix(a, "::1/") {
				d.IPs = append(d.IPs, a)
			}
		}
	}
	return d, nil
}

// NotRunningError refuses a console of a VM that does not run.
type NotRunningError struct{ Domain string }

func (e *NotRunningError) Error() string {
	return "The VM " + e.Domain + " is not running, so it has no console: start or rebuild the lab."
}

// Conflict makes it a 409 for API callers.
func (e *NotRunningError) Conflict() bool { return true }

// OpenConsole attaches to a running lab VM's serial console. Who may type
// is the caller's business (CanTypeConsole); the service only checks the
// VM belongs to the lab and runs.
func (s *Service) OpenConsole(ctx context.Context, labID, domain string) (io.ReadWriteCloser, error) {
	l, vm, h, err := s.labVM(ctx, labID, domain)
	if err != nil {
		return nil, err
	}
	if vm.State == VMRemoved || !l.Status.Live() {
		return nil, &NotRunningError{Domain: domain}
	}
	if active, err := h.IsActive(ctx, domain); err != nil {
		return nil, err
	} else if !active {
		return nil, &NotRunningError{Domain: domain}
	}
	return h.OpenConsole(ctx, domain)
}
