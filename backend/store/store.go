// Package store opens Shakedown's SQLite database (WAL, foreign keys, busy
// timeout), applies the numbered migrations and runs write transactions.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// TimeFormat is how every timestamp is stored: UTC, fixed width, so that
// text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t the way the database stores it.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a stored timestamp.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

const driverName = "sqlite3_shakedown"

// Every connection reads the file through mmap and keeps a larger page
// cache than SQLite's 2 MiB default, so that hot list reads do not go
// through read(2) for every page.
func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY", nil)
		return err
	}})
}

// DB is the database handle. Reads go straight to the pool; writes go
// through Tx, which serialises them so SQLite never has to retry a lock.
type DB struct {
	*sql.DB
	path    string
	writeMu sync.Mutex
	gen     atomic.Uint64 // write transactions finished; see Generation
	stmts   sync.Map      // query text → *sql.Stmt
	nstmts  atomic.Int32
}

// maxCachedStmts bounds the statement cache; queries past it are prepared
// each time as usual.
const maxCachedStmts = 512

// stmt returns a prepared statement for query, prepared once and reused
// on every connection (database/sql re-prepares per connection lazily).
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	if db.nstmts.Load() >= maxCachedStmts {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	db.nstmts.Add(1)
	return st, nil
}

// Read runs a read query through the statement cache. Use it for the hot
// read paths whose query text comes from a small fixed set.
func (db *DB) Read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// ReadRow is Read for a single row.
func (db *DB) ReadRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, query)
	if err != nil || st == nil {
		return db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sqlDB, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(0)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{DB: sqlDB, path: path}
	if err := db.Migrate(ctx, Migrations); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Tx runs fn in one write transaction: committed if fn returns nil, rolled
// back otherwise (nothing half-written).
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	// After the commit (or rollback): a reader that sees the new
	// generation also sees what this transaction wrote.
	defer db.gen.Add(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Querier is what *sql.DB and *sql.Tx share, so that read helpers run
// inside or outside a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// IsUniqueViolation reports whether err is a UNIQUE constraint failure.
func IsUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// Where builds the WHERE clause of a filtered listing from optional
// conditions, keeping the text and its arguments together.
type Where struct {
	conds []string
	args  []any
}

// Add appends a condition with its arguments.
func (w *Where) Add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// Equal appends "column = value" when value is not empty.
func (w *Where) Equal(column, value string) {
	if value != "" {
		w.Add(column+" = ?", value)
	}
}

// SQL is " WHERE a AND b", or "" when there is no condition.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Args are the arguments of the conditions, in order.
func (w *Where) Args() []any { return w.args }

// EscapeLike escapes LIKE wildcards in s for a pattern with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
