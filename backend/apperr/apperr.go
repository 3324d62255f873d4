// Package apperr holds the kinds of error every domain package returns, so
// that one mapper in the API turns them into HTTP statuses and sentences.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what went wrong from the caller's point of view.
type Kind int

const (
	// KindInternal is a fault of ours; its message is never shown to users.
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindForbidden
	KindUnauthorized
	KindRateLimited
	KindTooLarge
	// KindUnavailable is a dependency that is down (a libvirt host).
	KindUnavailable
)

// Kinded is implemented by every typed error in Shakedown.
type Kinded interface {
	error
	Kind() Kind
}

// Errors of packages that must not import this one (the libvirt driver in
// labs/) tell their kind by behaviour, as net.Error tells a timeout.
type (
	notFound    interface{ NotFound() bool }
	unavailable interface{ Unavailable() bool }
	invalid     interface{ Invalid() bool }
	conflict    interface{ Conflict() bool }
)

// KindOf returns the kind of err, or KindInternal if it carries none.
func KindOf(err error) Kind {
	var k Kinded
	if errors.As(err, &k) {
		return k.Kind()
	}
	var nf notFound
	if errors.As(err, &nf) && nf.NotFound() {
		return KindNotFound
	}
	var un unavailable
	if errors.As(err, &un) && un.Unavailable() {
		return KindUnavailable
	}
	var inv invalid
	if errors.As(err, &inv) && inv.Invalid() {
		return KindInvalid
	}
	var c conflict
	if errors.As(err, &c) && c.Conflict() {
		return KindConflict
	}
	return KindInternal
}

// InvalidError is bad input; Field names the input at fault (JSON path).
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Message }
func (e *InvalidError) Kind() Kind    { return KindInvalid }

// Invalid builds an InvalidError for field with a formatted message.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundError says an entity with that id does not exist.
type NotFoundError struct {
	Entity string
	ID     any
	Field  string // set when the id came from an input field
}

func (e *NotFoundError) Error() string {
	entity := e.Entity
	if entity != "" {
		entity = strings.ToUpper(entity[:1]) + entity[1:]
	}
	return fmt.Sprintf("%s %v does not exist.", entity, e.ID)
}
func (e *NotFoundError) Kind() Kind { return KindNotFound }

// NotFound builds a NotFoundError.
func NotFound(entity string, id any) error { return &NotFoundError{Entity: entity, ID: id} }

// ConflictError is a request that is well formed but clashes with the
// current state (duplicate name, illegal transition).
type ConflictError struct {
	Field   string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }
func (e *ConflictError) Kind() Kind    { return KindConflict }

// Conflict builds a ConflictError.
func Conflict(field, format string, args ...any) error {
	return &ConflictError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ForbiddenError is a signed-in user whose roles lack the right.
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return e.Message }
func (e *ForbiddenError) Kind() Kind    { return KindForbidden }

// Forbidden builds a ForbiddenError.
func Forbidden(format string, args ...any) error {
	return &ForbiddenError{Message: fmt.Sprintf(format, args...)}
}

// UnauthorizedError is a request without valid credentials.
type UnauthorizedError struct{ Message string }

func (e *UnauthorizedError) Error() string { return e.Message }
func (e *UnauthorizedError) Kind() Kind    { return KindUnauthorized }

// RateLimitedError tells the caller to come back after RetryAfterSeconds.
type RateLimitedError struct {
	Message           string
	RetryAfterSeconds int
}

func (e *RateLimitedError) Error() string { return e.Message }
func (e *RateLimitedError) Kind() Kind    { return KindRateLimited }

// FieldOf returns the input field an error names, if any.
func FieldOf(err error) string {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return inv.Field
	}
	var c *ConflictError
	if errors.As(err, &c) {
		return c.Field
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nf.Field
	}
	return ""
}

// TooLargeError is an upload over a configured size limit.
type TooLargeError struct{ Message string }

func (e *TooLargeError) Error() string { return e.Message }
func (e *TooLargeError) Kind() Kind    { return KindTooLarge }

// RowError is one problem of one row of a bulk input (an import): its
// number (from 1, the first row of data), the line of the file it came from
// when it came from a file, the field at fault and a sentence.
type RowError struct {
	Row     int    `json:"row"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// RowsError is bulk input refused as a whole, with every row's problems:
// nothing of it was written.
type RowsError struct {
	Message string
	Rows    []RowError
}

func (e *RowsError) Error() string { return e.Message }
func (e *RowsError) Kind() Kind    { return KindInvalid }

// Rows builds a RowsError that counts the rows at fault out of total.
func Rows(total int, rows []RowError) error {
	bad := map[int]bool{}
	for _, r := range rows {
		bad[r.Row] = true
	}
	return &RowsError{Rows: rows, Message: fmt.Sprintf("%d of %d rows have errors; nothing was imported. Correct them and send the whole file again.", len(bad), total)}
}

// RowsOf returns the row problems an error carries, if any.
func RowsOf(err error) []RowError {
	var re *RowsError
	if errors.As(err, &re) {
		return re.Rows
	}
	return nil
}
