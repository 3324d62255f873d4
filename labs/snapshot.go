package labs

import (
	"context"
	"fmt"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// Snapshot takes an internal snapshot of a domain (disk and, when it runs,
// memory): what a libvirt target reverts to when a rollout fails.
func (h *Host) Snapshot(ctx context.Context, domain, name, description string) error {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return err
	}
	doc, err := (&libvirtxml.DomainSnapshot{Name: name, Description: description}).Marshal()
	if err != nil {
		return err
	}
	if _, err := l.DomainSnapshotCreateXML(dom, doc, 0); err != nil {
		return fmt.Errorf("snapshot %s of %s: %w", name, domain, err)
	}
	return nil
}

// Revert returns a domain to a snapshot, running if it ran then.
func (h *Host) Revert(ctx context.Context, domain, name string) error {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return err
	}
	snap, err := l.DomainSnapshotLookupByName(dom, name, 0)
	if err != nil {
		return fmt.Errorf("snapshot %s of %s: %w", name, domain, err)
	}
	if err := l.DomainRevertToSnapshot(snap, uint32(libvirt.DomainSnapshotRevertForce)); err != nil {
		return fmt.Errorf("revert %s to %s: %w", domain, name, err)
	}
	return nil
}

// DeleteSnapshot removes a snapshot; a missing one is not an error.
func (h *Host) DeleteSnapshot(ctx context.Context, domain, name string) error {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return err
	}
	snap, err := l.DomainSnapshotLookupByName(dom, name, 0)
	if isNoSuch(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return l.DomainSnapshotDelete(snap, 0)
}
