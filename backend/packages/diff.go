package packages

// A diff between two packages: which files were added, removed or changed,
// with a unified line diff for text files.

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shakedown/shakedown/backend/linediff"
)

// FileChangeKind is what happened to a file between two packages.
type FileChangeKind string

// The kinds of change.
const (
	FileAdded   FileChangeKind = "added"
	FileRemoved FileChangeKind = "removed"
	FileChanged FileChangeKind = "changed"
)

// EnumValues lists the kinds of change, for the API document.
func (FileChangeKind) EnumValues() []string {
	return []string{string(FileAdded), string(FileRemoved), string(FileChanged)}
}

// FileChange is one file that differs between two packages.
type FileChange struct {
	Path      string         `json:"path"`
	Change    FileChangeKind `json:"change"`
	Kind      FileKind       `json:"kind"` // of the new file (of the old one when removed)
	OldSize   int64          `json:"old_size"`
	NewSize   int64          `json:"new_size"`
	OldSHA256 string         `json:"old_sha256,omitempty"`
	NewSHA256 string         `json:"new_sha256,omitempty"`
	Roles     []string       `json:"roles"`
	// Hunks is the line diff of a text file (an added file is all
	// inserts, a removed one all deletes); Note says why there is none.
	Hunks []linediff.Hunk `json:"hunks"`
	Note  string          `json:"note,omitempty"`
}

// PackageRef names a package.
type PackageRef struct {
	Digest  string `json:"digest"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Diff is what changed from a base package to a head package.
type Diff struct {
	Base      PackageRef   `json:"base"`
	Head      PackageRef   `json:"head"`
	Files     []FileChange `json:"files"`
	Added     int          `json:"added"`
	Removed   int          `json:"removed"`
	Changed   int          `json:"changed"`
	Unchanged int          `json:"unchanged"`
}

// diffContext is the unchanged lines shown around a change.
const diffContext = 3

// Diff compares two stored packages (both digests checked).
func (s *Store) Diff(ctx context.Context, base, head string) (*Diff, error) {
	old, err := s.Files(ctx, base)
	if err != nil {
		return nil, err
	}
	cur, err := s.Files(ctx, head)
	if err != nil {
		return nil, err
	}
	return DiffFiles(old, cur), nil
}

// DiffFiles compares two packages' file lists.
func DiffFiles(old, cur *FileList) *Diff {
	d := &Diff{Base: PackageRef{old.Digest, old.Name, old.Version}, Head: PackageRef{cur.Digest, cur.Name, cur.Version}, Files: []FileChange{}}
	before := map[string]File{}
	for _, f := range old.Files {
		before[f.Path] = f
	}
	seen := map[string]bool{}
	for _, f := range cur.Files {
		seen[f.Path] = true
		o, ok := before[f.Path]
		switch {
		case !ok:
			d.Added++
			d.Files = append(d.Files, change(FileAdded, File{}, f))
		case o.Kind == f.Kind && o.SHA256 == f.SHA256 && o.Link == f.Link && o.Mode == f.Mode:
			d.Unchanged++
		default:
			d.Changed++
			d.Files = append(d.Files, change(FileChanged, o, f))
		}
	}
	for _, o := range old.Files {
		if !seen[o.Path] {
			d.Removed++
			d.Files = append(d.Files, change(FileRemoved, o, File{}))
		}
	}
	// the manifest and scripts first, then by path
	slices.SortStableFunc(d.Files, func(a, b FileChange) int {
		if ra, rb := roleRank(a.Roles), roleRank(b.Roles); ra != rb {
			return ra - rb
		}
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return d
}

func change(kind FileChangeKind, o, f File) FileChange {
	c := FileChange{Path: f.Path, Change: kind, Kind: f.Kind, OldSize: o.Size, NewSize: f.Size, OldSHA256: o.SHA256, NewSHA256: f.SHA256,
		Roles: f.Roles, Hunks: []linediff.Hunk{}}
	if kind == FileRemoved {
		c.Path, c.Kind, c.Roles = o.Path, o.Kind, o.Roles
	}
	if c.Roles == nil {
		c.Roles = []string{}
	}
	textual := func(x File) bool { return x.Path == "" || x.Kind == FileText }
	switch {
	case c.Kind == FileDir:
	case c.Kind == FileSymlink || o.Kind == FileSymlink:
		c.Note = fmt.Sprintf("link %q → %q", o.Link, f.Link)
	case o.Elided || f.Elided:
		c.Note = "not shown line by line: the package holds more text than is shown at once; compare sizes and sha256"
	case !textual(o) || !textual(f):
		if o.SHA256 == f.SHA256 && kind == FileChanged {
			c.Note = fmt.Sprintf("mode %s → %s", o.Mode, f.Mode)
		} else {
			c.Note = "not shown line by line (binary or over 64 KiB): compare sizes and sha256"
		}
	default:
		h, err := linediff.Unified(o.Text, f.Text, diffContext)
		var tl *linediff.TooLargeError
		if errors.As(err, &tl) {
			c.Note = "too many changed lines to show line by line"
		} else {
			c.Hunks = h
		}
		if len(h) == 0 && err == nil && o.Mode != f.Mode {
			c.Note = fmt.Sprintf("mode %s → %s", o.Mode, f.Mode)
		}
	}
	return c
}
