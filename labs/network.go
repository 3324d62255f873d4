package labs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// bridgeName derives a bridge name from a network name that fits Linux's
// 15-character limit.
func bridgeName(network string) string {
	sum := sha256.Sum256([]byte(network))
	return "sdl" + hex.EncodeToString(sum[:])[:10]
}

// CreateIsolatedNetwork starts a transient libvirt network with no
// <forward> and no host address: guests on it reach each other and nothing
// else — not production, not the host, not another lab. Clones keep
// production's static addresses on it.
func (h *Host) CreateIsolatedNetwork(ctx context.Context, name string) (string, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return "", err
	}
	x := &libvirtxml.Network{
		Name:   name,
		Bridge: &libvirtxml.NetworkBridge{Name: bridgeName(name), STP: "off"},
	}
	doc, err := x.Marshal()
	if err != nil {
		return "", err
	}
	if _, err := l.NetworkCreateXML(doc); err != nil {
		return "", fmt.Errorf("create lab network %s: %w", name, err)
	}
	return name, nil
}

// Networks lists the names of every network on the host.
func (h *Host) Networks(ctx context.Context) ([]string, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	nets, _, err := l.ConnectListAllNetworks(1, 0)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(nets))
	for i, n := range nets {
		out[i] = n.Name
	}
	return out, nil
}

// DeleteNetwork stops and removes a network. It reports whether there was
// one to remove; a missing one is not an error.
func (h *Host) DeleteNetwork(ctx context.Context, name string) (bool, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return false, err
	}
	n, err := l.NetworkLookupByName(name)
	if isNoSuch(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if active, _ := l.NetworkIsActive(n); active == 1 {
		if err := l.NetworkDestroy(n); err != nil {
			if isNoSuch(err) {
				return false, nil
			}
			return false, fmt.Errorf("stop network %s: %w", name, err)
		}
	}
	if err := l.NetworkUndefine(n); err != nil && !isNoSuch(err) && !isNotPersistent(err) {
		return false, fmt.Errorf("remove network %s: %w", name, err)
	}
	return true, nil
}
