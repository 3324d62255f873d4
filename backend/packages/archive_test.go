package packages

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
)

const goodManifest = `name: webapp
version: 2.4.1
description: The web front end
install: sh install.sh
verify: sh verify.sh
rollback: sh rollback.sh
files:
  - src: files/version.txt
    dest: /srv/www/version.txt
    mode: "0644"
health_checks:
  - name: served
    command: test -s /srv/www/version.txt
`

// member is one tar or zip entry a test writes, exactly as given.
type member struct {
	name, body, link string
	typ              byte // tar type flag; 0 = regular file
	mode             int64
}

func tarGz(t testing.TB, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, m := range ms {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := m.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: m.name, Typeflag: typ, Mode: mode, Linkname: m.link}
		if typ == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(m.body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func zipOf(t testing.TB, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		mode := fs.FileMode(0o644)
		if m.typ == tar.TypeSymlink {
			mode = fs.ModeSymlink | 0o777
		}
		if m.typ == tar.TypeChar {
			mode = fs.ModeDevice | fs.ModeCharDevice | 0o600
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		body := m.body
		if m.typ == tar.TypeSymlink {
			body = m.link
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func goodMembers() []member {
	return []member{
		{name: "shakedown.yaml", body: goodManifest},
		{name: "install.sh", body: "cp files/version.txt /srv/www/\n", mode: 0o755},
		{name: "verify.sh", body: "grep 2.4.1 /srv/www/version.txt\n"},
		{name: "rollback.sh", body: "true\n"},
		{name: "files/", typ: tar.TypeDir, mode: 0o755},
		{name: "files/version.txt", body: "2.4.1\n"},
	}
}

func scan(b []byte) (*Contents, error) {
	return Scan(bytes.NewReader(b), int64(len(b)), DefaultLimits, false)
}

func TestScanGoodPackages(t *testing.T) {
	for name, b := range map[string][]byte{"tar.gz": tarGz(t, goodMembers()...), "zip": zipOf(t, goodMembers()...)} {
		c, err := scan(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Format != name || c.Manifest.Name != "webapp" || c.Manifest.Version != "2.4.1" || len(c.Manifest.Files) != 1 ||
			c.Manifest.HealthChecks[0].IntervalSeconds != 30 {
			t.Fatalf("%s: manifest %+v", name, c.Manifest)
		}
		var version Entry
		for _, e := range c.Entries {
			if e.Path == "files/version.txt" {
				version = e
			}
		}
		// sha256("2.4.1\n")
		if version.SHA256 != "6d850e3ac42d0dd06bfdcce9151c1e6b40f4cf5272778f63eececea27c78f0b6" || version.Size != 6 {
			t.Fatalf("%s: entry %+v", name, version)
		}
	}
	// A "./" prefix, as tar -C dir . writes, is the same package.
	ms := goodMembers()
	for i := range ms {
		ms[i].name = "./" + ms[i].name
	}
	if _, err := scan(tarGz(t, append([]member{{name: "./", typ: tar.TypeDir}}, ms...)...)); err != nil {
		t.Fatalf("./ prefixed archive: %v", err)
	}
	// The manifest may be JSON.
	json := `{"name":"webapp","version":"1.0","install":"sh i","verify":"sh v","rollback":"sh r"}`
	if c, err := scan(tarGz(t, member{name: "shakedown.json", body: json})); err != nil || c.Manifest.Version != "1.0" {
		t.Fatalf("json manifest: %v", err)
	}
}

// Each bad archive is refused with a message naming the entry or key.
func TestScanRefusesBadArchives(t *testing.T) {
	with := func(extra ...member) []member { return append(goodMembers(), extra...) }
	manifest := func(m string) []member {
		ms := goodMembers()
		ms[0].body = m
		return ms
	}
	zeros := strings.Repeat("\x00", 70<<20)
	cases := []struct {
		name    string
		archive func(testing.TB, ...member) []byte
		members []member
		field   string
		want    string
	}{
		{"absolute path", tarGz, with(member{name: "/etc/passwd", body: "x"}), "archive", `"/etc/passwd" has an absolute path`},
		{"dot-dot", tarGz, with(member{name: "files/../../evil", body: "x"}), "archive", `climbs out of the package`},
		{"zip dot-dot", zipOf, with(member{name: "../evil", body: "x"}), "archive", `climbs out of the package`},
		{"symlink outside", tarGz, with(member{name: "files/link", typ: tar.TypeSymlink, link: "../../etc/shadow"}), "archive", `Entry "files/link": a symlink to "../../etc/shadow" points outside`},
		{"absolute symlink", tarGz, with(member{name: "link", typ: tar.TypeSymlink, link: "/etc/shadow"}), "archive", `Entry "link"`},
		{"zip symlink outside", zipOf, with(member{name: "link", typ: tar.TypeSymlink, link: "../x"}), "archive", `Entry "link": a symlink`},
		{"device", tarGz, with(member{name: "dev/sda", typ: tar.TypeChar}), "archive", `Entry "dev/sda": device files`},
		{"zip device", zipOf, with(member{name: "null", typ: tar.TypeChar}), "archive", `Entry "null": device files`},
		{"fifo", tarGz, with(member{name: "pipe", typ: tar.TypeFifo}), "archive", `Entry "pipe": named pipes`},
		{"hard link", tarGz, with(member{name: "hard", typ: tar.TypeLink, link: "install.sh"}), "archive", `Entry "hard": hard links`},
		{"duplicate", tarGz, with(member{name: "install.sh", body: "again"}), "archive", `Entry "install.sh": the name appears twice`},
		{"zip duplicate", zipOf, with(member{name: "verify.sh", body: "again"}), "archive", `Entry "verify.sh": the name appears twice`},
		{"ratio bomb", tarGz, with(member{name: "zeros", body: zeros}), "archive", `Entry "zeros": the archive unpacks to over 100×`},
		{"zip ratio bomb", zipOf, with(member{name: "zeros", body: zeros}), "archive", `Entry "zeros": the archive unpacks to over 100×`},
		{"missing manifest", tarGz, goodMembers()[1:], "manifest", "no manifest"},
		{"nested manifest", tarGz, []member{{name: "webapp/shakedown.yaml", body: goodManifest}}, "manifest", "must be at the top of the archive"},
		{"two manifests", tarGz, with(member{name: "shakedown.json", body: "{}"}), "archive", "more than one manifest"},
		{"malformed manifest", tarGz, manifest("name: [webapp\n"), "manifest", "not valid YAML or JSON"},
		{"unknown key", tarGz, manifest(goodManifest + "postinstall: rm -rf /\n"), "manifest.postinstall", `Unknown key "postinstall" on line 14`},
		{"unknown nested key", tarGz, manifest(strings.Replace(goodManifest, "    mode:", "    owner: root\n    mode:", 1)), "manifest.files[0].owner", `Unknown key "owner"`},
		{"empty command", tarGz, manifest(strings.Replace(goodManifest, "verify: sh verify.sh", "verify: \"  \"", 1)), "manifest.verify", "The verify command is empty"},
		{"null command", tarGz, manifest(strings.Replace(goodManifest, "rollback: sh rollback.sh", "rollback:", 1)), "manifest.rollback", "The rollback command is empty"},
		{"missing file", tarGz, manifest(strings.Replace(goodManifest, "src: files/version.txt", "src: files/nope.txt", 1)), "manifest.files[0].src", "no file by that name"},
		{"relative dest", tarGz, manifest(strings.Replace(goodManifest, "dest: /srv/www/version.txt", "dest: srv/x", 1)), "manifest.files[0].dest", "absolute, clean path"},
		{"bad mode", tarGz, manifest(strings.Replace(goodManifest, `mode: "0644"`, `mode: "rw"`, 1)), "manifest.files[0].mode", "must be octal"},
		{"list as name", tarGz, manifest(strings.Replace(goodManifest, "name: webapp", "name: [a, b]", 1)), "manifest.name", "single value"},
		{"duplicate key", tarGz, manifest(goodManifest + "name: again\n"), "manifest.name", `Key "name" appears twice (line 14)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := scan(c.archive(t, c.members...))
			if err == nil {
				t.Fatal("accepted")
			}
			if apperr.KindOf(err) != apperr.KindInvalid || apperr.FieldOf(err) != c.field || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got field %q: %v\nwant field %q containing %q", apperr.FieldOf(err), err, c.field, c.want)
			}
		})
	}
}

func TestScanTotalLimitAndGarbage(t *testing.T) {
	lim := DefaultLimits
	lim.MaxUnpacked = 1 << 10
	b := tarGz(t, with1K()...)
	if _, err := Scan(bytes.NewReader(b), int64(len(b)), lim, false); err == nil || !strings.Contains(err.Error(), "unpacks to more than 1.0 KiB") {
		t.Fatalf("total limit: %v", err)
	}
	z := zipOf(t, with1K()...)
	if _, err := Scan(bytes.NewReader(z), int64(len(z)), lim, false); err == nil || !strings.Contains(err.Error(), "declares") {
		t.Fatalf("zip declared total: %v", err)
	}
	for name, b := range map[string][]byte{"text": []byte("hello world"), "cut gzip": b[:len(b)/2], "empty": nil} {
		if _, err := scan(b); apperr.KindOf(err) != apperr.KindInvalid || apperr.FieldOf(err) != "archive" {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func with1K() []member {
	return append(goodMembers(), member{name: "big", body: strings.Repeat("x", 2048)})
}

func TestBuildIsDeterministic(t *testing.T) {
	m := Manifest{Name: "hello", Version: "1.0", Install: "sh install.sh", Verify: "true", Rollback: "true",
		Files: []FilePlace{{Src: "etc/hello.conf", Dest: "/etc/hello.conf"}}}
	files := []SourceFile{{Path: "install.sh", Content: "echo hi", Mode: "0755"}, {Path: "etc/hello.conf", Content: "aGk=", Encoding: "base64"}}
	a, err := Build(m, files)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(m, []SourceFile{files[1], files[0]})
	if !bytes.Equal(a, b) {
		t.Fatal("the same manifest and files in another order gave other bytes")
	}
	c, err := scan(a)
	if err != nil {
		t.Fatal(err)
	}
	if c.Manifest.Files[0].Mode != "0644" || len(c.Entries) != 4 { // shakedown.json, etc, etc/hello.conf, install.sh
		t.Fatalf("assembled: %+v %+v", c.Manifest, c.Entries)
	}
	if _, err := Build(m, files[:1]); apperr.FieldOf(err) != "manifest.files[0].src" {
		t.Fatalf("a placed file that was not added: %v", err)
	}
	if _, err := Build(m, append(files, SourceFile{Path: "../x"})); apperr.FieldOf(err) != "files[2].path" {
		t.Fatalf("bad path: %v", err)
	}
}

// The example package in examples/ is a valid package.
func TestExamplePackage(t *testing.T) {
	root := "../../examples/webapp"
	var ms []member
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			ms = append(ms, member{name: rel + "/", typ: tar.TypeDir, mode: 0o755})
			return nil
		}
		b, err := os.ReadFile(p)
		info, _ := d.Info()
		ms = append(ms, member{name: rel, body: string(b), mode: int64(info.Mode().Perm())})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := scan(tarGz(t, ms...))
	if err != nil {
		t.Fatalf("examples/webapp: %v", err)
	}
	if c.Manifest.Name != "webapp" || c.Manifest.Version != "2.4.1" || len(c.Manifest.Files) != 2 || len(c.Manifest.HealthChecks) != 1 {
		t.Fatalf("examples/webapp manifest: %+v", c.Manifest)
	}
}

// A bomb in one entry (here a 100 MiB manifest of spaces, 100 KiB packed) is
// stopped while it unpacks, without holding it in memory.
func TestScanStopsABombEarly(t *testing.T) {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "shakedown.yaml", Mode: 0o644, Size: 100 << 20, Typeflag: tar.TypeReg})
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for i := 0; i < 100; i++ {
		tw.Write(chunk)
	}
	tw.Close()
	gz.Close()
	b := buf.Bytes()
	var err error
	growth := peakHeap(func() { _, err = scan(b) })
	if err == nil || !strings.Contains(err.Error(), "possible zip bomb") {
		t.Fatalf("a 100 MiB manifest in %d bytes: %v", len(b), err)
	}
	if growth > 16<<20 {
		t.Fatalf("the scan grew the heap by %d MiB", growth>>20)
	}
}

// Nothing may hide after the archive: a zip appended to a tar.gz (a file
// other tools would read as that zip) is refused.
func TestScanRefusesTrailingData(t *testing.T) {
	polyglot := append(tarGz(t, goodMembers()...), zipOf(t, member{name: "../../etc/cron.d/evil", body: "x"})...)
	if _, err := scan(polyglot); err == nil || !strings.Contains(err.Error(), "after the archive") {
		t.Fatalf("tar.gz + zip: %v", err)
	}
}

// Symlinks are followed through each other: a chain that climbs out, or a
// file placed through a link, is refused; links that stay inside are fine.
func TestScanFollowsSymlinkChains(t *testing.T) {
	cases := []struct {
		name  string
		extra []member
		want  string
	}{
		{"chain out", []member{{name: "s/d", typ: tar.TypeSymlink, link: ".."}, {name: "s/e", typ: tar.TypeSymlink, link: "d/../.."}}, `Entry "s/e": a symlink to "d/../.." leads outside`},
		{"through a link", []member{{name: "s/d", typ: tar.TypeSymlink, link: ".."}, {name: "s/d/x", body: "x"}}, `Entry "s/d/x": it lies under the symlink s/d`},
		{"loop", []member{{name: "a", typ: tar.TypeSymlink, link: "b/x"}, {name: "b", typ: tar.TypeSymlink, link: "a/y"}}, "leads outside"},
	}
	for _, c := range cases {
		if _, err := scan(tarGz(t, append(goodMembers(), c.extra...)...)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	inside := append(goodMembers(), member{name: "bin/", typ: tar.TypeDir}, member{name: "bin/tool", typ: tar.TypeSymlink, link: "../files/version.txt"},
		member{name: "latest", typ: tar.TypeSymlink, link: "bin/tool"})
	if _, err := scan(tarGz(t, inside...)); err != nil {
		t.Fatalf("links that stay inside: %v", err)
	}
}
