// Package audit keeps Shakedown's tamper-evident trail: an append-only table
// whose rows are hash-chained (each row holds the hash of the previous one).
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

// Record is what a write tells the trail: who did what to which entity,
// with the entity before and after (nil when it did not exist).
type Record struct {
	Actor    string
	Action   string
	Entity   string
	EntityID string
	Before   any
	After    any
}

// Entry is one stored row of the trail.
type Entry struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Entity   string          `json:"entity"`
	EntityID string          `json:"entity_id"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// Append writes r into the trail inside tx, chained to the last row. It runs
// in the caller's transaction so that the change and its record commit
// together or not at all.
func Append(ctx context.Context, tx *sql.Tx, at time.Time, r Record) error {
	before, err := encode(r.Before)
	if err != nil {
		return fmt.Errorf("audit before: %w", err)
	}
	after, err := encode(r.After)
	if err != nil {
		return fmt.Errorf("audit after: %w", err)
	}
	var prev string
	err = tx.QueryRowContext(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("audit chain head: %w", err)
	}
	e := Entry{At: at.UTC().Truncate(time.Millisecond), Actor: r.Actor, Action: r.Action,
		Entity: r.Entity, EntityID: r.EntityID, Before: before, After: after, PrevHash: prev}
	e.Hash = e.computeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		store.FormatTime(e.At), e.Actor, e.Action, e.Entity, e.EntityID, nullable(before), nullable(after), e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

func encode(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return b, nil
}

func nullable(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// computeHash covers every field of the row and the previous hash, with
// lengths so that no two different rows hash alike by shifting text.
func (e *Entry) computeHash() string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, store.FormatTime(e.At), e.Actor, e.Action, e.Entity, e.EntityID, string(e.Before), string(e.After)} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// adminSide are the entities whose entries only admins may read: the users
// (their roles, disabled flag and every sign-in with its address), their API
// tokens and sessions, and the run-time settings. Everyone else reads the
// release-side history.
var adminSide = []string{"user", "token", "session", "settings"}

// AdminOnly reports whether entries about entity are for admins only.
func AdminOnly(entity string) bool { return slices.Contains(adminSide, entity) }

// Filter narrows a listing of the trail.
type Filter struct {
	Entity   string
	EntityID string
	Actor    string
	// Admin says the reader is an admin; without it, entries about the
	// admin-side entities (AdminOnly) are neither listed nor counted.
	Admin  bool
	Limit  int
	Offset int
}

// List returns entries newest first and the total that match.
func List(ctx context.Context, q store.Querier, f Filter) ([]Entry, int, error) {
	var w store.Where
	w.Equal("entity", f.Entity)
	w.Equal("entity_id", f.EntityID)
	w.Equal("actor", f.Actor)
	if !f.Admin {
		args := make([]any, len(adminSide))
		for i, e := range adminSide {
			args[i] = e
		}
		w.Add("entity NOT IN (?"+strings.Repeat(", ?", len(adminSide)-1)+")", args...)
	}
	cond, args := w.SQL(), w.Args()
	var total int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM audit_log"+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := q.QueryContext(ctx, `SELECT id, at, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash
		FROM audit_log`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

func scan(rows *sql.Rows) (Entry, error) {
	var e Entry
	var at string
	var before, after sql.NullString
	if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &before, &after, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	t, err := store.ParseTime(at)
	if err != nil {
		return e, fmt.Errorf("audit entry %d: bad time %q", e.ID, at)
	}
	e.At = t
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return e, nil
}

// Verification is the result of walking the whole chain.
type Verification struct {
	OK         bool   `json:"ok"`
	Entries    int    `json:"entries"`
	FirstBadID int64  `json:"first_bad_id"`
	Message    string `json:"message"`
}

// Verify recomputes every hash in order and reports the first row whose
// content or link to its predecessor does not match.
func Verify(ctx context.Context, q store.Querier) (Verification, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash
		FROM audit_log ORDER BY id`)
	if err != nil {
		return Verification{}, err
	}
	defer rows.Close()
	var v Verification
	prev := ""
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return v, err
		}
		v.Entries++
		if e.PrevHash != prev {
			v.FirstBadID = e.ID
			v.Message = fmt.Sprintf("Entry %d does not link to the entry before it: the trail was cut or reordered there.", e.ID)
			return v, nil
		}
		if e.computeHash() != e.Hash {
			v.FirstBadID = e.ID
			v.Message = fmt.Sprintf("Entry %d was altered after it was written: its content no longer matches its hash.", e.ID)
			return v, nil
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return v, err
	}
	v.OK = true
	v.Message = fmt.Sprintf("All %d entries are intact and chained.", v.Entries)
	return v, nil
}
