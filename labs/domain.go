package labs

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// MetadataNS is the XML namespace of Shakedown's domain metadata.
const MetadataNS = "https://shakedown.dev/xmlns/lab/1"

// Roles of the domains Shakedown makes, in their metadata.
const (
	RoleClone      = "clone"      // a lab VM
	RoleProduction = "production" // a demo production VM
)

// Meta is what Shakedown writes into the metadata of the domains it makes.
type Meta struct {
	XMLName xml.Name `xml:"lab" json:"-"`
	// LabID is the lab the domain belongs to; empty for demo production.
	LabID string `xml:"id,attr,omitempty" json:"lab_id"`
	// CI is the configuration item the domain reproduces (or is).
	CI string `xml:"ci,attr,omitempty" json:"ci"`
	// Role is "clone" for lab VMs, "production" for the demo production.
	Role string `xml:"role,attr,omitempty" json:"role"`
}

func (m Meta) element() string {
	return fmt.Sprintf(`<shakedown:lab xmlns:shakedown=%q id=%q ci=%q role=%q/>`, MetadataNS,
		xmlEscape(m.LabID), xmlEscape(m.CI), xmlEscape(m.Role))
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// parseMeta reads Shakedown's metadata out of a domain's <metadata> content.
func parseMeta(inner string) (Meta, bool) {
	dec := xml.NewDecoder(strings.NewReader(inner))
	for {
		tok, err := dec.Token()
		if err != nil {
			return Meta{}, false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == MetadataNS && se.Name.Local == "lab" {
			var m Meta
			if err := dec.DecodeElement(&m, &se); err != nil {
				return Meta{}, false
			}
			return m, true
		}
	}
}

// NoSuchDomainError says a domain does not exist on a host.
type NoSuchDomainError struct{ Host, Domain string }

func (e *NoSuchDomainError) Error() string {
	return fmt.Sprintf("there is no VM named %q on libvirt host %s", e.Domain, e.Host)
}

// NotFound makes a missing domain a 404 for API callers.
func (e *NoSuchDomainError) NotFound() bool { return true }

func (h *Host) domain(ctx context.Context, name string) (*libvirt.Libvirt, libvirt.Domain, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, libvirt.Domain{}, err
	}
	dom, err := l.DomainLookupByName(name)
	if isNoSuch(err) {
		return nil, dom, &NoSuchDomainError{Host: h.cfg.Name, Domain: name}
	}
	return l, dom, err
}

// DomainInfo is what reconciliation and the UI need to know of a domain.
type DomainInfo struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
	Meta   Meta   `json:"meta"`
	// Ours is set when the domain carries Shakedown metadata.
	Ours bool `json:"ours"`
}

// Domains lists every domain on the host with its Shakedown metadata.
func (h *Host) Domains(ctx context.Context) ([]DomainInfo, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil {
		return nil, err
	}
	out := make([]DomainInfo, 0, len(doms))
	for _, d := range doms {
		info := DomainInfo{Name: d.Name}
		if active, err := l.DomainIsActive(d); err == nil {
			info.Active = active == 1
		}
		if doc, err := l.DomainGetXMLDesc(d, 0); err == nil {
			var x libvirtxml.Domain
			if x.Unmarshal(doc) == nil && x.Metadata != nil {
				info.Meta, info.Ours = parseMeta(x.Metadata.XML)
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// DomainXML returns a domain's persistent definition.
func (h *Host) DomainXML(ctx context.Context, name string) (*libvirtxml.Domain, error) {
	l, dom, err := h.domain(ctx, name)
	if err != nil {
		return nil, err
	}
	doc, err := l.DomainGetXMLDesc(dom, libvirt.DomainXMLInactive)
	if err != nil {
		return nil, err
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse the definition of %s: %w", name, err)
	}
	return &x, nil
}

// CloneSpec says how a production domain becomes a lab VM.
type CloneSpec struct {
	Name    string
	Meta    Meta
	Network string
	// Disks maps a disk target (vda) to the path of its linked clone.
	Disks map[string]string
	// ConsoleLog, if set, receives the serial console.
	ConsoleLog string
}

// CloneDefinition turns a production domain's definition into a lab VM's:
// the same machine, MAC addresses and firmware, its disks swapped for
// linked clones, every NIC moved onto the lab's isolated network, and
// anything that touches real hardware or production files removed.
func CloneDefinition(prod *libvirtxml.Domain, spec CloneSpec) (*libvirtxml.Domain, error) {
	raw, err := prod.Marshal()
	if err != nil {
		return nil, err
	}
	var d libvirtxml.Domain // a deep copy
	if err := d.Unmarshal(raw); err != nil {
		return nil, err
	}
	d.Name, d.UUID, d.ID, d.GenID = spec.Name, "", nil, nil
	d.Metadata = &libvirtxml.DomainMetadata{XML: spec.Meta.element()}
	d.Title, d.Description = "", "Shakedown lab VM (clone of "+prod.Name+")"
	d.SecLabel = nil
	if d.Devices == nil {
		return nil, fmt.Errorf("%s has no devices", prod.Name)
	}
	dev := d.Devices
	var disks []libvirtxml.DomainDisk
	cloned := 0
	for _, disk := range dev.Disks {
		if disk.Target == nil {
			continue
		}
		path, ok := spec.Disks[disk.Target.Dev]
		switch {
		case ok:
			disk.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: path}}
			disk.Driver = &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"}
			disk.BackingStore = nil
			disks = append(disks, disk)
			cloned++
		case disk.Device == "cdrom" || disk.Device == "floppy":
			disk.Source = nil // never hand production media to a lab
			disks = append(disks, disk)
		}
		// Other disks are dropped: a lab must not share production's files.
	}
	if cloned != len(spec.Disks) {
		return nil, fmt.Errorf("%s: %d of %d disks to clone were found in its definition", prod.Name, cloned, len(spec.Disks))
	}
	dev.Disks = disks
	for i := range dev.Interfaces {
		nic := &dev.Interfaces[i]
		nic.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: spec.Network}}
		nic.Target, nic.Alias, nic.Address, nic.Boot, nic.FilterRef = nil, nil, nil, nil, nil
	}
	dev.Hostdevs, dev.RedirDevs, dev.Graphics, dev.Filesystems = nil, nil, nil, nil
	for i := range dev.Channels {
		if s := dev.Channels[i].Source; s != nil && s.UNIX != nil {
			s.UNIX.Path = "" // libvirt picks a fresh socket path
		}
	}
	dev.Consoles = nil
	dev.Serials = []libvirtxml.DomainSerial{SerialConsole(spec.ConsoleLog)}
	return &d, nil
}

// SerialConsole is the serial port of the VMs Shakedown makes: a pty, so
// that the console can be opened live (virDomainOpenConsole), also written
// to logFile (if set) so that what the guest printed outlives the session.
func SerialConsole(logFile string) libvirtxml.DomainSerial {
	port := uint(0)
	s := libvirtxml.DomainSerial{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Target: &libvirtxml.DomainSerialTarget{Port: &port},
	}
	if logFile != "" {
		s.Log = &libvirtxml.DomainChardevLog{File: logFile, Append: "on"}
	}
	return s
}

// Define makes a domain persistent without starting it.
func (h *Host) Define(ctx context.Context, d *libvirtxml.Domain) error {
	l, err := h.Conn(ctx)
	if err != nil {
		return err
	}
	doc, err := d.Marshal()
	if err != nil {
		return err
	}
	if _, err := l.DomainDefineXML(doc); err != nil {
		return fmt.Errorf("define %s: %w", d.Name, err)
	}
	return nil
}

// Start boots a defined domain.
func (h *Host) Start(ctx context.Context, name string) error {
	l, dom, err := h.domain(ctx, name)
	if err != nil {
		return err
	}
	if err := l.DomainCreate(dom); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// DefineAndStart defines a persistent domain and boots it.
func (h *Host) DefineAndStart(ctx context.Context, d *libvirtxml.Domain) error {
	if err := h.Define(ctx, d); err != nil {
		return err
	}
	return h.Start(ctx, d.Name)
}

// RemoveDomain stops (hard) and undefines a domain with its snapshot
// metadata. It reports whether there was one to remove; a missing one is
// not an error.
func (h *Host) RemoveDomain(ctx context.Context, name string) (bool, error) {
	l, dom, err := h.domain(ctx, name)
	if _, missing := err.(*NoSuchDomainError); missing {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if active, _ := l.DomainIsActive(dom); active == 1 {
		if err := l.DomainDestroy(dom); err != nil && !isNoSuch(err) {
			return false, fmt.Errorf("stop %s: %w", name, err)
		}
	}
	os.Remove(h.ConsoleLog(name))
	flags := libvirt.DomainUndefineManagedSave | libvirt.DomainUndefineSnapshotsMetadata | libvirt.DomainUndefineNvram | libvirt.DomainUndefineCheckpointsMetadata
	if err := l.DomainUndefineFlags(dom, flags); err != nil {
		if isNoSuch(err) {
			return false, nil
		}
		return false, fmt.Errorf("remove %s: %w", name, err)
	}
	return true, nil
}

// IsActive reports whether the domain runs.
func (h *Host) IsActive(ctx context.Context, name string) (bool, error) {
	l, dom, err := h.domain(ctx, name)
	if err != nil {
		return false, err
	}
	a, err := l.DomainIsActive(dom)
	return a == 1, err
}
