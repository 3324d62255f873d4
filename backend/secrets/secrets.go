// Package secrets seals the secrets Shakedown must keep and use again (the
// SSH passwords and private keys of rollout targets) with AES-256-GCM under
// one key held outside the database: a file of 32 random bytes, secret.key
// (mode 0600) in the data directory, made on the first start. The database
// alone (a backup, a copy) does not reveal them; the key file must be kept
// with it, and apart from it.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// KeyFile is the key's file name in the data directory.
const KeyFile = "secret.key"

// KeySize is the key's length: AES-256.
const KeySize = 32

// version is the first byte of every sealed value, so that another
// algorithm can come later beside this one.
const version = 1

// Box seals and opens secrets with the server's key.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("the secret key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// LoadOrCreate reads the key at path, or makes it (32 random bytes, mode
// 0600) when there is none; created says which. A key file of another size,
// or one that others than its owner may read, is refused: Shakedown does not
// start on a key it cannot trust to be secret.
func LoadOrCreate(path string) (box *Box, created bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		key := make([]byte, KeySize)
		if _, err := io.ReadFull(rand.Reader, key); err != nil {
			f.Close()
			os.Remove(path)
			return nil, false, err
		}
		if _, err := f.Write(key); err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, false, fmt.Errorf("write the secret key %s: %w", path, err)
		}
		box, err := New(key)
		return box, true, err
	case !errors.Is(err, fs.ErrExist):
		return nil, false, fmt.Errorf("create the secret key %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("the secret key %s may be read by others (mode %04o): make it readable by its owner only (chmod 600)", path, st.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read the secret key %s: %w", path, err)
	}
	if len(key) != KeySize {
		return nil, false, fmt.Errorf("the secret key %s holds %d bytes, not %d: it is not a Shakedown key", path, len(key), KeySize)
	}
	box, err = New(key)
	return box, false, err
}

// Seal encrypts plain for the place named by context (e.g. "target/42/
// credential"): a sealed value opens only with the same context, so that
// it cannot be moved to another row or field.
func (b *Box) Seal(plain []byte, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	out := make([]byte, 0, 1+len(nonce)+len(plain)+b.aead.Overhead())
	out = append(out, version)
	out = append(out, nonce...)
	return b.aead.Seal(out, nonce, plain, []byte(context))
}

// ErrOpen says a sealed value does not open: another key, another context,
// or altered bytes.
var ErrOpen = errors.New("the secret cannot be decrypted with this server's secret.key (was the key file replaced, or the value altered?)")

// Open decrypts a value Seal made for the same context.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
