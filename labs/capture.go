package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// Capture is a point-in-time image of one production disk: the frozen
// base that lab clones are built on.
type Capture struct {
	Domain string `json:"domain"`
	Disk   string `json:"disk"` // target, e.g. vda
	// BasePath is the frozen image; BaseFormat its format (qcow2, raw).
	BasePath   string `json:"base_path"`
	BaseFormat string `json:"base_format"`
	Capacity   uint64 `json:"capacity"`
	// OverlayPath is the new active layer production writes to after a
	// snapshot; empty when the base is not under a running production VM.
	OverlayPath string `json:"overlay_path"`
	Live        bool   `json:"live"`
	Quiesced    bool   `json:"quiesced"`
	// Memory is the running state, when the capture took it too (a live
	// memory+disk snapshot): clones resume from it instead of booting.
	Memory *MemoryImage `json:"memory,omitempty"`
}

// MemoryImage is a production VM's running memory saved by a capture, in
// Shakedown's pool, consistent with the frozen base of the same capture.
type MemoryImage struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
	Bytes  uint64 `json:"bytes"`
	// At is the moment the state was taken (when production resumed).
	At time.Time `json:"at"`
	// Pause is how long production's CPUs were stopped by the capture
	// (from libvirt's suspended and resumed events); PauseKnown says
	// whether both events arrived (otherwise Pause is the whole call's
	// duration, an upper bound).
	Pause      time.Duration `json:"pause_ns"`
	PauseKnown bool          `json:"pause_known"`
}

// CaptureRequest asks for one production VM's capture.
type CaptureRequest struct {
	Domain string
	// Memory names the volume that receives the VM's running memory (a
	// live memory+disk snapshot); empty: the disk only. Only for a running
	// VM that ResumeBlocker does not refuse.
	Memory string
}

// FirstDiskTarget is the target (vda) of a definition's primary disk.
func FirstDiskTarget(x *libvirtxml.Domain) string {
	if d, err := primaryDisk(x); err == nil {
		return d.Target.Dev
	}
	return "vda"
}

// primaryDisk finds the first file-backed disk of a definition.
func primaryDisk(d *libvirtxml.Domain) (*libvirtxml.DomainDisk, error) {
	if d.Devices != nil {
		for i := range d.Devices.Disks {
			disk := &d.Devices.Disks[i]
			if disk.Device != "cdrom" && disk.Device != "floppy" && disk.Target != nil &&
				disk.Source != nil && disk.Source.File != nil && disk.Source.File.File != "" {
				return disk, nil
			}
		}
	}
	return nil, fmt.Errorf("%s has no file-backed disk to capture", d.Name)
}

// CaptureDisk freezes the primary disk of a production domain without
// stopping it: an external disk-only snapshot (quiesced through the guest
// agent when it answers) moves production's writes to a new overlay in
// Shakedown's pool, and the file it wrote before becomes the frozen base.
// It works on a shut-off domain too (then nothing is live).
func (h *Host) CaptureDisk(ctx context.Context, domain, captureID string) (Capture, error) {
	return h.capture(ctx, CaptureRequest{Domain: domain}, captureID)
}

// capture freezes a production domain's primary disk and, when req asks,
// saves its running memory in the same atomic snapshot.
func (h *Host) capture(ctx context.Context, req CaptureRequest, captureID string) (Capture, error) {
	domain := req.Domain
	defer h.lockCapture(domain)()
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return Capture{}, err
	}
	live, err := l.DomainIsActive(dom)
	if err != nil {
		return Capture{}, err
	}
	doc, err := l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		return Capture{}, err
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return Capture{}, err
	}
	disk, err := primaryDisk(&x)
	if err != nil {
		return Capture{}, err
	}
	c := Capture{Domain: domain, Disk: disk.Target.Dev, BasePath: disk.Source.File.File, BaseFormat: "raw", Live: live == 1}
	if disk.Driver != nil && disk.Driver.Type != "" {
		c.BaseFormat = disk.Driver.Type
	}
	if _, capacity, _, err := l.DomainGetBlockInfo(dom, c.Disk, 0); err == nil {
		c.Capacity = capacity
	}
	c.OverlayPath = filepath.Join(h.cfg.PoolDir, fmt.Sprintf("%s.sd-%s.qcow2", domain, captureID))

	snap := &libvirtxml.DomainSnapshot{
		Name:        "sd-capture-" + captureID,
		Description: "Shakedown capture for a lab: the disk below this overlay is a frozen base.",
		Disks:       &libvirtxml.DomainSnapshotDisks{},
	}
	for _, d := range x.Devices.Disks {
		if d.Target == nil || d.Device == "cdrom" || d.Device == "floppy" {
			continue
		}
		sd := libvirtxml.DomainSnapshotDisk{Name: d.Target.Dev, Snapshot: "no"}
		if d.Target.Dev == c.Disk {
			sd.Snapshot = "external"
			sd.Driver = &libvirtxml.DomainDiskDriver{Type: "qcow2"}
			sd.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: c.OverlayPath}}
		}
		snap.Disks.Disks = append(snap.Disks.Disks, sd)
	}
	if req.Memory != "" {
		if !c.Live {
			return Capture{}, fmt.Errorf("%s is not running, so it has no memory to capture", domain)
		}
		return h.captureMemory(ctx, l, dom, c, snap, req.Memory)
	}
	sdoc, err := snap.Marshal()
	if err != nil {
		return Capture{}, err
	}
	flags := uint32(libvirt.DomainSnapshotCreateDiskOnly | libvirt.DomainSnapshotCreateAtomic | libvirt.DomainSnapshotCreateNoMetadata)
	if c.Live && agent(l, dom, agentCmd{Execute: "guest-ping"}, nil, 2*time.Second) == nil {
		// Freeze the guest's filesystems for a consistent image; fall back
		// to a crash-consistent one if the guest cannot freeze.
		if _, err := l.DomainSnapshotCreateXML(dom, sdoc, flags|uint32(libvirt.DomainSnapshotCreateQuiesce)); err == nil {
			c.Quiesced = true
			h.refreshPool(ctx)
			return c, nil
		}
		os.Remove(c.OverlayPath)
	}
	if _, err := l.DomainSnapshotCreateXML(dom, sdoc, flags); err != nil {
		return Capture{}, fmt.Errorf("snapshot %s: %w", domain, err)
	}
	h.refreshPool(ctx)
	return c, nil
}

// ActiveCapture is a capture overlay a production domain writes to now.
type ActiveCapture struct {
	Capture
	// ID is the capture's id (the lab's id).
	ID string
}

// Captures lists the capture overlays running domains write to now: an
// active disk layer in the pool named <domain>.sd-<id>.qcow2, with the
// base below it. Reconciliation finds in it the captures a stop kept the
// database from recording (libvirt finished the snapshot after the
// server died).
func (h *Host) Captures(ctx context.Context) ([]ActiveCapture, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	doms, _, err := l.ConnectListAllDomains(1, libvirt.ConnectListDomainsActive)
	if err != nil {
		return nil, err
	}
	var out []ActiveCapture
	for _, dom := range doms {
		doc, err := l.DomainGetXMLDesc(dom, 0)
		if err != nil {
			continue // gone meanwhile
		}
		var x libvirtxml.Domain
		if x.Unmarshal(doc) != nil || x.Devices == nil {
			continue
		}
		for _, d := range x.Devices.Disks {
			if d.Target == nil || d.Source == nil || d.Source.File == nil || d.BackingStore == nil ||
				d.BackingStore.Source == nil || d.BackingStore.Source.File == nil {
				continue
			}
			file := d.Source.File.File
			rest, ok := strings.CutPrefix(filepath.Base(file), dom.Name+".sd-")
			if !ok || filepath.Dir(file) != filepath.Clean(h.cfg.PoolDir) || !strings.HasSuffix(rest, ".qcow2") {
				continue
			}
			c := Capture{Domain: dom.Name, Disk: d.Target.Dev, BasePath: d.BackingStore.Source.File.File, OverlayPath: file, Live: true}
			out = append(out, ActiveCapture{Capture: c, ID: strings.TrimSuffix(rest, ".qcow2")})
		}
	}
	return out, nil
}

// StaleOverlay is a capture overlay in the pool that no domain uses.
type StaleOverlay struct {
	Volume string
	// ID is the capture's id (the lab's id).
	ID string
}

// StaleOverlays lists the capture overlays in the pool (<domain>.sd-<id>.qcow2)
// that no domain's disk chain uses: made ahead of a capture that never
// happened (the server stopped between the two). One that a domain uses,
// active or below another layer, is production's data and never listed.
func (h *Host) StaleOverlays(ctx context.Context) ([]StaleOverlay, error) {
	vols, err := h.Volumes(ctx)
	if err != nil {
		return nil, err
	}
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, dom := range doms {
		for _, flags := range []libvirt.DomainXMLFlags{0, libvirt.DomainXMLInactive} {
			doc, err := l.DomainGetXMLDesc(dom, flags)
			if err != nil {
				return nil, fmt.Errorf("read the disks of %s: %w", dom.Name, err) // never guess: list nothing
			}
			var x libvirtxml.Domain
			if err := x.Unmarshal(doc); err != nil {
				return nil, err
			}
			if x.Devices == nil {
				continue
			}
			for _, d := range x.Devices.Disks {
				if d.Source != nil && d.Source.File != nil {
					used[d.Source.File.File] = true
				}
				for b := d.BackingStore; b != nil; b = b.BackingStore {
					if b.Source != nil && b.Source.File != nil {
						used[b.Source.File.File] = true
					}
				}
			}
		}
	}
	var out []StaleOverlay
	for _, v := range vols {
		i := strings.LastIndex(v.Name, ".sd-")
		if i <= 0 || !strings.HasSuffix(v.Name, ".qcow2") || used[v.Path] {
			continue
		}
		out = append(out, StaleOverlay{Volume: v.Name, ID: strings.TrimSuffix(v.Name[i+len(".sd-"):], ".qcow2")})
	}
	return out, nil
}

// CommitBack merges production's overlay back into the base once no lab
// uses that base any more, so production's backing chain does not grow:
// an active block commit, then a pivot onto the base. It only acts when
// the overlay is still production's active layer directly over the base.
// It reports whether it merged.
func (h *Host) CommitBack(ctx context.Context, c Capture) (bool, error) {
	if c.OverlayPath == "" {
		return false, nil
	}
	l, dom, err := h.domain(ctx, c.Domain)
	if err != nil {
		var nsd *NoSuchDomainError
		if errors.As(err, &nsd) {
			return false, nil // production VM gone: nothing to merge into
		}
		return false, err
	}
	if active, _ := l.DomainIsActive(dom); active != 1 {
		return false, nil // block commit needs a running domain; the chain stays
	}
	doc, err := l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		return false, err
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return false, err
	}
	var disk *libvirtxml.DomainDisk
	for i := range x.Devices.Disks {
		d := &x.Devices.Disks[i]
		if d.Target != nil && d.Target.Dev == c.Disk {
			disk = d
		}
	}
	if disk == nil || disk.Source == nil || disk.Source.File == nil || disk.Source.File.File != c.OverlayPath ||
		disk.BackingStore == nil || disk.BackingStore.Source == nil || disk.BackingStore.Source.File == nil ||
		disk.BackingStore.Source.File.File != c.BasePath {
		return false, nil // someone else changed the chain since; leave it alone
	}
	events, stop, err := h.subscribe(ctx, libvirt.DomainEventIDBlockJob2)
	if err != nil {
		return false, err
	}
	defer stop()
	if err := l.DomainBlockCommit(dom, c.Disk, libvirt.OptString{c.BasePath}, libvirt.OptString{c.OverlayPath}, 0,
		libvirt.DomainBlockCommitActive); err != nil {
		return false, fmt.Errorf("block commit %s of %s: %w", c.Disk, c.Domain, err)
	}
	if err := waitBlockJobReady(ctx, l, dom, c.Disk, events); err != nil {
		l.DomainBlockJobAbort(dom, c.Disk, 0)
		return false, err
	}
	if err := l.DomainBlockJobAbort(dom, c.Disk, libvirt.DomainBlockJobAbortPivot); err != nil {
		return false, fmt.Errorf("pivot %s of %s onto its base: %w", c.Disk, c.Domain, err)
	}
	if err := os.Remove(c.OverlayPath); err != nil && !os.IsNotExist(err) {
		return true, fmt.Errorf("merged, but the old overlay %s stays: %w", c.OverlayPath, err)
	}
	h.refreshPool(ctx)
	return true, nil
}

// waitBlockJobReady waits for an active commit to reach its ready phase
// (every block copied, mirroring writes), from block job events, with a
// poll of the job's progress as a backstop.
func waitBlockJobReady(ctx context.Context, l *libvirt.Libvirt, dom libvirt.Domain, disk string, events <-chan any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		found, _, _, cur, end, err := l.DomainGetBlockJobInfo(dom, disk, 0)
		if err != nil {
			return err
		}
		if found == 0 {
			return fmt.Errorf("the block commit of %s ended before it was ready", disk)
		}
		if end > 0 && cur == end {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("block commit of %s: %w", disk, ctx.Err())
		case ev := <-events:
			if m, ok := ev.(*libvirt.DomainEventBlockJob2Msg); ok && m.Dom.Name == dom.Name && m.Status == int32(libvirt.DomainBlockJobFailed) {
				return fmt.Errorf("the block commit of %s failed", disk)
			}
		case <-tick.C:
		}
	}
}

// Capture captures several domains at once (snapshots of different
// domains do not wait on each other), so that a lab sees production at
// one moment. If any capture fails, the ones that succeeded are undone
// (overlays merged back, memory images removed) and the error is returned.
func (h *Host) Capture(ctx context.Context, reqs []CaptureRequest, captureID string) ([]Capture, error) {
	caps := make([]Capture, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			caps[i], errs[i] = h.capture(ctx, r, captureID)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("capture %s: %w", r.Domain, errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		undo := context.WithoutCancel(ctx)
		for i, c := range caps {
			if errs[i] == nil {
				h.CommitBack(undo, c)
				if c.Memory != nil {
					h.DeleteVolume(undo, c.Memory.Volume)
				}
			}
		}
		return nil, err
	}
	return caps, nil
}

// CaptureDisks captures the disks of several domains at once (Capture
// without memory).
func (h *Host) CaptureDisks(ctx context.Context, domains []string, captureID string) ([]Capture, error) {
	reqs := make([]CaptureRequest, len(domains))
	for i, d := range domains {
		reqs[i] = CaptureRequest{Domain: d}
	}
	return h.Capture(ctx, reqs, captureID)
}
