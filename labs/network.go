package labs

import (
	"context"
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// networkName is the libvirt name of a lab's network; the lab id in the
// name is how reconciliation finds it.
func networkName(labID string) string { return "sd-lab-" + labID }

// bridgeName fits Linux's 15-character limit.
func bridgeName(labID string) string {
	if len(labID) > 10 {
		labID = labID[:10]
	}
	return "sdl" + labID
}

// CreateIsolatedNetwork starts a libvirt network with no <forward> and no
// host address: guests on it reach each other and nothing else — not
// production, not the host, not another lab. Clones keep production's
// static addresses on it.
func (h *Host) CreateIsolatedNetwork(ctx context.Context, labID string) (string, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return "", err
	}
	name := networkName(labID)
	x := &libvirtxml.Network{
		Name:   name,
		Bridge: &libvirtxml.NetworkBridge{Name: bridgeName(labID), STP: "off"},
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

// DeleteNetwork stops and removes a network; a missing one is not an error.
func (h *Host) DeleteNetwork(ctx context.Context, name string) error {
	l, err := h.Conn(ctx)
	if err != nil {
		return err
	}
	n, err := l.NetworkLookupByName(name)
	if isNoSuch(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if active, _ := l.NetworkIsActive(n); active == 1 {
		if err := l.NetworkDestroy(n); err != nil && !isNoSuch(err) {
			return fmt.Errorf("stop network %s: %w", name, err)
		}
	}
	if err := l.NetworkUndefine(n); err != nil && !isNoSuch(err) && !isNotPersistent(err) {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}
