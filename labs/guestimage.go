package labs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"
)

// GuestImage is the tiny real guest scripts/build-guest.sh builds: a Debian
// kernel, a busybox initramfs and an ext4 disk with qemu-guest-agent.
type GuestImage struct {
	Kernel     string `json:"vmlinux"`
	Initrd     string `json:"initrd"`
	BaseDisk   string `json:"base_disk"`
	BaseFormat string `json:"base_disk_format"`
	Cmdline    string `json:"cmdline"`
	Channel    string `json:"agent_channel"`
}

// LoadGuestImage reads the guest.json build-guest.sh writes.
func LoadGuestImage(dir string) (GuestImage, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "guest.json"))
	if err != nil {
		return GuestImage{}, fmt.Errorf("the test guest is not built (%w): run scripts/build-guest.sh", err)
	}
	var g GuestImage
	if err := json.Unmarshal(raw, &g); err != nil {
		return g, fmt.Errorf("guest.json: %w", err)
	}
	return g, nil
}

// GuestVM is one running test guest with its own identity: what the demo
// production and the real-VM tests are made of.
type GuestVM struct {
	Name    string
	IP      string // with prefix, e.g. 10.77.0.11/24
	MAC     string
	Version string // what its web server serves at /version
}

// golden copies the guest's base disk into the pool once (by content), so
// that production disks do not depend on the build folder.
func (h *Host) golden(ctx context.Context, g GuestImage) (string, error) {
	f, err := os.Open(g.BaseDisk)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	path := filepath.Join(h.cfg.PoolDir, "sd-golden-"+hex.EncodeToString(sum.Sum(nil))[:12]+".qcow2")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if _, err := f.Seek(0, 0); err != nil {
		return "", err
	}
	tmp := path + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, f); err != nil {
		out.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	if l, pool, err := h.Pool(ctx); err == nil {
		l.StoragePoolRefresh(pool, 0)
	}
	return path, nil
}

// GuestDefinition is the domain definition of a VM running the test guest.
func GuestDefinition(g GuestImage, name, disk, network, mac, consoleLog string, meta Meta) *libvirtxml.Domain {
	d := &libvirtxml.Domain{
		Type:     "qemu",
		Name:     name,
		Metadata: &libvirtxml.DomainMetadata{XML: meta.element()},
		Memory:   &libvirtxml.DomainMemory{Value: 256, Unit: "MiB"},
		VCPU:     &libvirtxml.DomainVCPU{Value: 1},
		OS: &libvirtxml.DomainOS{
			Type:    &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"},
			Kernel:  g.Kernel,
			Initrd:  g.Initrd,
			Cmdline: g.Cmdline,
		},
		Features:   &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}},
		OnPoweroff: "destroy",
		OnReboot:   "restart",
		OnCrash:    "destroy",
		Devices: &libvirtxml.DomainDeviceList{
			Disks: []libvirtxml.DomainDisk{{
				Device: "disk",
				Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
				Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: disk}},
				Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"},
			}},
			Interfaces: []libvirtxml.DomainInterface{{
				MAC:    &libvirtxml.DomainInterfaceMAC{Address: mac},
				Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: network}},
				Model:  &libvirtxml.DomainInterfaceModel{Type: "virtio"},
			}},
			Channels: []libvirtxml.DomainChannel{{
				Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind"}},
				Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: g.Channel}},
			}},
			Serials:    []libvirtxml.DomainSerial{SerialConsole(consoleLog)},
			MemBalloon: &libvirtxml.DomainMemBalloon{Model: "none"},
			// No USB controller: nothing uses it and it costs boot time.
			Controllers: []libvirtxml.DomainController{{Type: "usb", Model: "none"}},
		},
	}
	return d
}

// EnsureGuests creates (or starts) running test guests on a persistent
// isolated network, each with its own hostname, address and served version
// written to its disk, marked with role in their metadata. It returns the
// names of the VMs it created.
func (h *Host) EnsureGuests(ctx context.Context, g GuestImage, vms []GuestVM, network, role string) ([]string, error) {
	l, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := l.NetworkLookupByName(network); isNoSuch(err) {
		x := &libvirtxml.Network{Name: network, Bridge: &libvirtxml.NetworkBridge{Name: "sdprod" + shortHash(network), STP: "off"}}
		doc, _ := x.Marshal()
		n, err := l.NetworkDefineXML(doc)
		if err != nil {
			return nil, fmt.Errorf("define network %s: %w", network, err)
		}
		l.NetworkSetAutostart(n, 1)
	}
	if n, err := l.NetworkLookupByName(network); err == nil {
		if active, _ := l.NetworkIsActive(n); active == 0 {
			if err := l.NetworkCreate(n); err != nil {
				return nil, fmt.Errorf("start network %s: %w", network, err)
			}
		}
	}
	gold, err := h.golden(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("golden image: %w", err)
	}
	h.pruneGoldens(ctx, gold)
	var created []string
	for _, vm := range vms {
		if active, err := h.IsActive(ctx, vm.Name); err == nil {
			if !active {
				_, dom, _ := h.domain(ctx, vm.Name)
				if err := l.DomainCreate(dom); err != nil {
					return created, fmt.Errorf("start %s: %w", vm.Name, err)
				}
			}
			continue
		}
		vol, err := h.LinkedClone(ctx, vm.Name+".qcow2", gold, "qcow2", 1<<30)
		if err != nil {
			return created, err
		}
		d := GuestDefinition(g, vm.Name, vol.Path, network, vm.MAC, h.ConsoleLog(vm.Name),
			Meta{CI: vm.Name, Role: role})
		// The first boot takes its identity from the kernel command line;
		// it is then written to the disk so that it persists (and clones keep it).
		d.OS.Cmdline = fmt.Sprintf("%s sd.hostname=%s sd.ip=%s", g.Cmdline, vm.Name, vm.IP)
		if err := h.DefineAndStart(ctx, d); err != nil {
			h.RemoveDomain(ctx, vm.Name)
			h.DeleteVolume(ctx, vol.Name)
			return created, err
		}
		created = append(created, vm.Name)
	}
	for _, name := range created {
		var vm GuestVM
		for _, v := range vms {
			if v.Name == name {
				vm = v
			}
		}
		if err := h.WaitAgent(ctx, name, 3*time.Minute); err != nil {
			return created, err
		}
		script := fmt.Sprintf(`set -e
echo %s > /etc/hostname
mkdir -p /etc/shakedown
printf 'IP=%s\n' > /etc/shakedown/net
echo %s > /srv/www/version
sync`, vm.Name, vm.IP, vm.Version)
		if res, err := h.Exec(ctx, name, []string{"/bin/sh", "-c", script}, nil); err != nil || res.ExitCode != 0 {
			return created, fmt.Errorf("write the identity of %s: %v %s", name, err, res.Stderr)
		}
		// From now on the disk carries the identity: drop the boot arguments.
		x, err := h.DomainXML(ctx, name)
		if err != nil {
			return created, err
		}
		x.OS.Cmdline = g.Cmdline
		doc, _ := x.Marshal()
		if _, err := l.DomainDefineXML(doc); err != nil {
			return created, err
		}
	}
	return created, nil
}

// pruneGoldens deletes golden images of older guest builds that no volume
// in the pool is backed by any more.
func (h *Host) pruneGoldens(ctx context.Context, keep string) {
	l, pool, err := h.Pool(ctx)
	if err != nil {
		return
	}
	vols, _, err := l.StoragePoolListAllVolumes(pool, 1, 0)
	if err != nil {
		return
	}
	used := map[string]bool{keep: true}
	var goldens []string
	for _, v := range vols {
		doc, err := l.StorageVolGetXMLDesc(v, 0)
		if err != nil {
			continue
		}
		var x libvirtxml.StorageVolume
		if x.Unmarshal(doc) != nil {
			continue
		}
		if x.BackingStore != nil {
			used[x.BackingStore.Path] = true
		}
		if strings.HasPrefix(v.Name, "sd-golden-") && x.Target != nil {
			goldens = append(goldens, x.Target.Path)
		}
	}
	for _, path := range goldens {
		if !used[path] {
			h.DeleteVolume(ctx, filepath.Base(path))
		}
	}
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return strings.ToLower(hex.EncodeToString(h[:]))[:6]
}
