package server

import (
	"context"
	"fmt"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/inventory"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
)

// rolloutTargets are a release's CIs as the inventory knows them, as
// rollout targets: libvirt VMs (through their guest agent) and manual
// targets (a person marks each step); SSH hosts come with the SSH driver.
func (s *Server) rolloutTargets(ctx context.Context, r *release.Release) ([]rollout.Target, error) {
	var ids []int64
	for _, c := range r.CIs {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ts, err := s.Targets.Select(ctx, inventory.Selector{CIIDs: ids})
	if err != nil {
		return nil, err
	}
	var out []rollout.Target
	for _, t := range ts {
		switch t.Kind {
		case inventory.KindVM:
			out = append(out, rollout.Target{CIID: t.CIID, Name: t.Name, Kind: rollout.KindVM, Host: t.LibvirtHost, Domain: t.LibvirtDomain, Address: t.Address})
		case inventory.KindManual:
			out = append(out, rollout.Target{CIID: t.CIID, Name: t.Name, Kind: rollout.KindManual})
		}
	}
	return out, nil
}

// vmConnector reaches vm targets through the lab service's host registry.
type vmConnector struct{ hosts *lab.Registry }

func (c vmConnector) Connect(ctx context.Context, t rollout.Target) (rollout.Executor, error) {
	if t.Kind != rollout.KindVM {
		return nil, apperr.Invalid("targets", "%s is a %s target; this Shakedown rolls out to libvirt VMs only.", t.Name, t.Kind)
	}
	h, err := c.hosts.Get(t.Host)
	if err != nil {
		return nil, err
	}
	vm, ok := h.(rollout.VMHost)
	if !ok {
		return nil, fmt.Errorf("libvirt host %s cannot take snapshots through this driver", t.Host)
	}
	return rollout.NewVMExecutor(vm, t.Domain, "/var/lib/shakedown/rollout"), nil
}
