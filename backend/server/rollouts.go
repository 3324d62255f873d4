package server

import (
	"context"
	"fmt"
	"net"
	"path"
	"strconv"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/inventory"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/sshtarget"
)

// rolloutTargets are a release's CIs as the inventory knows them, as
// rollout targets: libvirt VMs (through their guest agent) and manual
// targets (a person marks each step) and hosts over SSH.
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
		case inventory.KindSSH:
			out = append(out, rollout.Target{CIID: t.CIID, Name: t.Name, Kind: rollout.KindSSH, Address: t.Address})
		case inventory.KindManual:
			out = append(out, rollout.Target{CIID: t.CIID, Name: t.Name, Kind: rollout.KindManual})
		}
	}
	return out, nil
}

// connector reaches vm targets through the lab service's host registry,
// and ssh targets with the inventory's (sealed) credentials and pinned key.
type connector struct {
	hosts   *lab.Registry
	targets *inventory.Service
}

func (c connector) Connect(ctx context.Context, t rollout.Target) (rollout.Executor, error) {
	switch t.Kind {
	case rollout.KindVM:
		return c.vm(t)
	case rollout.KindSSH:
		return c.ssh(ctx, t)
	}
	return nil, apperr.Invalid("targets", "%s is a %s target: nothing to connect to.", t.Name, t.Kind)
}

func (c connector) ssh(ctx context.Context, t rollout.Target) (rollout.Executor, error) {
	a, err := c.targets.Access(ctx, t.CIID)
	if err != nil {
		return nil, err
	}
	if a.HostKey == "" {
		return nil, apperr.Conflict("targets", "%s's host key is not trusted yet: an admin fetches it and trusts it under Admin → Targets.", t.Name)
	}
	cfg := sshtarget.Config{Addr: net.JoinHostPort(a.Address, strconv.Itoa(a.Port)), User: a.User, Password: a.Password, PrivateKey: []byte(a.PrivateKey),
		HostKey: a.HostKey, Sudo: a.Sudo, SudoPassword: a.SudoPassword}
	conn, err := sshtarget.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Each CI has its own directory on its host (two applications on one
	// host are two CIs, each with its package and marker), by id so that a
	// renamed CI keeps its marker; under the user's home without root.
	root := "/var/lib/shakedown"
	if a.User != "root" && !a.Sudo {
		root = "~/.shakedown"
	}
	base := path.Join(root, "targets", strconv.FormatInt(t.CIID, 10))
	return rollout.NewSSHExecutor(conn, t.Name, base), nil
}

func (c connector) vm(t rollout.Target) (rollout.Executor, error) {
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
