package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "shakedown.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenSetsPragmas(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
	var busy int
	if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy < 1000 {
		t.Fatalf("busy_timeout = %d, %v", busy, err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != len(Migrations) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(Migrations))
	}
}

// Each migration is applied to a database seeded at the previous version,
// and must leave the seeded rows readable.
func TestMigrationsFromEachPreviousVersion(t *testing.T) {
	ctx := context.Background()
	for i := range Migrations {
		m := Migrations[i]
		t.Run(m.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			raw, err := sql.Open(driverName, "file:"+path+"?_foreign_keys=on")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			db := &DB{DB: raw, path: path}
			if err := db.Migrate(ctx, Migrations[:i]); err != nil {
				t.Fatal(err)
			}
			if seed, ok := migrationSeeds[m.Version]; ok {
				if err := seed(ctx, db); err != nil {
					t.Fatalf("seed before %d: %v", m.Version, err)
				}
			}
			if err := db.Migrate(ctx, Migrations[:i+1]); err != nil {
				t.Fatal(err)
			}
			if v, _ := db.SchemaVersion(ctx); v != m.Version {
				t.Fatalf("version %d after migration, want %d", v, m.Version)
			}
			if check, ok := migrationChecks[m.Version]; ok {
				if err := check(ctx, db); err != nil {
					t.Fatalf("check after %d: %v", m.Version, err)
				}
			}
		})
	}
}

// migrationSeeds puts rows into a database at version N-1; migrationChecks
// reads them back after migration N.
var migrationSeeds = map[int]func(context.Context, *DB) error{
	17: func(ctx context.Context, db *DB) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			for _, s := range []string{
				`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at) VALUES
					(1,'a','1','minor','production','deploying','2026-01-01T08:00:00.000Z','2026-01-01T10:00:00.000Z','t','x','x')`,
				`INSERT INTO rollouts (id, release_id, digest, plan, status, created_by, created_at, updated_at) VALUES
					('paused',1,'d','{}','paused','adam','2026-01-01T08:00:00.000Z','2026-01-01T08:30:00.000Z'),
					('running',1,'d','{}','running','adam','2026-01-01T08:00:00.000Z','2026-01-01T08:40:00.000Z')`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
	},
	5: func(ctx context.Context, db *DB) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			for _, s := range []string{
				`INSERT INTO cis (id, name, kind, environment, criticality, created_at, updated_at) VALUES (1,'db7','host','production','high','x','x')`,
				`INSERT INTO ci_images (ci_id, host, volume, path, format, source_format, capacity, bytes, sha256, origin, created_by, created_at)
					VALUES (1,'local','sd-image-1-ab.img','/p/sd-image-1-ab.img','raw','raw',1,1,'x','upload','tess','x')`,
				`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at) VALUES
					(1,'a','1','minor','production','testing','2026-01-01T08:00:00.000Z','2026-01-01T10:00:00.000Z','t','x','x')`,
				`INSERT INTO labs (id, release_id, host, status, expires_at, created_by, created_at, updated_at) VALUES ('l1',1,'local','passed','x','tess','x','x')`,
				`INSERT INTO lab_bases (lab_id, host, domain, disk, kind, base_path, base_format, capacity, state, created_at)
					VALUES ('l1','local','web','vda','snapshot','/p/web.qcow2','qcow2',1,'in-use','x')`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
	},
	4: func(ctx context.Context, db *DB) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			for _, s := range []string{
				`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at) VALUES
					(1,'a','1','minor','production','testing','2026-01-01T08:00:00.000Z','2026-01-01T10:00:00.000Z','t','x','x')`,
				`INSERT INTO labs (id, release_id, host, status, expires_at, created_by, created_at, updated_at) VALUES ('l1',1,'local','passed','x','tess','x','x')`,
				`INSERT INTO evidence (release_id, lab_id, at, vm, kind, name, passed, exit_code) VALUES (1,'l1','x','web','install','install',1,0), (1,'l1','x','web','check','http',0,1)`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
	},
	// Two active releases sharing a CI in overlapping windows, and a
	// cancelled one that overlaps too but no longer counts.
	2: func(ctx context.Context, db *DB) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			for _, s := range []string{
				`INSERT INTO cis (id, name, kind, environment, criticality, created_at, updated_at) VALUES (1,'db','vm','production','high','x','x')`,
				`INSERT INTO releases (id, name, version, type, environment, state, planned_start, planned_end, created_by, created_at, updated_at) VALUES
					(1,'a','1','minor','production','planned','2026-01-01T08:00:00.000Z','2026-01-01T10:00:00.000Z','t','x','x'),
					(2,'b','1','minor','production','testing','2026-01-01T09:00:00.000Z','2026-01-01T11:00:00.000Z','t','x','x'),
					(3,'c','1','minor','production','cancelled','2026-01-01T09:00:00.000Z','2026-01-01T11:00:00.000Z','t','x','x')`,
				`INSERT INTO release_cis VALUES (1,1),(2,1),(3,1)`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
	},
}
var migrationChecks = map[int]func(context.Context, *DB) error{
	// A paused rollout was paused when it was last written; a running one is not paused.
	17: func(ctx context.Context, db *DB) error {
		var got string
		err := db.QueryRowContext(ctx, `SELECT group_concat(id || '=' || paused_at, ' ') FROM (SELECT * FROM rollouts ORDER BY id)`).Scan(&got)
		if err == nil && got != "paused=2026-01-01T08:30:00.000Z running=" {
			err = fmt.Errorf("paused_at after migration %q", got)
		}
		return err
	},
	// Images are ready, bases keep everything but the host.
	5: func(ctx context.Context, db *DB) error {
		var state, domain string
		if err := db.QueryRowContext(ctx, `SELECT state FROM ci_images WHERE ci_id = 1`).Scan(&state); err != nil || state != "ready" {
			return fmt.Errorf("image state %q (%v), want ready", state, err)
		}
		if err := db.QueryRowContext(ctx, `SELECT domain FROM lab_bases WHERE lab_id = 'l1'`).Scan(&domain); err != nil || domain != "web" {
			return fmt.Errorf("base domain %q (%v), want web", domain, err)
		}
		_, err := db.ExecContext(ctx, `UPDATE ci_images SET state = 'gone'`)
		if err == nil {
			return fmt.Errorf("an image state outside ready/deleting was accepted")
		}
		return nil
	},
	// Evidence survives the table rebuild, gains its lab's creator, and
	// accepts manual runs; the default policies are there.
	4: func(ctx context.Context, db *DB) error {
		var n int
		var by string
		if err := db.QueryRowContext(ctx, `SELECT count(*), max(added_by) FROM evidence WHERE release_id = 1`).Scan(&n, &by); err != nil {
			return err
		}
		if n != 2 || by != "tess" {
			return fmt.Errorf("evidence after rebuild: %d rows by %q, want 2 by tess", n, by)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO evidence (release_id, at, vm, kind, name, passed, exit_code) VALUES (1,'x','web','manual','run',1,0)`); err != nil {
			return err
		}
		var required int
		err := db.QueryRowContext(ctx, `SELECT required FROM approval_policies WHERE environment = '*' AND release_type = 'major'`).Scan(&required)
		if err == nil && required != 2 {
			err = fmt.Errorf("major releases need %d approvals by default, want 2", required)
		}
		return err
	},
	2: func(ctx context.Context, db *DB) error {
		var pairs string
		err := db.QueryRowContext(ctx, `SELECT group_concat(release_id || '-' || other_id, ' ') FROM
			(SELECT * FROM release_overlaps ORDER BY release_id, other_id)`).Scan(&pairs)
		if err == nil && pairs != "1-2 2-1" {
			err = fmt.Errorf("backfilled overlaps %q, want \"1-2 2-1\"", pairs)
		}
		return err
	},
	1: func(ctx context.Context, db *DB) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO releases (name, version, type, environment, state,
				planned_start, planned_end, created_by, created_at, updated_at)
				VALUES ('r','1','minor','production','planned','2026-01-01T00:00:00.000Z','2026-01-02T00:00:00.000Z','t','x','x')`)
			return err
		})
	},
}

func TestMigrationFailureLeavesVersion(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	bad := append(append([]Migration{}, Migrations...), Migration{
		Version: len(Migrations) + 1, Name: "broken",
		Up: execAll(`CREATE TABLE half_done (id INTEGER)`, `THIS IS NOT SQL`),
	})
	if err := db.Migrate(ctx, bad); err == nil {
		t.Fatal("broken migration applied")
	}
	if v, _ := db.SchemaVersion(ctx); v != len(Migrations) {
		t.Fatalf("version moved to %d after a failed migration", v)
	}
	var n int
	db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name='half_done'`).Scan(&n)
	if n != 0 {
		t.Fatal("failed migration left a table behind")
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, Migrations); err == nil {
		t.Fatal("migrated a database from the future")
	}
}

func TestTxRollsBackOnError(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	want := errors.New("stop")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cis (name, kind, environment, criticality, created_at, updated_at)
			VALUES ('a','vm','production','low','x','x')`); err != nil {
			return err
		}
		return want
	})
	if !errors.Is(err, want) {
		t.Fatalf("err = %v", err)
	}
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM cis").Scan(&n)
	if n != 0 {
		t.Fatal("rolled back transaction left a row")
	}
}

func TestUniqueViolation(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	ins := func() error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO cis (name, kind, environment, criticality, created_at, updated_at)
				VALUES ('Web-1','vm','production','low','x','x')`)
			return err
		})
	}
	if err := ins(); err != nil {
		t.Fatal(err)
	}
	if err := ins(); !IsUniqueViolation(err) {
		t.Fatalf("second insert: %v, want unique violation", err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, entity, entity_id, prev_hash, hash)
			VALUES ('x','a','b','c','1','','h')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`UPDATE audit_log SET actor='mallory'`, `DELETE FROM audit_log`} {
		err := db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, stmt); return err })
		if err == nil {
			t.Fatalf("%s succeeded on the audit log", stmt)
		}
	}
}
