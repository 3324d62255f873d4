package store

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// countRows is a real read the memo keeps.
func countRows(t *testing.T, db *DB) func() (int, error) {
	return func() (int, error) {
		var n int
		err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log`).Scan(&n)
		return n, err
	}
}

func writeRow(t *testing.T, db *DB) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO audit_log (at, actor, action, entity, entity_id, prev_hash, hash) VALUES ('x', 'a', 'memo.test', 'e', '1', '', 'h')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMemoKeepsAValueUntilTheNextWrite(t *testing.T) {
	db := openTemp(t)
	m := NewMemo[string, int](db, 8)
	var reads atomic.Int32
	read := func() (int, error) { reads.Add(1); return countRows(t, db)() }

	first, _ := m.Get("k", read)
	again, _ := m.Get("k", read)
	if reads.Load() != 1 || again != first {
		t.Fatalf("two gets without a write: %d reads, values %d then %d; want 1 read, same value", reads.Load(), first, again)
	}
	writeRow(t, db)
	after, _ := m.Get("k", read)
	if reads.Load() != 2 || after != first+1 {
		t.Fatalf("after a write: %d reads, value %d; want 2 reads and %d", reads.Load(), after, first+1)
	}
}

// A write that commits while a read runs leaves what that read returned
// stale: the next Get reads again and sees the write.
func TestMemoWriteDuringReadIsSeenNext(t *testing.T) {
	db := openTemp(t)
	m := NewMemo[string, int](db, 8)
	read := countRows(t, db)
	before, _ := read()
	got, _ := m.Get("k", func() (int, error) {
		n, err := read()
		writeRow(t, db) // commits after this read looked
		return n, err
	})
	if got != before {
		t.Fatalf("first get = %d, want %d", got, before)
	}
	if next, _ := m.Get("k", read); next != before+1 {
		t.Fatalf("get after a write that raced the read = %d, want %d (a stale value was kept)", next, before+1)
	}
}

func TestMemoSharesOneReadAmongConcurrentMisses(t *testing.T) {
	db := openTemp(t)
	m := NewMemo[string, int](db, 8)
	var reads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := m.Get("k", func() (int, error) { reads.Add(1); <-release; return 42, nil })
			if err != nil || v != 42 {
				t.Errorf("get = %d, %v", v, err)
			}
		}()
	}
	for reads.Load() == 0 {
		runtime.Gosched() // wait for the first caller to start reading
	}
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Fatalf("10 concurrent misses ran %d reads, want 1", n)
	}
}

func TestMemoForgetsErrorsAndPanics(t *testing.T) {
	db := openTemp(t)
	m := NewMemo[string, int](db, 8)
	boom := errors.New("boom")
	if _, err := m.Get("k", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if v, err := m.Get("k", func() (int, error) { return 7, nil }); err != nil || v != 7 {
		t.Fatalf("after an error: %d, %v; want 7 read afresh", v, err)
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = m.Get("p", func() (int, error) { panic("read panicked") })
	}()
	if v, err := m.Get("p", func() (int, error) { return 9, nil }); err != nil || v != 9 {
		t.Fatalf("after a panic: %d, %v; want 9 read afresh", v, err)
	}
}

func TestMemoIsBounded(t *testing.T) {
	db := openTemp(t)
	m := NewMemo[int, int](db, 4)
	for i := range 100 {
		_, _ = m.Get(i, func() (int, error) { return i, nil })
	}
	if n := len(m.entries); n > 4 {
		t.Fatalf("%d entries kept, want at most 4", n)
	}
}
