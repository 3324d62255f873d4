package packages

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

var tess = auth.Actor{UserID: 2, Username: "tess", Roles: []auth.Role{auth.RoleTester}}

func newStore(t testing.TB) (*Store, *store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := NewStore(filepath.Join(dir, "packages"), db, events.NewBus(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s, db, filepath.Join(dir, "packages")
}

// files lists what the store holds on disk, outside tmp/ and inside it.
func files(t *testing.T, dir string) (blobs, tmps int) {
	b, _ := filepath.Glob(filepath.Join(dir, "sha256", "*", "*"))
	tm, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	return len(b), len(tm)
}

func rows(t *testing.T, db *store.DB) int {
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM packages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPutIsContentAddressedAndIdempotent(t *testing.T) {
	s, db, dir := newStore(t)
	ctx := context.Background()
	b := tarGz(t, goodMembers()...)
	p, err := s.Put(ctx, tess, bytes.NewReader(b), "webapp.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Digest, "sha256:") || p.Existed || p.Size != int64(len(b)) || p.CreatedBy != "tess" || len(p.Entries) != 6 {
		t.Fatalf("package %+v", p)
	}
	again, err := s.Put(ctx, tess, bytes.NewReader(b), "other-name.tgz")
	if err != nil || again.Digest != p.Digest || !again.Existed || again.Filename != "webapp.tar.gz" {
		t.Fatalf("re-upload: %+v, %v", again, err)
	}
	changed := tarGz(t, append(goodMembers(), member{name: "extra", body: "1"})...)
	other, err := s.Put(ctx, tess, bytes.NewReader(changed), "webapp.tar.gz")
	if err != nil || other.Digest == p.Digest {
		t.Fatalf("a changed package must be a new package: %+v %v", other, err)
	}
	if bl, tm := files(t, dir); bl != 2 || tm != 0 || rows(t, db) != 2 {
		t.Fatalf("%d blobs, %d temp files, %d rows; want 2, 0, 2", bl, tm, rows(t, db))
	}
	f, got, err := s.Open(ctx, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	read, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(read, b) || got.Name != "webapp" {
		t.Fatal("Open returned other bytes")
	}
}

// Every read checks the digest: a flipped byte on disk is reported, not served.
func TestOpenDetectsCorruption(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	p, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, goodMembers()...)), "")
	if err != nil {
		t.Fatal(err)
	}
	path := s.blobPath(p.Digest)
	os.Chmod(path, 0o640)
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0xff
	os.WriteFile(path, data, 0o640)
	_, _, err = s.Open(ctx, p.Digest)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "is corrupt on disk") {
		t.Fatalf("corrupt package opened: %v", err)
	}
	if _, _, err := s.Contents(ctx, p.Digest, 1<<20); !errors.As(err, &ce) {
		t.Fatalf("Contents of a corrupt package: %v", err)
	}
}

// brokenReader is a client whose connection drops after some bytes.
type brokenReader struct {
	r     io.Reader
	after int
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.after <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > b.after {
		p = p[:b.after]
	}
	n, err := b.r.Read(p)
	b.after -= n
	return n, err
}

func TestRejectedUploadsLeaveNothing(t *testing.T) {
	s, db, dir := newStore(t)
	ctx := context.Background()
	good := tarGz(t, goodMembers()...)
	s.MaxBytes = int64(len(good)) - 1
	if _, err := s.Put(ctx, tess, bytes.NewReader(good), ""); apperr.KindOf(err) != apperr.KindTooLarge {
		t.Fatalf("over the limit: %v", err)
	}
	s.MaxBytes = DefaultMaxBytes
	if _, err := s.Put(ctx, tess, &brokenReader{bytes.NewReader(good), len(good) / 2}, ""); apperr.FieldOf(err) != "archive" || !strings.Contains(err.Error(), "broke off") {
		t.Fatalf("dropped connection: %v", err)
	}
	if _, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, member{name: "/abs", body: "x"})), ""); apperr.KindOf(err) != apperr.KindInvalid {
		t.Fatalf("bad archive: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cctx, tess, bytes.NewReader(good), ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	if bl, tm := files(t, dir); bl != 0 || tm != 0 || rows(t, db) != 0 {
		t.Fatalf("after rejected uploads: %d blobs, %d temp files, %d rows", bl, tm, rows(t, db))
	}
}

// A crash between writing the file and its row leaves debris that Cleanup removes.
func TestCleanupRemovesDebris(t *testing.T) {
	s, _, dir := newStore(t)
	ctx := context.Background()
	p, err := s.Put(ctx, tess, bytes.NewReader(tarGz(t, goodMembers()...)), "")
	if err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, "sha256", "ab", strings.Repeat("ab", 32))
	os.MkdirAll(filepath.Dir(orphan), 0o750)
	os.WriteFile(orphan, []byte("x"), 0o440)
	os.WriteFile(filepath.Join(dir, "tmp", "upload-123"), []byte("half"), 0o600)
	if n, err := s.Cleanup(ctx); err != nil || n != 2 {
		t.Fatalf("cleanup removed %d, %v; want 2", n, err)
	}
	if _, _, err := s.Open(ctx, p.Digest); err != nil {
		t.Fatalf("cleanup touched a recorded package: %v", err)
	}
}

// A stored package corrupted on disk is repaired by uploading the same bytes.
func TestReuploadRepairsACorruptPackage(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	good := tarGz(t, goodMembers()...)
	p, err := s.Put(ctx, tess, bytes.NewReader(good), "")
	if err != nil {
		t.Fatal(err)
	}
	path := s.blobPath(p.Digest)
	os.Chmod(path, 0o640)
	os.WriteFile(path, []byte("rotten"), 0o640)
	if _, _, err := s.Open(ctx, p.Digest); err == nil {
		t.Fatal("a corrupt package opened")
	}
	if again, err := s.Put(ctx, tess, bytes.NewReader(good), ""); err != nil || !again.Existed {
		t.Fatalf("re-upload: %+v %v", again, err)
	}
	if f, _, err := s.Open(ctx, p.Digest); err != nil {
		t.Fatalf("after the re-upload: %v", err)
	} else {
		f.Close()
	}
}
