package labs

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// testHost connects to libvirt's fake driver through the real daemon.
func testHost(t *testing.T) *Host {
	t.Helper()
	if _, err := os.Stat(LocalSocket); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("libvirtd is not running (%s missing); scripts/libvirt.sh start should have started it", LocalSocket)
		}
		t.Skipf("libvirtd is not running (%s missing): run scripts/libvirt.sh start", LocalSocket)
	}
	h := NewHost(HostConfig{Name: "test", URI: "test:///default", PoolDir: "/sdtest-pool"})
	t.Cleanup(func() { h.Close() })
	return h
}

func TestIsolatedNetworkOnTestDriver(t *testing.T) {
	h := testHost(t)
	ctx := context.Background()
	name, err := h.CreateIsolatedNetwork(ctx, "sdtest01")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := h.Conn(ctx)
	n, err := l.NetworkLookupByName(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := l.NetworkGetXMLDesc(n, 0)
	var x libvirtxml.Network
	x.Unmarshal(doc)
	if x.Forward != nil || len(x.IPs) != 0 {
		t.Fatalf("lab network is not isolated: forward=%v ips=%v", x.Forward, x.IPs)
	}
	if ok, err := h.DeleteNetwork(ctx, name); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := l.NetworkLookupByName(name); !isNoSuch(err) {
		t.Fatalf("network still there: %v", err)
	}
	if ok, err := h.DeleteNetwork(ctx, name); err != nil || ok {
		t.Fatalf("deleting a missing network: %v %v", ok, err)
	}
}

const prodXML = `<domain type='qemu'>
  <name>prod-web-1</name>
  <uuid>6f1c1a52-3d2e-4b44-9a1e-1a2b3c4d5e6f</uuid>
  <metadata><other:thing xmlns:other="https://example.com/x">keep out</other:thing></metadata>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><kernel>/boot/vmlinux</kernel></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/pool/prod-web-1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/pool/prod-web-1-logs.raw'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/isos/secret.iso'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:01'/>
      <source network='sd-prod'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
    </interface>
    <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>
    <channel type='unix'>
      <source mode='bind' path='/run/prod-web-1.agent'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='vnc' port='5900'/>
  </devices>
</domain>`

func TestCloneDefinitionKeepsIdentityAndIsolates(t *testing.T) {
	var prod libvirtxml.Domain
	if err := prod.Unmarshal(prodXML); err != nil {
		t.Fatal(err)
	}
	d, err := CloneDefinition(&prod, CloneSpec{Name: "sd-lab-ab12-prod-web-1", Meta: Meta{LabID: "ab12", CI: "prod-web-1", Role: "clone"},
		Network: "sd-lab-ab12", Disks: map[string]string{"vda": "/pool/sd-lab-ab12-prod-web-1.qcow2"}, ConsoleLog: "/tmp/c.log"})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := d.Marshal()
	for _, want := range []string{"sd-lab-ab12-prod-web-1", "52:54:00:aa:bb:01", "network='sd-lab-ab12'", "/pool/sd-lab-ab12-prod-web-1.qcow2",
		`xmlns:shakedown="` + MetadataNS + `"`, `ci="prod-web-1"`, "org.qemu.guest_agent.0"} {
		if !strings.Contains(strings.ReplaceAll(doc, `"`, "'"), strings.ReplaceAll(want, `"`, "'")) {
			t.Errorf("clone definition lacks %s:\n%s", want, doc)
		}
	}
	for _, banned := range []string{"6f1c1a52", "prod-web-1.qcow2'", "prod-web-1-logs", "secret.iso", "sd-prod", "vnet3", "hostdev", "graphics", "/run/prod-web-1.agent", "keep out"} {
		if strings.Contains(doc, banned) {
			t.Errorf("clone definition still has %q:\n%s", banned, doc)
		}
	}
	if prod.Name != "prod-web-1" || prod.Devices.Interfaces[0].Source.Network.Network != "sd-prod" {
		t.Fatal("the production definition was modified")
	}
	m, ok := parseMeta(d.Metadata.XML)
	if !ok || m.LabID != "ab12" || m.CI != "prod-web-1" || m.Role != "clone" {
		t.Fatalf("metadata = %+v %v", m, ok)
	}
	// A name with XML specials is escaped by the marshaller, never spliced.
	if _, err := CloneDefinition(&prod, CloneSpec{Name: "x", Meta: Meta{CI: `a"><evil/>`}, Disks: map[string]string{"vdz": "/p"}}); err == nil {
		t.Fatal("a missing disk target was accepted")
	}
	d2, err := CloneDefinition(&prod, CloneSpec{Name: "x", Meta: Meta{CI: `a"><evil/>`}, Disks: map[string]string{"vda": "/p"}})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := parseMeta(d2.Metadata.XML); !ok || m.CI != `a"><evil/>` {
		t.Fatalf("escaped metadata round trip = %+v %v", m, ok)
	}
}

func TestHostDownAdviceFitsWhereTheHostIs(t *testing.T) {
	local := (&HostDownError{Host: "local", URI: "qemu:///system", Err: errors.New("dial unix: no such file")}).Error()
	if !strings.Contains(local, "scripts/libvirt.sh start") {
		t.Fatalf("local advice %q", local)
	}
	remote := (&HostDownError{Host: "rack-2", URI: "qemu+ssh://ops@rack2.example/system", Err: errors.New("connection refused")}).Error()
	if strings.Contains(remote, "scripts/libvirt.sh") || !strings.Contains(remote, "rack2.example") || !strings.Contains(remote, "SSH") {
		t.Fatalf("remote advice %q", remote)
	}
}
