package labs

// Labs from memory: a capture that also saves a running production VM's
// memory (a live external memory+disk snapshot), and clones restored from
// that memory image instead of booted, so that a lab is production as it
// runs at the moment of the capture.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// ResumeBlocker says why a production VM's clone cannot resume from its
// memory ("" when it can): its definition has devices whose state cannot
// be saved or that a clone must not share.
func ResumeBlocker(x *libvirtxml.Domain) string {
	if x.Devices == nil {
		return "it has no devices"
	}
	d := x.Devices
	switch {
	case len(d.Hostdevs) > 0:
		return "it passes host devices through, whose state cannot be saved"
	case len(d.Filesystems) > 0:
		return "it shares host directories (filesystem passthrough), whose state cannot be saved"
	case len(d.RedirDevs) > 0:
		return "it has redirected USB devices, whose state cannot be saved"
	}
	disks := 0
	for _, disk := range d.Disks {
		if disk.Device != "cdrom" && disk.Device != "floppy" {
			disks++
		}
	}
	if disks != 1 {
		return fmt.Sprintf("it has %d disks and a lab captures only the first; a resumed clone must keep every disk its memory knows", disks)
	}
	if _, err := primaryDisk(x); err != nil {
		return "its disk is not a file"
	}
	return ""
}

// NoSpaceError says a host ran out of disk while saving a VM's memory.
type NoSpaceError struct {
	Host, Domain, Dir string
	Err               error
}

func (e *NoSpaceError) Error() string {
	return fmt.Sprintf("saving the memory of %s filled the disk of %s on host %s (%v); production kept running and nothing was left behind: free space there, or build the lab with \"boot fresh\"",
		e.Domain, e.Dir, e.Host, e.Err)
}
func (e *NoSpaceError) Unwrap() error { return e.Err }

// Conflict makes it a 409 for API callers: the request is fine, the host is full.
func (e *NoSpaceError) Conflict() bool { return true }

// captureMemory takes the live memory+disk snapshot: QEMU writes the
// memory while the guest runs, pauses it for the last pages and the disk
// switch, and resumes it. Atomic: on failure libvirt leaves production
// as it was; the memory file is removed here.
func (h *Host) captureMemory(ctx context.Context, l *libvirt.Libvirt, dom libvirt.Domain, c Capture,
	snap *libvirtxml.DomainSnapshot, volume string) (Capture, error) {
	path := filepath.Join(h.cfg.PoolDir, volume)
	snap.Memory = &libvirtxml.DomainSnapshotMemory{Snapshot: "external", File: path}
	sdoc, err := snap.Marshal()
	if err != nil {
		return Capture{}, err
	}
	// The overlay production switches to is made beforehand, so that
	// libvirt need not create and format it while the CPUs are stopped.
	overlay, err := h.LinkedClone(ctx, filepath.Base(c.OverlayPath), c.BasePath, c.BaseFormat, c.Capacity)
	if err != nil {
		return Capture{}, fmt.Errorf("prepare the overlay of %s: %w", c.Domain, err)
	}
	pause, err := h.watchPause(ctx, c.Domain)
	if err != nil {
		h.DeleteVolume(context.WithoutCancel(ctx), overlay.Name)
		return Capture{}, err
	}
	start := time.Now()
	_, err = l.DomainSnapshotCreateXML(dom, sdoc,
		uint32(libvirt.DomainSnapshotCreateLive|libvirt.DomainSnapshotCreateAtomic|libvirt.DomainSnapshotCreateNoMetadata|libvirt.DomainSnapshotCreateReuseExt))
	took := time.Since(start)
	paused, known := pause(err == nil)
	if err != nil {
		undo := context.WithoutCancel(ctx)
		h.refreshPool(undo)
		h.DeleteVolume(undo, volume)
		h.DeleteVolume(undo, overlay.Name)
		if isNoSpace(err) {
			return Capture{}, &NoSpaceError{Host: h.cfg.Name, Domain: c.Domain, Dir: h.cfg.PoolDir, Err: err}
		}
		return Capture{}, fmt.Errorf("memory+disk snapshot of %s: %w", c.Domain, err)
	}
	if !known {
		paused = took
		if d, ok := qemuDowntime(l, dom); ok {
			paused = d
		}
	}
	h.refreshPool(ctx)
	m := &MemoryImage{Volume: volume, Path: path, At: time.Now().UTC(), Pause: paused, PauseKnown: known}
	if v, err := h.volume(ctx, volume); err == nil {
		m.Bytes = v.Allocation
	}
	c.Memory = m
	return c, nil
}

func isNoSpace(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "no space left") || strings.Contains(s, syscall.ENOSPC.Error())
}

// watchPause listens for the domain's suspended and resumed events while
// the snapshot runs (libvirt pauses the CPUs for the last memory pages and
// the disk switch). The returned func, told whether the snapshot succeeded
// (so a resume is due), waits briefly for the last resume and says how
// long the CPUs were stopped in all, and whether every pause was seen to
// end. The times are those the events arrived here: both ends travel the
// same way.
func (h *Host) watchPause(ctx context.Context, domain string) (func(ok bool) (time.Duration, bool), error) {
	events, stop, err := h.subscribe(ctx, libvirt.DomainEventIDLifecycle)
	if err != nil {
		return nil, err
	}
	type result struct {
		total        time.Duration
		pauses, ends int
	}
	done := make(chan bool, 1) // whether to wait for a resume
	out := make(chan result, 1)
	go func() {
		defer stop()
		var r result
		var since time.Time
		var deadline <-chan time.Time
		for {
			select {
			case ev := <-events:
				m, ok := ev.(*libvirt.DomainEventCallbackLifecycleMsg)
				if !ok || m.Msg.Dom.Name != domain {
					continue
				}
				switch libvirt.DomainEventType(m.Msg.Event) {
				case libvirt.DomainEventSuspended:
					if since.IsZero() {
						since, r.pauses = time.Now(), r.pauses+1
					}
				case libvirt.DomainEventResumed:
					if !since.IsZero() {
						r.total += time.Since(since)
						since, r.ends = time.Time{}, r.ends+1
					}
				}
				if deadline != nil && since.IsZero() && r.pauses > 0 {
					out <- r
					return
				}
			case wait := <-done:
				if !wait || (r.pauses > 0 && since.IsZero()) {
					out <- r
					return
				}
				deadline = time.After(2 * time.Second)
			case <-deadline:
				out <- r
				return
			case <-ctx.Done():
				out <- r
				return
			}
		}
	}()
	return func(ok bool) (time.Duration, bool) {
		done <- ok
		r := <-out
		return r.total, r.pauses > 0 && r.pauses == r.ends
	}, nil
}

// qemuDowntime is QEMU's own measure of the last memory save's downtime
// (the completed job's statistics), when libvirt kept it.
func qemuDowntime(l *libvirt.Libvirt, dom libvirt.Domain) (time.Duration, bool) {
	_, params, err := l.DomainGetJobStats(dom, libvirt.DomainJobStatsCompleted)
	if err != nil {
		return 0, false
	}
	for _, p := range params {
		if p.Field == "downtime" {
			if ms, ok := p.Value.I.(uint64); ok {
				return time.Duration(ms) * time.Millisecond, true
			}
		}
	}
	return 0, false
}

// volume looks a volume of Shakedown's pool up by name.
func (h *Host) volume(ctx context.Context, name string) (Volume, error) {
	l, pool, err := h.Pool(ctx)
	if err != nil {
		return Volume{}, err
	}
	vol, err := l.StorageVolLookupByName(pool, name)
	if err != nil {
		return Volume{}, err
	}
	return volumeInfo(l, vol)
}

// SavedDefinition is the domain definition saved in a memory image (the
// production VM's, as it ran at the capture).
func (h *Host) SavedDefinition(ctx context.Context, m MemoryImage) (*libvirtxml.Domain, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := l.DomainSaveImageGetXMLDesc(m.Path, uint32(libvirt.DomainSaveImageXMLSecure))
	if err != nil {
		return nil, fmt.Errorf("read the definition in the memory image %s: %w", m.Path, err)
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse the definition in the memory image %s: %w", m.Path, err)
	}
	return &x, nil
}

// ResumeDefinition turns the definition saved in a production VM's memory
// image into its lab clone's: unlike CloneDefinition it keeps every
// guest-visible device as it was (addresses, models, MACs), because the
// memory being restored knows them; only what lies behind them changes —
// the name and uuid, the disk (the clone's overlay), the NICs' network,
// the serial console's log, the agent socket — and graphics go.
func ResumeDefinition(saved *libvirtxml.Domain, spec CloneSpec) (*libvirtxml.Domain, error) {
	if reason := ResumeBlocker(saved); reason != "" {
		return nil, fmt.Errorf("%s cannot be resumed: %s", saved.Name, reason)
	}
	raw, err := saved.Marshal()
	if err != nil {
		return nil, err
	}
	var d libvirtxml.Domain // a deep copy
	if err := d.Unmarshal(raw); err != nil {
		return nil, err
	}
	d.Name, d.UUID, d.ID = spec.Name, newUUID(), nil
	if d.GenID != nil {
		d.GenID = &libvirtxml.DomainGenID{} // a new generation id: the guest may learn it is a clone
	}
	d.Metadata = &libvirtxml.DomainMetadata{XML: spec.Meta.element()}
	d.Title, d.Description = "", "Shakedown lab VM (resumed from "+saved.Name+")"
	d.SecLabel = nil
	dev := d.Devices
	cloned := 0
	for i := range dev.Disks {
		disk := &dev.Disks[i]
		if disk.Target == nil {
			continue
		}
		if path, ok := spec.Disks[disk.Target.Dev]; ok {
			disk.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: path}}
			if disk.Driver == nil {
				disk.Driver = &libvirtxml.DomainDiskDriver{Name: "qemu"}
			}
			disk.Driver.Type = "qcow2"
			disk.BackingStore = nil
			cloned++
		} else if disk.Device == "cdrom" || disk.Device == "floppy" {
			disk.Source, disk.BackingStore = nil, nil // never hand production media to a lab
		}
	}
	if cloned != len(spec.Disks) {
		return nil, fmt.Errorf("%s: %d of %d disks to clone were found in its saved definition", saved.Name, cloned, len(spec.Disks))
	}
	for i := range dev.Interfaces {
		nic := &dev.Interfaces[i]
		nic.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: spec.Network}}
		nic.Target, nic.FilterRef, nic.Boot = nil, nil, nil // keep model, MAC and address: the guest's driver knows them
	}
	dev.Graphics = nil
	for i := range dev.Channels {
		if s := dev.Channels[i].Source; s != nil && s.UNIX != nil {
			s.UNIX.Path = "" // libvirt picks a fresh socket path
		}
	}
	dev.Consoles = nil
	serial := SerialConsole(spec.ConsoleLog)
	if len(dev.Serials) > 0 {
		serial.Target, serial.Alias, serial.Address = dev.Serials[0].Target, dev.Serials[0].Alias, dev.Serials[0].Address
		dev.Serials = append([]libvirtxml.DomainSerial{serial}, dev.Serials[1:]...)
		for i := 1; i < len(dev.Serials); i++ {
			dev.Serials[i].Source = &libvirtxml.DomainChardevSource{Null: &libvirtxml.DomainChardevSourceNull{}}
			dev.Serials[i].Log = nil
		}
	}
	return &d, nil
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Resume restores a defined clone from its capture's memory image: the
// clone's definition d (as defined) is written into the image's header in
// place of production's, and the image is restored running. The image
// serves this one clone, so it is rewritten rather than copied.
func (h *Host) Resume(ctx context.Context, m MemoryImage, d *libvirtxml.Domain) error {
	l, err := h.Conn(ctx)
	if err != nil {
		return err
	}
	if err := h.rewriteMemoryImage(ctx, m, d); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	if err := l.DomainRestoreFlags(m.Path, libvirt.OptString{}, uint32(libvirt.DomainSaveRunning)); err != nil {
		if isNoSuch(err) {
			return &NoSuchDomainError{Host: h.cfg.Name, Domain: d.Name}
		}
		return fmt.Errorf("resume %s from the memory image %s: %w", d.Name, m.Volume, err)
	}
	return nil
}

// rewriteMemoryImage writes d into the image's header. It works on the
// pool's file directly: go-libvirt's volume download stream hangs the
// connection after it ends (an extra packet deadlocks its router), so a
// host whose pool this server cannot open does not resume (CanResume).
func (h *Host) rewriteMemoryImage(ctx context.Context, m MemoryImage, d *libvirtxml.Domain) error {
	if reason := h.CanResume(); reason != "" {
		return errors.New(reason)
	}
	doc, err := d.Marshal()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(m.Path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("the memory image %s: %w", m.Volume, err)
	}
	defer f.Close()
	head := make([]byte, saveHeaderSize)
	if _, err := f.ReadAt(head, 0); err != nil {
		return &SaveImageError{m.Path, "its header cannot be read: " + err.Error()}
	}
	hdr, err := parseSaveHeader(head, m.Path)
	if err != nil {
		return err
	}
	region := make([]byte, saveHeaderSize+int(hdr.DataLen))
	if _, err := f.ReadAt(region, 0); err != nil {
		return &SaveImageError{m.Path, "its header cannot be read: " + err.Error()}
	}
	out, err := rewriteSaveImage(region, doc, m.Path)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(out, 0); err != nil {
		return fmt.Errorf("write the clone's definition into the memory image %s: %w", m.Volume, err)
	}
	return f.Sync()
}

// CanResume says why clones on this host cannot resume from memory ("" when
// they can): the memory image's header is rewritten in the pool's file, so
// the pool must be on this server's machine.
func (h *Host) CanResume() string {
	if !h.isLocal() {
		return "resuming from memory needs the host's pool on this server's machine; clones on a remote host boot"
	}
	return ""
}

// SyncClock sets the guest's clock to the host's through the guest agent
// (a resumed guest's clock stands at the capture) and says how far off it
// was before.
func (h *Host) SyncClock(ctx context.Context, domain string) (time.Duration, error) {
	l, dom, err := h.domain(ctx, domain)
	if err != nil {
		return 0, err
	}
	var skew time.Duration
	if sec, nsec, err := l.DomainGetTime(dom, 0); err == nil {
		skew = time.Since(time.Unix(sec, int64(nsec)))
	}
	now := time.Now()
	if err := l.DomainSetTime(dom, now.Unix(), uint32(now.Nanosecond()), 0); err != nil {
		return skew, fmt.Errorf("set the clock of %s through its guest agent: %w", domain, err)
	}
	return skew, nil
}
