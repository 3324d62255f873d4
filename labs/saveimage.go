package labs

// libvirt's QEMU save image (what an external memory snapshot writes): a
// header, the domain's XML and a cookie, NUL padding, then QEMU's
// migration stream. libvirt refuses to restore an image under another name
// or uuid (virDomainRestoreFlags and virDomainSaveImageDefineXML both check
// them), so a clone's image gets the clone's definition written into its
// header here, the way virDomainSaveImageDefineXML rewrites it: the XML
// and the cookie are laid out again within the same data length.
// Layout: libvirt 9.0 src/qemu/qemu_saveimage.h (virQEMUSaveHeader).

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

const (
	saveMagic      = "LibvirtQemudSave"
	saveHeaderSize = 16 + 4*5 + 4*14 // magic, version … cookieOffset, unused[14]
)

// SaveImageError says a file is not a save image Shakedown can rewrite.
type SaveImageError struct {
	Path   string
	Reason string
}

func (e *SaveImageError) Error() string {
	return fmt.Sprintf("the memory image %s cannot be used: %s", e.Path, e.Reason)
}

// saveHeader is virQEMUSaveHeader (host byte order: little-endian here).
type saveHeader struct {
	Version      uint32
	DataLen      uint32
	WasRunning   uint32
	Compressed   uint32
	CookieOffset uint32
}

// parseSaveHeader reads a header from the first saveHeaderSize bytes.
func parseSaveHeader(b []byte, path string) (saveHeader, error) {
	if len(b) < saveHeaderSize {
		return saveHeader{}, &SaveImageError{path, "it is shorter than a save image's header"}
	}
	if string(b[:16]) != saveMagic {
		return saveHeader{}, &SaveImageError{path, fmt.Sprintf("its header starts %q, not %q (a partial or foreign file)", b[:16], saveMagic)}
	}
	le := binary.LittleEndian
	h := saveHeader{Version: le.Uint32(b[16:]), DataLen: le.Uint32(b[20:]), WasRunning: le.Uint32(b[24:]),
		Compressed: le.Uint32(b[28:]), CookieOffset: le.Uint32(b[32:])}
	if h.Version != 2 {
		return h, &SaveImageError{path, fmt.Sprintf("its format version is %d; Shakedown knows version 2", h.Version)}
	}
	if h.DataLen == 0 || h.DataLen > 16<<20 || h.CookieOffset > h.DataLen {
		return h, &SaveImageError{path, fmt.Sprintf("its header is inconsistent (data length %d, cookie at %d)", h.DataLen, h.CookieOffset)}
	}
	return h, nil
}

// saveImageParts splits a save image's header region (header + data) into
// its XML and its cookie (empty when there is none).
func saveImageParts(region []byte, path string) (h saveHeader, xml, cookie string, err error) {
	if h, err = parseSaveHeader(region, path); err != nil {
		return h, "", "", err
	}
	if len(region) < saveHeaderSize+int(h.DataLen) {
		return h, "", "", &SaveImageError{path, "it ends inside its header"}
	}
	data := region[saveHeaderSize : saveHeaderSize+int(h.DataLen)]
	xmlEnd := len(data)
	if h.CookieOffset > 0 {
		xmlEnd = int(h.CookieOffset)
		c := data[h.CookieOffset:]
		if i := bytes.IndexByte(c, 0); i >= 0 {
			c = c[:i]
		}
		cookie = string(c)
	}
	x := data[:xmlEnd]
	if i := bytes.IndexByte(x, 0); i >= 0 {
		x = x[:i]
	}
	return h, string(x), cookie, nil
}

// rewriteSaveImage returns the header region with xml in place of the
// domain XML, the cookie kept after it, within the same data length (so
// that the migration stream after it stays where it is).
func rewriteSaveImage(region []byte, xml, path string) ([]byte, error) {
	h, _, cookie, err := saveImageParts(region, path)
	if err != nil {
		return nil, err
	}
	need := len(xml) + 1
	if h.CookieOffset > 0 {
		need += len(cookie) + 1
	}
	if need > int(h.DataLen) {
		return nil, &SaveImageError{path, fmt.Sprintf("the clone's definition (%d bytes) does not fit in the image's %d-byte header", len(xml), h.DataLen)}
	}
	out := make([]byte, saveHeaderSize+int(h.DataLen))
	copy(out, region[:saveHeaderSize])
	data := out[saveHeaderSize:]
	copy(data, xml)
	if h.CookieOffset > 0 {
		copy(data[len(xml)+1:], cookie)
		binary.LittleEndian.PutUint32(out[32:], uint32(len(xml)+1))
	}
	return out, nil
}
