package packages

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
)

// Entry is one member of a package archive.
type Entry struct {
	Path   string `json:"path"`
	Type   string `json:"type"` // file, dir or symlink
	Size   int64  `json:"size"`
	Mode   string `json:"mode"`
	SHA256 string `json:"sha256,omitempty"`
	Link   string `json:"link,omitempty"`
}

// Limits bound what an archive may unpack to, against zip bombs.
type Limits struct {
	MaxEntries  int
	MaxUnpacked int64   // total bytes of all files once unpacked
	MaxRatio    float64 // unpacked ÷ packed, checked once past RatioFloor
	RatioFloor  int64
}

// DefaultLimits suit release packages: 10,000 entries, 8 GiB unpacked, and
// no more than 100× compression past 64 MiB.
var DefaultLimits = Limits{MaxEntries: 10000, MaxUnpacked: 8 << 30, MaxRatio: 100, RatioFloor: 64 << 20}

// Contents is what a scan of an archive found.
type Contents struct {
	Format       string
	Entries      []Entry
	Manifest     *Manifest
	ManifestName string
	files        map[string][]byte // kept only when a scan is asked to keep them
}

// File returns the bytes of a regular file kept by ReadFiles.
func (c *Contents) File(name string) ([]byte, bool) {
	b, ok := c.files[name]
	return b, ok
}

// Format names.
const (
	FormatTarGz = "tar.gz"
	FormatZip   = "zip"
)

// Sniff tells the archive format from its first bytes.
func Sniff(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return FormatTarGz, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return FormatZip, nil
	}
	return "", apperr.Invalid("archive", "This is not a .tar.gz or .zip archive (its first bytes are neither gzip nor zip).")
}

// Scan reads a whole archive, checking every entry, hashing every file and
// parsing the manifest. keepFiles keeps file contents in memory (for small
// packages only: labs copy them into guests).
func Scan(r io.ReaderAt, size int64, lim Limits, keepFiles bool) (*Contents, error) {
	head := make([]byte, 4)
	if n, _ := r.ReadAt(head, 0); n < 2 {
		return nil, apperr.Invalid("archive", "The upload is empty or too short to be an archive.")
	}
	format, err := Sniff(head)
	if err != nil {
		return nil, err
	}
	sc := &scanner{lim: lim, packed: size, seen: map[string]bool{}, keep: keepFiles, c: &Contents{Format: format}}
	if keepFiles {
		sc.c.files = map[string][]byte{}
	}
	if format == FormatZip {
		err = sc.zip(r, size)
	} else {
		err = sc.tarGz(io.NewSectionReader(r, 0, size))
	}
	if err != nil {
		return nil, err
	}
	return sc.finish()
}

type scanner struct {
	lim      Limits
	packed   int64
	unpacked int64
	seen     map[string]bool
	keep     bool
	manifest []byte
	c        *Contents
}

// bad is an archive problem naming the entry.
func bad(entry, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if entry != "" {
		msg = fmt.Sprintf("Entry %q: %s", entry, msg)
	}
	return apperr.Invalid("archive", "%s", msg)
}

// checkEntryName refuses names that could escape the package directory.
func checkEntryName(name string) error {
	switch {
	case name == "":
		return errors.New("an entry has an empty name")
	case strings.ContainsAny(name, "\x00\\"):
		return fmt.Errorf("entry %q has a backslash or NUL byte in its name", name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("entry %q has an absolute path", name)
	case len(name) > 1024:
		return fmt.Errorf("entry %q… has a name over 1024 bytes", name[:40])
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fmt.Errorf("entry %q climbs out of the package with \"..\"", name)
		}
	}
	if path.Clean(name) != name || name == "." {
		return fmt.Errorf("entry %q is not a clean relative path", name)
	}
	return nil
}

func (sc *scanner) add(e Entry) error {
	if len(sc.c.Entries) >= sc.lim.MaxEntries {
		return bad("", "The archive has more than %d entries.", sc.lim.MaxEntries)
	}
	if sc.seen[e.Path] {
		return bad(e.Path, "the name appears twice in the archive.")
	}
	sc.seen[e.Path] = true
	sc.c.Entries = append(sc.c.Entries, e)
	return nil
}

// name normalises an entry name ("./a/b/" → "a/b") and checks it.
func (sc *scanner) name(raw string) (string, error) {
	n := strings.TrimPrefix(raw, "./")
	n = strings.TrimSuffix(n, "/")
	if raw == "./" || raw == "." {
		return "", nil // the archive's own root
	}
	if err := checkEntryName(n); err != nil {
		return "", bad("", "%s.", capitalise(err.Error()))
	}
	return n, nil
}

func capitalise(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// symlink refuses links that point outside the package.
func (sc *scanner) symlink(name, target string) error {
	if target == "" || strings.HasPrefix(target, "/") {
		return bad(name, "a symlink to %q points outside the package (absolute target).", target)
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return bad(name, "a symlink to %q points outside the package.", target)
	}
	return sc.add(Entry{Path: name, Type: "symlink", Mode: "0777", Link: target})
}

// file hashes a regular file's content, counting it against the limits as
// it goes (a bomb is stopped at the limit, not after it unpacked).
func (sc *scanner) file(name string, mode fs.FileMode, r io.Reader) error {
	h := sha256.New()
	isManifest := slices.Contains(ManifestNames, name)
	var buf *bytes.Buffer
	if sc.keep || isManifest {
		buf = &bytes.Buffer{}
	}
	chunk := make([]byte, 32<<10)
	var n int64
	for {
		k, err := r.Read(chunk)
		if k > 0 {
			h.Write(chunk[:k])
			// A manifest over its limit is refused by the parser: keep just
			// enough of it to say so.
			if buf != nil && (sc.keep || buf.Len() <= maxManifestBytes) {
				buf.Write(chunk[:k])
			}
			n += int64(k)
			sc.unpacked += int64(k)
			if err := sc.checkUnpacked(name); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad(name, "cannot be read: %v.", err)
		}
	}
	if isManifest {
		if sc.manifest != nil {
			return bad(name, "the archive has more than one manifest (%s): keep one.", strings.Join(ManifestNames, ", "))
		}
		sc.manifest = buf.Bytes()
		sc.c.ManifestName = name
	}
	if sc.keep {
		sc.c.files[name] = buf.Bytes()
	}
	return sc.add(Entry{Path: name, Type: "file", Size: n, Mode: fmt.Sprintf("%04o", mode.Perm()), SHA256: hex.EncodeToString(h.Sum(nil))})
}

func (sc *scanner) tarGz(r io.Reader) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return bad("", "The gzip stream is broken: %v.", err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("", "The archive is cut short or damaged: %v.", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := sc.name(hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			if name == "" {
				return bad(hdr.Name, "a file cannot be the archive root.")
			}
			if err := sc.file(name, hdr.FileInfo().Mode(), tr); err != nil {
				return err
			}
		case tar.TypeDir:
			if name == "" {
				continue
			}
			if err := sc.add(Entry{Path: name, Type: "dir", Mode: fmt.Sprintf("%04o", hdr.FileInfo().Mode().Perm())}); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := sc.symlink(name, hdr.Linkname); err != nil {
				return err
			}
		case tar.TypeLink:
			return bad(name, "hard links are not allowed in a package; copy the file or use a relative symlink.")
		case tar.TypeChar, tar.TypeBlock:
			return bad(name, "device files are not allowed in a package.")
		case tar.TypeFifo:
			return bad(name, "named pipes are not allowed in a package.")
		default:
			return bad(name, "entries of tar type %q are not allowed in a package.", string(hdr.Typeflag))
		}
	}
	// Nothing may follow the archive: the whole file is what was scanned
	// (no second archive hiding behind the first, as in a gzip+zip polyglot).
	// tar pads its last record with zeros (64 KiB at most with -b 128).
	rest, err := io.ReadAll(io.LimitReader(gz, 64<<10+1))
	switch {
	case err != nil:
		return bad("", "The file goes on after the archive with data that is not part of it (%v): refused.", err)
	case len(rest) > 64<<10 || bytes.Count(rest, []byte{0}) != len(rest):
		return bad("", "The file goes on after the archive's end with more data: refused (pack only the package).")
	}
	return nil
}

func (sc *scanner) zip(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return bad("", "The zip archive is damaged: %v.", err)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > uint64(sc.lim.MaxUnpacked) {
		return bad("", "The archive declares %s once unpacked, over the %s limit: refused as a possible zip bomb.", human(int64(min(declared, 1<<62))), human(sc.lim.MaxUnpacked))
	}
	for _, f := range zr.File {
		name, err := sc.name(f.Name)
		if err != nil {
			return err
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if name != "" {
				if err := sc.add(Entry{Path: name, Type: "dir", Mode: fmt.Sprintf("%04o", mode.Perm())}); err != nil {
					return err
				}
			}
		case mode&fs.ModeSymlink != 0:
			target, err := readSmall(f, 4096)
			if err != nil {
				return bad(name, "the symlink cannot be read: %v.", err)
			}
			if err := sc.symlink(name, string(target)); err != nil {
				return err
			}
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
			return bad(name, "device files, pipes and sockets are not allowed in a package.")
		default:
			if name == "" {
				return bad(f.Name, "a file cannot be the archive root.")
			}
			rc, err := f.Open()
			if err != nil {
				return bad(name, "cannot be opened: %v.", err)
			}
			err = sc.file(name, mode, rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func readSmall(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}

// finish parses the manifest and checks its references into the archive.
func (sc *scanner) finish() (*Contents, error) {
	c := sc.c
	if sc.manifest == nil {
		for _, e := range c.Entries {
			if slices.Contains(ManifestNames, path.Base(e.Path)) {
				return nil, apperr.Invalid("manifest", "The manifest %s must be at the top of the archive, not in a folder: pack from inside %s.", e.Path, path.Dir(e.Path))
			}
		}
		return nil, apperr.Invalid("manifest", "The archive has no manifest: add shakedown.yaml (or shakedown.json) at its top level.")
	}
	m, err := ParseManifest(sc.manifest)
	if err != nil {
		return nil, err
	}
	types, links := map[string]string{}, map[string]string{}
	for _, e := range c.Entries {
		types[e.Path] = e.Type
		if e.Type == "symlink" {
			links[e.Path] = e.Link
		}
	}
	for _, e := range c.Entries {
		for _, dir := range parents(e.Path) {
			if types[dir] == "symlink" {
				return nil, bad(e.Path, "it lies under the symlink %s: files must not be placed through links.", dir)
			}
		}
		if e.Type == "symlink" && !staysInside(e.Path, links) {
			return nil, bad(e.Path, "a symlink to %q leads outside the package through other links.", e.Link)
		}
	}
	for i, f := range m.Files {
		if types[f.Src] != "file" {
			return nil, apperr.Invalid(fmt.Sprintf("manifest.files[%d].src", i), "The manifest places %s, but the archive has no file by that name.", f.Src)
		}
	}
	c.Manifest = m
	sort.Slice(c.Entries, func(i, j int) bool { return c.Entries[i].Path < c.Entries[j].Path })
	return c, nil
}

// checkUnpacked stops a scan past the total or ratio limit.
func (sc *scanner) checkUnpacked(name string) error {
	if sc.unpacked > sc.lim.MaxUnpacked {
		return bad(name, "the archive unpacks to more than %s: refused as a possible zip bomb.", human(sc.lim.MaxUnpacked))
	}
	if sc.unpacked > sc.lim.RatioFloor && sc.packed > 0 && float64(sc.unpacked)/float64(sc.packed) > sc.lim.MaxRatio {
		return bad(name, "the archive unpacks to over %.0f× its size (%s from %s): refused as a possible zip bomb.",
			sc.lim.MaxRatio, human(sc.unpacked), human(sc.packed))
	}
	return nil
}

// staysInside follows a symlink's target through the package's other links
// and reports whether it stays inside the package.
func staysInside(name string, links map[string]string) bool {
	stack := strings.Split(path.Dir(name), "/")
	if path.Dir(name) == "." {
		stack = nil
	}
	queue := strings.Split(links[name], "/")
	for hops := 0; len(queue) > 0; {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return false
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		if target, ok := links[strings.Join(stack, "/")]; ok {
			if hops++; hops > 40 || strings.HasPrefix(target, "/") {
				return false
			}
			stack = stack[:len(stack)-1]
			queue = append(strings.Split(target, "/"), queue...)
		}
	}
	return true
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
