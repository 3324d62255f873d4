package labs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// NotAnImageError refuses bytes that are no disk image Shakedown knows.
type NotAnImageError struct{ Reason string }

func (e *NotAnImageError) Error() string {
	return "This is not a disk image Shakedown can import (" + e.Reason + "): send a raw disk (with a partition table or a filesystem), a qcow2 or a vmdk image."
}

// Invalid makes it a 422 for API callers.
func (e *NotAnImageError) Invalid() bool { return true }

// ShortStreamError says an image stream was not of its announced size.
type ShortStreamError struct{ Got, Want int64 }

func (e *ShortStreamError) Error() string {
	return fmt.Sprintf("The image stream ended after %d of %d bytes; nothing was kept.", e.Got, e.Want)
}

// Invalid makes it a 422 for API callers.
func (e *ShortStreamError) Invalid() bool { return true }

// SniffFormat tells an image's format from its first 64 KiB: qcow2 and
// vmdk by their magic, raw only when it carries a partition table or a
// filesystem, so that an arbitrary file is not taken for a disk.
func SniffFormat(head []byte) (string, error) {
	switch {
	case len(head) >= 4 && bytes.Equal(head[:4], []byte("QFI\xfb")):
		if len(head) >= 16 && binary.BigEndian.Uint64(head[8:16]) != 0 {
			return "", &NotAnImageError{Reason: "the qcow2 image refers to a backing file; upload a standalone image (qemu-img convert -O qcow2)"}
		}
		return "qcow2", nil
	case len(head) >= 4 && bytes.Equal(head[:4], []byte("KDMV")):
		return "vmdk", nil
	case bytes.HasPrefix(head, []byte("# Disk DescriptorFile")):
		return "", &NotAnImageError{Reason: "a vmdk descriptor without its extents; upload a monolithic sparse vmdk"}
	case len(head) >= 512 && head[510] == 0x55 && head[511] == 0xAA:
		return "raw", nil // MBR (or a protective MBR before GPT)
	case len(head) >= 520 && bytes.Equal(head[512:520], []byte("EFI PART")):
		return "raw", nil
	case len(head) >= 1082 && binary.LittleEndian.Uint16(head[1080:1082]) == 0xEF53:
		return "raw", nil // ext2/3/4
	case len(head) >= 4 && bytes.Equal(head[:4], []byte("XFSB")):
		return "raw", nil
	case len(head) >= 520 && bytes.Equal(head[512:520], []byte("LABELONE")):
		return "raw", nil // LVM physical volume
	}
	if len(head) < 1082 {
		return "", &NotAnImageError{Reason: fmt.Sprintf("only %d bytes", len(head))}
	}
	return "", &NotAnImageError{Reason: "no partition table, filesystem, qcow2 or vmdk header at its start"}
}

// Imported is a disk image brought into the pool.
type Imported struct {
	Volume Volume `json:"volume"`
	// SourceFormat is what was uploaded; the volume itself is qcow2 (or raw
	// when raw was uploaded).
	SourceFormat string `json:"source_format"`
	Format       string `json:"format"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
}

// ImportImage streams size bytes from r into a new volume called name (P2V:
// a physical machine's disk, as a file, an HTTP upload or a dd over SSH),
// through libvirt's volume upload, and converts vmdk and qcow2 uploads into
// a standalone qcow2. A stream that ends early, or any failure, leaves no
// volume behind.
func (h *Host) ImportImage(ctx context.Context, name string, r io.Reader, size int64, progress func(done int64)) (Imported, error) {
	if size <= 0 {
		return Imported{}, &ShortStreamError{Want: size}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Imported{}, err
	}
	format, err := SniffFormat(head)
	if err != nil {
		return Imported{}, err
	}
	l, pool, err := h.Pool(ctx)
	if err != nil {
		return Imported{}, err
	}
	// Refuse at once what cannot fit, rather than fill the disk half-way.
	if err := l.StoragePoolRefresh(pool, 0); err == nil {
		if _, _, _, avail, err := l.StoragePoolGetInfo(pool); err == nil && uint64(size) > avail {
			return Imported{}, &CapacityError{Host: h.cfg.Name, Need: uint64(size), Free: avail, Resource: "disk", What: "the image"}
		}
	}
	staging := name + ".upload"
	x := &libvirtxml.StorageVolume{Name: staging,
		Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: uint64(size)},
		Target:   &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "raw"}}}
	doc, _ := x.Marshal()
	vol, err := l.StorageVolCreateXML(pool, doc, 0)
	if err != nil {
		return Imported{}, fmt.Errorf("create volume %s: %w", staging, err)
	}
	keep := false
	defer func() {
		if !keep {
			l.StorageVolDelete(vol, 0)
		}
	}()
	sum := sha256.New()
	cr := &countingReader{r: io.TeeReader(br, sum), ctx: ctx, progress: progress}
	if err := l.StorageVolUpload(vol, io.LimitReader(cr, size), 0, uint64(size), 0); err != nil {
		if cr.n < size && !errors.Is(err, context.Canceled) {
			return Imported{}, &ShortStreamError{Got: cr.n, Want: size}
		}
		return Imported{}, fmt.Errorf("upload into %s: %w", staging, err)
	}
	if cr.n != size {
		return Imported{}, &ShortStreamError{Got: cr.n, Want: size}
	}
	out := Imported{SourceFormat: format, Format: format, Bytes: size, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if format == "raw" {
		final, err := renameVolume(l, pool, vol, name, "raw", uint64(size))
		if err != nil {
			return Imported{}, err
		}
		if out.Volume, err = volumeInfo(l, final); err != nil {
			return Imported{}, err
		}
		return out, nil
	}
	// The staging volume holds a qcow2 or vmdk file: let libvirt convert it
	// (qemu-img convert) into a standalone qcow2 of the same virtual size.
	target := &libvirtxml.StorageVolume{Name: name,
		Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:   &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"}}}
	// Refresh so that libvirt probes the staging file's real format.
	if err := l.StoragePoolRefresh(pool, 0); err != nil {
		return Imported{}, err
	}
	vol, err = l.StorageVolLookupByName(pool, staging)
	if err != nil {
		return Imported{}, err
	}
	tdoc, _ := target.Marshal()
	final, err := l.StorageVolCreateXMLFrom(pool, tdoc, vol, 0)
	if err != nil {
		return Imported{}, fmt.Errorf("convert %s to qcow2: %w", format, err)
	}
	out.Format = "qcow2"
	if out.Volume, err = volumeInfo(l, final); err != nil {
		return Imported{}, err
	}
	return out, nil
}

// renameVolume turns the staging volume into the final one (libvirt has
// no rename: clone and delete, which for raw is a copy; raw uploads are
// rare enough).
func renameVolume(l *libvirt.Libvirt, pool libvirt.StoragePool, vol libvirt.StorageVol, name, format string, size uint64) (libvirt.StorageVol, error) {
	x := &libvirtxml.StorageVolume{Name: name, Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: size},
		Target: &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}}}
	doc, _ := x.Marshal()
	return l.StorageVolCreateXMLFrom(pool, doc, vol, 0)
}

type countingReader struct {
	r        io.Reader
	ctx      context.Context
	n        int64
	last     int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last >= 4<<20 {
		c.last = c.n
		c.progress(c.n)
	}
	return n, err
}
