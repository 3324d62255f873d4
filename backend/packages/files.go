package packages

// What a package holds, readable by a manager: its text files inline (up
// to a limit), its binaries as size and sha256, and which of its files the
// manifest's install, verify and rollback commands run.

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxInlineText is the largest text file answered inline; longer text
// files are answered as their size and sha256, like binaries.
const MaxInlineText = 64 << 10

// MaxInlineTotal bounds the text a package's file list carries inline, the
// manifest and scripts first; past it, text files come as size and sha256.
const MaxInlineTotal = 4 << 20

// maxReadUnpacked bounds what Files and Diff read into memory per package.
const maxReadUnpacked = 256 << 20

// FileKind says how a package's file is shown.
type FileKind string

// The kinds of file.
const (
	FileText    FileKind = "text"      // text answered inline
	FileLarge   FileKind = "large"     // text over MaxInlineText: size and sha256 only
	FileBinary  FileKind = "binary"    // size and sha256 only
	FileSymlink FileKind = "symlink"   // its target in Link
	FileDir     FileKind = "directory" // listed, no content
)

// EnumValues lists the kinds, for the API document.
func (FileKind) EnumValues() []string {
	return []string{string(FileText), string(FileLarge), string(FileBinary), string(FileSymlink), string(FileDir)}
}

// File is one entry of a package with what a reader needs to see of it.
type File struct {
	Path   string   `json:"path"`
	Kind   FileKind `json:"kind"`
	Size   int64    `json:"size"`
	Mode   string   `json:"mode"`
	SHA256 string   `json:"sha256,omitempty"`
	Link   string   `json:"link,omitempty"`
	Text   string   `json:"text,omitempty"`
	// Elided says a text file's content was left out because the
	// package's inline text (MaxInlineTotal) was spent on earlier files.
	Elided bool `json:"elided,omitempty"`
	// Roles are what the manifest does with the file: manifest, install,
	// verify, rollback (the command runs it), placed (copied to a dest).
	Roles []string `json:"roles"`
}

// FileList is a package's files, the manifest's scripts first.
type FileList struct {
	Digest  string `json:"digest"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Files   []File `json:"files"`
}

// Files reads a stored package (checking its digest) and answers its files.
func (s *Store) Files(ctx context.Context, digest string) (*FileList, error) {
	c, p, err := s.Contents(ctx, digest, maxReadUnpacked)
	if err != nil {
		return nil, err
	}
	out := &FileList{Digest: p.Digest, Name: p.Name, Version: p.Version, Files: []File{}}
	roles := fileRoles(c)
	entries := slices.Clone(c.Entries)
	// the manifest and scripts first, so that they get the inline budget
	slices.SortStableFunc(entries, func(a, b Entry) int { return roleRank(roles[a.Path]) - roleRank(roles[b.Path]) })
	budget := MaxInlineTotal
	for _, e := range entries {
		f := File{Path: e.Path, Size: e.Size, Mode: e.Mode, SHA256: e.SHA256, Link: e.Link, Roles: roles[e.Path]}
		if f.Roles == nil {
			f.Roles = []string{}
		}
		switch e.Type {
		case "dir":
			f.Kind = FileDir
		case "symlink":
			f.Kind = FileSymlink
		default:
			b, _ := c.File(e.Path)
			switch {
			case !isText(b):
				f.Kind = FileBinary
			case len(b) > MaxInlineText:
				f.Kind = FileLarge
			case len(b) > budget:
				f.Kind, f.Elided = FileText, true
			default:
				f.Kind, f.Text = FileText, string(b)
				budget -= len(b)
			}
		}
		out.Files = append(out.Files, f)
	}
	return out, nil
}

// fileRoles finds the files the manifest names: itself, the words of its
// commands that are files of the package (sh install.sh, ./verify.sh), and
// the sources of its placements.
func fileRoles(c *Contents) map[string][]string {
	out := map[string][]string{}
	has := map[string]bool{}
	for _, e := range c.Entries {
		has[e.Path] = true
	}
	add := func(path, role string) {
		if has[path] && !slices.Contains(out[path], role) {
			out[path] = append(out[path], role)
		}
	}
	add(c.ManifestName, "manifest")
	if m := c.Manifest; m != nil {
		for role, cmd := range map[string]string{"install": m.Install, "verify": m.Verify, "rollback": m.Rollback} {
			for _, w := range strings.FieldsFunc(cmd, func(r rune) bool { return strings.ContainsRune(" \t;&|()<>'\"", r) }) {
				add(strings.TrimPrefix(w, "./"), role)
			}
		}
		for _, f := range m.Files {
			add(f.Src, "placed")
		}
	}
	for _, r := range out {
		slices.SortFunc(r, func(a, b string) int { return roleOrder(a) - roleOrder(b) })
	}
	return out
}

// roleRank orders files by their first role: the manifest, the scripts,
// the placed files, then the rest.
func roleRank(roles []string) int {
	if len(roles) == 0 {
		return 99
	}
	return roleOrder(roles[0])
}

func roleOrder(r string) int {
	return slices.Index([]string{"manifest", "install", "verify", "rollback", "placed"}, r)
}

// isText says whether bytes read as text: valid UTF-8 without NUL bytes.
func isText(b []byte) bool {
	head := b
	if len(head) > 8000 {
		head = head[:8000]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	return utf8.Valid(b)
}
