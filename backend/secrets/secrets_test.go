package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileIsMadeOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFile)
	box, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() != KeySize || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	sealed := box.Seal([]byte("hunter2"), "target/1/credential")
	again, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second start: created %v, %v", created, err)
	}
	if plain, err := again.Open(sealed, "target/1/credential"); err != nil || string(plain) != "hunter2" {
		t.Fatalf("open with the kept key: %q %v", plain, err)
	}
}

func TestSealedValuesOpenOnlyInTheirPlaceWithTheirKey(t *testing.T) {
	box, _, err := LoadOrCreate(filepath.Join(t.TempDir(), KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("correct horse battery staple")
	a, b := box.Seal(plain, "target/1/credential"), box.Seal(plain, "target/1/credential")
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}
	if bytes.Contains(a, plain) {
		t.Fatal("the sealed value holds the plain text")
	}
	if _, err := box.Open(a, "target/2/credential"); err != ErrOpen {
		t.Fatalf("opened in another row: %v", err)
	}
	a[len(a)-1] ^= 1
	if _, err := box.Open(a, "target/1/credential"); err != ErrOpen {
		t.Fatalf("opened altered bytes: %v", err)
	}
	other, _, _ := LoadOrCreate(filepath.Join(t.TempDir(), KeyFile))
	if _, err := other.Open(b, "target/1/credential"); err != ErrOpen {
		t.Fatalf("opened with another key: %v", err)
	}
}

func TestUntrustworthyKeyFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	os.WriteFile(open, bytes.Repeat([]byte{7}, KeySize), 0o644)
	os.Chmod(open, 0o644)
	if _, _, err := LoadOrCreate(open); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key others may read: %v", err)
	}
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("0123456789"), 0o600)
	if _, _, err := LoadOrCreate(short); err == nil || !strings.Contains(err.Error(), "10 bytes") {
		t.Fatalf("a short key: %v", err)
	}
}
