package packages

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
)

// SourceFile is one file of a package assembled in the UI.
type SourceFile struct {
	Path     string `json:"path"`
	Content  string `json:"content"`
	Encoding string `json:"encoding,omitempty"` // text (default) or base64
	Mode     string `json:"mode,omitempty"`     // octal; none: 0644
}

// AssembleInput builds a package from a manifest and files.
type AssembleInput struct {
	ReleaseID int64        `json:"release_id,omitempty"` // none: the package is stored, attached to no release
	Manifest  Manifest     `json:"manifest"`
	Files     []SourceFile `json:"files,omitempty"`
}

// MaxAssembleBytes bounds the files of a package assembled from a form.
const MaxAssembleBytes = 32 << 20

// epoch is every assembled entry's time, so that the same input always
// gives the same bytes and so the same digest.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Build writes a deterministic .tar.gz: shakedown.json first, then the files
// sorted by path, all owned by root at a fixed time.
func Build(m Manifest, files []SourceFile) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.Files == nil {
		m.Files = []FilePlace{}
	}
	if m.HealthChecks == nil {
		m.HealthChecks = []HealthCheck{}
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	type member struct {
		path string
		mode int64
		data []byte
	}
	members := []member{}
	seen := map[string]bool{}
	total := 0
	for i, f := range files {
		field := fmt.Sprintf("files[%d]", i)
		if err := checkEntryName(f.Path); err != nil {
			return nil, apperr.Invalid(field+".path", "%s.", capitalise(err.Error()))
		}
		if slices.Contains(ManifestNames, f.Path) {
			return nil, apperr.Invalid(field+".path", "%s is the manifest's name; the manifest is written from the form.", f.Path)
		}
		if seen[f.Path] {
			return nil, apperr.Invalid(field+".path", "File %s is listed twice.", f.Path)
		}
		seen[f.Path] = true
		data := []byte(f.Content)
		switch f.Encoding {
		case "", "text":
		case "base64":
			if data, err = base64.StdEncoding.DecodeString(f.Content); err != nil {
				return nil, apperr.Invalid(field+".content", "File %s is not valid base64.", f.Path)
			}
		default:
			return nil, apperr.Invalid(field+".encoding", "Encoding is text or base64.")
		}
		mode := int64(0o644)
		if f.Mode != "" {
			mv, err := strconv.ParseUint(f.Mode, 8, 32)
			if err != nil || mv > 0o777 {
				return nil, apperr.Invalid(field+".mode", "Mode %q must be octal, such as 0644 or 0755.", f.Mode)
			}
			mode = int64(mv)
		}
		if total += len(data); total > MaxAssembleBytes {
			return nil, apperr.Invalid("files", "Files assembled in a form hold at most %d MiB; upload an archive instead.", MaxAssembleBytes>>20)
		}
		members = append(members, member{f.Path, mode, data})
	}
	for i, p := range m.Files {
		if !seen[p.Src] {
			return nil, apperr.Invalid(fmt.Sprintf("manifest.files[%d].src", i), "The manifest places %s, but no file by that name was added.", p.Src)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].path < members[j].path })
	members = append([]member{{"shakedown.json", 0o644, append(manifest, '\n')}}, members...)

	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, mb := range members {
		for _, d := range parents(mb.path) {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: mb.path, Mode: mb.mode, Size: int64(len(mb.data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(mb.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parents lists a path's directories, outermost first ("a/b/c" → a, a/b).
func parents(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// Assemble builds a package from a form and stores it like an upload.
func (s *Store) Assemble(ctx context.Context, by auth.Actor, in AssembleInput) (*Package, error) {
	b, err := Build(in.Manifest, in.Files)
	if err != nil {
		return nil, err
	}
	return s.Put(ctx, by, bytes.NewReader(b), fmt.Sprintf("%s-%s.tar.gz", in.Manifest.Name, in.Manifest.Version))
}
