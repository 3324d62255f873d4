package packages

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// bigPackage writes a .tar.gz of the example manifest plus one file of
// incompressible bytes, size bytes long.
func bigPackage(b *testing.B, size int64) []byte {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for _, m := range goodMembers() {
		if m.typ != 0 || m.name == "files/version.txt" {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(m.body))
	}
	tw.WriteHeader(&tar.Header{Name: "files/version.txt", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	rng := rand.NewChaCha8([32]byte{1})
	io.CopyN(tw, rng, size)
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// peakHeap samples the heap while fn runs and returns the growth over the
// starting heap.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	fn()
	close(done)
	return peak - start
}

// BenchmarkPut uploads a 256 MiB package through the store: streamed to
// disk, hashed, scanned (every entry hashed) and recorded; then Open checks
// the digest again. Reports throughput and the heap growth (streaming keeps
// it flat whatever the package size).
func BenchmarkPut(b *testing.B) {
	const size = 256 << 20
	pkg := bigPackage(b, size)
	s, _, _ := newStore(b)
	ctx := context.Background()
	b.SetBytes(int64(len(pkg)))
	b.ResetTimer()
	var heap uint64
	for i := 0; i < b.N; i++ {
		s.db.Exec(`DELETE FROM packages`)
		cleanup(s)
		heap = max(heap, peakHeap(func() {
			if _, err := s.Put(ctx, tess, bytes.NewReader(pkg), "big.tar.gz"); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(heap)/(1<<20), "MiB-heap-growth")
}

// BenchmarkOpenVerify is the digest check on every read of a 256 MiB package.
func BenchmarkOpenVerify(b *testing.B) {
	pkg := bigPackage(b, 256<<20)
	s, _, _ := newStore(b)
	ctx := context.Background()
	p, err := s.Put(ctx, tess, bytes.NewReader(pkg), "")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pkg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, _, err := s.Open(ctx, p.Digest)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func cleanup(s *Store) { s.Cleanup(context.Background()) }
