package labs

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSniffFormat(t *testing.T) {
	qcow := make([]byte, 2048)
	copy(qcow, "QFI\xfb\x00\x00\x00\x03")
	backed := append([]byte{}, qcow...)
	backed[15] = 0x70 // a backing file offset
	mbr := make([]byte, 2048)
	mbr[510], mbr[511] = 0x55, 0xAA
	ext := make([]byte, 2048)
	ext[1080], ext[1081] = 0x53, 0xEF
	noise := make([]byte, 64<<10)
	rand.Read(noise)
	noise[510] = 0 // not by chance an MBR
	cases := []struct {
		name, want string
		head       []byte
		bad        bool
	}{
		{"qcow2", "qcow2", qcow, false},
		{"qcow2 with backing file", "", backed, true},
		{"vmdk", "vmdk", append([]byte("KDMV"), make([]byte, 2044)...), false},
		{"mbr", "raw", mbr, false},
		{"ext4", "raw", ext, false},
		{"random bytes", "", noise, true},
		{"too short", "", []byte("hello"), true},
		{"a script", "", append([]byte("#!/bin/sh\necho hi\n"), make([]byte, 2048)...), true},
	}
	for _, c := range cases {
		got, err := SniffFormat(c.head)
		var nai *NotAnImageError
		if c.bad != errors.As(err, &nai) || got != c.want {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
	}
}

// P2V imports through real libvirt volume uploads: a vmdk becomes a
// standalone qcow2 with the same content; a stream that stops half-way and
// a file that is no disk image leave no volume behind.
func TestImportImageThroughLibvirt(t *testing.T) {
	h, _ := vmHost(t)
	ctx := context.Background()
	dir := t.TempDir()
	raw := filepath.Join(dir, "disk.raw")
	files := filepath.Join(dir, "files")
	os.MkdirAll(filepath.Join(files, "etc"), 0o755)
	os.WriteFile(filepath.Join(files, "etc", "hostname"), []byte("physical-db-7\n"), 0o644)
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("truncate", "-s", "64M", raw)
	run("mkfs.ext4", "-q", "-F", "-d", files, raw)
	vmdk := filepath.Join(dir, "disk.vmdk")
	run("qemu-img", "convert", "-f", "raw", "-O", "vmdk", raw, vmdk)

	f, _ := os.Open(vmdk)
	st, _ := f.Stat()
	imp, err := h.ImportImage(ctx, testPrefix+"p2v-db-7.qcow2", f, st.Size(), nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if imp.SourceFormat != "vmdk" || imp.Format != "qcow2" || imp.Volume.Capacity != 64<<20 || len(imp.SHA256) != 64 {
		t.Fatalf("import = %+v", imp)
	}
	out, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw, imp.Volume.Path).CombinedOutput()
	if err != nil {
		t.Fatalf("imported qcow2 differs from the physical disk: %v %s", err, out)
	}
	if vols, _ := h.Volumes(ctx); hasVolume(vols, ".upload") {
		t.Fatal("the staging volume was left behind")
	}

	// A stream that stops half-way.
	rf, _ := os.Open(raw)
	defer rf.Close()
	half := io.LimitReader(rf, 32<<20)
	if _, err := h.ImportImage(ctx, testPrefix+"p2v-cut.raw", half, 64<<20, nil); err == nil {
		t.Fatal("a stream cut half-way was accepted")
	}
	// Bytes that are no disk image.
	noise := make([]byte, 1<<20)
	rand.Read(noise)
	noise[510] = 0
	var nai *NotAnImageError
	if _, err := h.ImportImage(ctx, testPrefix+"p2v-noise.raw", bytes.NewReader(noise), int64(len(noise)), nil); !errors.As(err, &nai) {
		t.Fatalf("noise: %v", err)
	}
	vols, _ := h.Volumes(ctx)
	if hasVolume(vols, "p2v-cut") || hasVolume(vols, "p2v-noise") {
		t.Fatalf("a refused import left a volume: %v", vols)
	}
}

func hasVolume(vols []Volume, part string) bool {
	for _, v := range vols {
		if strings.Contains(v.Name, part) {
			return true
		}
	}
	return false
}

// A pool on a small filesystem: an image that cannot fit is refused before
// a byte is written, with the figures, and nothing is left.
func TestImportIntoAFullPoolIsRefused(t *testing.T) {
	vmHost(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "small")
	os.MkdirAll(dir, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here: %v %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	small := NewHost(HostConfig{Name: "small", URI: "qemu:///system", PoolDir: dir, Pool: testPrefix + "small"})
	defer func() {
		l, pool, err := small.Pool(ctx)
		if err == nil {
			l.StoragePoolDestroy(pool)
			l.StoragePoolUndefine(pool)
		}
		small.Close()
	}()
	raw := filepath.Join(t.TempDir(), "disk.raw")
	for _, c := range [][]string{{"truncate", "-s", "64M", raw}, {"mkfs.ext4", "-q", "-F", raw}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	f, _ := os.Open(raw)
	defer f.Close()
	_, err := small.ImportImage(ctx, testPrefix+"too-big.raw", f, 64<<20, nil)
	var full *CapacityError
	if !errors.As(err, &full) || !strings.Contains(err.Error(), "the image needs 64 MiB") {
		t.Fatalf("import into a full pool: %v", err)
	}
	vols, _ := small.Volumes(ctx)
	if len(vols) != 0 {
		t.Fatalf("the refused import left %v", vols)
	}
}
