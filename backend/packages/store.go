package packages

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// DefaultMaxBytes is the default upload size limit: 2 GiB.
const DefaultMaxBytes = 2 << 30

// Package is a stored, immutable release package.
type Package struct {
	Digest      string   `json:"digest"`
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Description string   `json:"description"`
	Format      string   `json:"format"`
	Size        int64    `json:"size"`
	Filename    string   `json:"filename"`
	Manifest    Manifest `json:"manifest"`
	Entries     []Entry  `json:"entries"`
	CreatedBy   string   `json:"created_by"`
	CreatedAt   string   `json:"created_at"`
	// Existed says the same bytes were stored before this upload.
	Existed bool `json:"existed,omitempty"`
}

// CorruptError is a stored package whose bytes no longer match its digest.
type CorruptError struct {
	Digest, Actual string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("Package %s is corrupt on disk: its bytes now hash to sha256:%s. Upload the package again or restore it from a backup.", e.Digest, e.Actual)
}
func (e *CorruptError) Kind() apperr.Kind { return apperr.KindUnavailable }

// Store keeps package archives under dir, named by their sha256, and their
// records in the database.
type Store struct {
	dir      string
	db       *store.DB
	bus      events.Publisher
	log      *slog.Logger
	MaxBytes int64
	Limits   Limits
	now      func() time.Time
}

// NewStore returns a store under dir (created when missing).
func NewStore(dir string, db *store.DB, bus events.Publisher, log *slog.Logger) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), filepath.Join(dir, "sha256")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	return &Store{dir: dir, db: db, bus: bus, log: log, MaxBytes: DefaultMaxBytes, Limits: DefaultLimits, now: time.Now}, nil
}

// SetClock replaces the store's clock (demo data).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

var digestRE = regexp.MustCompile(`^(sha256:)?([0-9a-f]{64})$`)

// ParseDigest accepts "sha256:<hex>" or bare hex and returns "sha256:<hex>".
func ParseDigest(field, d string) (string, error) {
	m := digestRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(d)))
	if m == nil {
		return "", apperr.Invalid(field, "A package digest is sha256: followed by 64 hex digits.")
	}
	return "sha256:" + m[2], nil
}

func (s *Store) blobPath(digest string) string {
	hexd := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(s.dir, "sha256", hexd[:2], hexd)
}

// Put streams an upload to disk, checks it and stores it. The same bytes give
// the same digest and the same package (Existed is set); a rejected or broken
// upload leaves no file and no row.
func (s *Store) Put(ctx context.Context, by auth.Actor, r io.Reader, filename string) (*Package, error) {
	filename = filepath.Base(strings.TrimSpace(filename))
	if len(filename) > 200 || filename == "." || filename == "/" {
		filename = ""
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "upload-*")
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		tmp.Close()
		if !keep {
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, s.MaxBytes+1))
	if err != nil {
		var tl interface{ Kind() apperr.Kind }
		if errors.As(err, &tl) || ctx.Err() != nil {
			return nil, err
		}
		return nil, apperr.Invalid("archive", "The upload broke off after %s: %v. Nothing was stored; send it again.", human(n), err)
	}
	if n > s.MaxBytes {
		return nil, &apperr.TooLargeError{Message: fmt.Sprintf("The package is larger than the %s limit.", human(s.MaxBytes))}
	}
	c, err := Scan(tmp, n, s.Limits, false)
	if err != nil {
		return nil, err
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	p := &Package{Digest: digest, Name: c.Manifest.Name, Version: c.Manifest.Version, Description: c.Manifest.Description,
		Format: c.Format, Size: n, Filename: filename, Manifest: *c.Manifest, Entries: c.Entries}
	placed, err := s.place(tmp.Name(), digest)
	if err != nil {
		return nil, err
	}
	keep = true
	out, err := s.record(ctx, by, p)
	if err != nil && placed {
		// Only when no other upload of the same bytes recorded it meanwhile.
		var one int
		if s.db.QueryRowContext(context.WithoutCancel(ctx), `SELECT 1 FROM packages WHERE digest = ?`, digest).Scan(&one) != nil {
			os.Remove(s.blobPath(digest))
		}
	}
	return out, err
}

// place moves a checked upload to its content address; placed is false when
// the same bytes were there already (the upload is then dropped).
func (s *Store) place(tmp, digest string) (placed bool, err error) {
	final := s.blobPath(digest)
	if _, err := os.Stat(final); err == nil {
		if hashFile(final) == digest {
			return false, os.Remove(tmp)
		}
		// The stored copy went bad on disk: the new upload repairs it.
		s.log.Warn("replacing a corrupt stored package with a fresh upload", "digest", digest)
		os.Chmod(final, 0o640)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp, 0o440); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, final)
}

// record inserts the package's row, or returns the existing one.
func (s *Store) record(ctx context.Context, by auth.Actor, p *Package) (*Package, error) {
	manifest, _ := json.Marshal(p.Manifest)
	entries, _ := json.Marshal(p.Entries)
	now := s.now().UTC()
	var existed bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO packages (digest, name, version, description, format, size, filename, manifest, entries, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.Digest, p.Name, p.Version, p.Description, p.Format, p.Size, p.Filename,
			string(manifest), string(entries), by.Username, store.FormatTime(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			existed = true
			return nil
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "package.create", Entity: "package", EntityID: p.Digest,
			After: map[string]any{"name": p.Name, "version": p.Version, "size": p.Size, "format": p.Format, "files": len(p.Entries)}})
	})
	if err != nil {
		return nil, err
	}
	out, err := s.Get(ctx, p.Digest)
	if err != nil {
		return nil, err
	}
	out.Existed = existed
	if !existed {
		s.bus.Publish(events.PackageCreated, p.Digest, out.summary())
	}
	return out, nil
}

func (p *Package) summary() Package {
	q := *p
	q.Entries = nil
	return q
}

// Get returns a package's record with its entries.
func (s *Store) Get(ctx context.Context, digest string) (*Package, error) {
	d, err := ParseDigest("digest", digest)
	if err != nil {
		return nil, err
	}
	var p Package
	var manifest, entries string
	err = s.db.ReadRow(ctx, `SELECT digest, name, version, description, format, size, filename, manifest, entries, created_by, created_at
		FROM packages WHERE digest = ?`, d).Scan(&p.Digest, &p.Name, &p.Version, &p.Description, &p.Format, &p.Size, &p.Filename,
		&manifest, &entries, &p.CreatedBy, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("package", d)
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(manifest), &p.Manifest); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(entries), &p.Entries); err != nil {
		return nil, err
	}
	return &p, nil
}

// Filter selects packages.
type Filter struct {
	Query         string
	Limit, Offset int
}

// List returns packages newest first, without their entries.
func (s *Store) List(ctx context.Context, f Filter) ([]Package, int, error) {
	var w store.Where
	if q := strings.TrimSpace(f.Query); q != "" {
		w.Add(`(name LIKE ? ESCAPE '\' OR digest LIKE ? ESCAPE '\')`, "%"+store.EscapeLike(q)+"%", "sha256:"+store.EscapeLike(strings.TrimPrefix(q, "sha256:"))+"%")
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM packages`+w.SQL(), w.Args()...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT digest, name, version, description, format, size, filename, manifest, created_by, created_at
		FROM packages`+w.SQL()+` ORDER BY created_at DESC, digest LIMIT ? OFFSET ?`, append(w.Args(), f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Package{}
	for rows.Next() {
		var p Package
		var manifest string
		if err := rows.Scan(&p.Digest, &p.Name, &p.Version, &p.Description, &p.Format, &p.Size, &p.Filename, &manifest, &p.CreatedBy, &p.CreatedAt); err != nil {
			return nil, 0, err
		}
		_ = json.Unmarshal([]byte(manifest), &p.Manifest)
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// Open returns a package's archive after checking that its bytes still hash
// to its digest; the caller closes it.
func (s *Store) Open(ctx context.Context, digest string) (*os.File, *Package, error) {
	p, err := s.Get(ctx, digest)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(s.blobPath(p.Digest))
	if err != nil {
		return nil, nil, &CorruptError{Digest: p.Digest, Actual: "(the file is missing)"}
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		f.Close()
		return nil, nil, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); "sha256:"+got != p.Digest {
		f.Close()
		return nil, nil, &CorruptError{Digest: p.Digest, Actual: got}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, p, nil
}

// Contents opens a verified package and returns its files in memory, for
// copying into lab guests; packages over maxBytes are refused.
func (s *Store) Contents(ctx context.Context, digest string, maxBytes int64) (*Contents, *Package, error) {
	f, p, err := s.Open(ctx, digest)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var unpacked int64
	for _, e := range p.Entries {
		unpacked += e.Size
	}
	if unpacked > maxBytes {
		return nil, nil, apperr.Invalid("package_digest", "Package %s unpacks to %s; a lab copies at most %s into its guests.", p.Digest, human(unpacked), human(maxBytes))
	}
	c, err := Scan(f, p.Size, s.Limits, true)
	return c, p, err
}

// Cleanup removes what a crash left: unfinished uploads and archives with no
// record.
func (s *Store) Cleanup(ctx context.Context) (removed int, err error) {
	tmps, _ := filepath.Glob(filepath.Join(s.dir, "tmp", "*"))
	for _, t := range tmps {
		if os.Remove(t) == nil {
			removed++
		}
	}
	blobs, _ := filepath.Glob(filepath.Join(s.dir, "sha256", "*", "*"))
	for _, b := range blobs {
		var one int
		err := s.db.ReadRow(ctx, `SELECT 1 FROM packages WHERE digest = ?`, "sha256:"+filepath.Base(b)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			if os.Remove(b) == nil {
				removed++
			}
		} else if err != nil {
			return removed, err
		}
	}
	if removed > 0 {
		s.log.Info("package store cleaned up after an interrupted upload", "removed", removed)
	}
	return removed, nil
}

// hashFile is a file's "sha256:<hex>" ("" when it cannot be read).
func hashFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
