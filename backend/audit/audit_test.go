package audit

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

func seed(t *testing.T, n int) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := 0; i < n; i++ {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			return Append(ctx, tx, time.Now(), Record{Actor: "alice", Action: "release.update", Entity: "release",
				EntityID: "7", Before: map[string]any{"n": i}, After: map[string]any{"n": i + 1}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestChainVerifies(t *testing.T) {
	db := seed(t, 5)
	v, err := Verify(context.Background(), db)
	if err != nil || !v.OK || v.Entries != 5 {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	list, total, err := List(context.Background(), db, Filter{Entity: "release", EntityID: "7", Limit: 2})
	if err != nil || total != 5 || len(list) != 2 || list[0].ID != 5 {
		t.Fatalf("list = %d entries, total %d, %v", len(list), total, err)
	}
	if string(list[0].After) != `{"n":5}` {
		t.Fatalf("after = %s", list[0].After)
	}
}

// Tampering is done the way an attacker with the file would: drop the
// triggers, edit a row, and see the verifier name that row.
func TestTamperingIsDetected(t *testing.T) {
	for name, stmt := range map[string]string{
		"edit content": `UPDATE audit_log SET actor = 'mallory' WHERE id = 3`,
		"delete row":   `DELETE FROM audit_log WHERE id = 3`,
	} {
		t.Run(name, func(t *testing.T) {
			db := seed(t, 5)
			ctx := context.Background()
			for _, s := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, stmt} {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			v, err := Verify(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK {
				t.Fatal("tampered chain verified")
			}
			want := int64(3)
			if name == "delete row" {
				want = 4
			}
			if v.FirstBadID != want {
				t.Fatalf("first bad = %d, want %d (%s)", v.FirstBadID, want, v.Message)
			}
		})
	}
}
