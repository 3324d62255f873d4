package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/jsonenc"
)

// maxBody bounds every JSON request body.
const maxBody = 1 << 20

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong in a sentence, with a stable code and,
// when one input field is at fault, its name.
type ErrorDetail struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
	Field   string    `json:"field,omitempty"`
	// Rows are the problems of each row of a bulk input refused as a
	// whole (an import), numbered from 1.
	Rows []apperr.RowError `json:"rows,omitempty"`
}

// ErrorCode is the stable, machine-readable kind of an error.
type ErrorCode string

// The error codes. Each goes with one HTTP status, except invalid: 422 for
// a field at fault, 400, 411 and 415 for a body that cannot be read.
const (
	CodeInvalid      ErrorCode = "invalid"
	CodeNotFound     ErrorCode = "not_found"
	CodeConflict     ErrorCode = "conflict"
	CodeForbidden    ErrorCode = "forbidden"
	CodeUnauthorized ErrorCode = "unauthorized"
	CodeRateLimited  ErrorCode = "rate_limited"
	CodeTooLarge     ErrorCode = "too_large"
	CodeUnavailable  ErrorCode = "unavailable"
	CodeInternal     ErrorCode = "internal"
)

// EnumValues lists the error codes.
func (ErrorCode) EnumValues() []string {
	return []string{string(CodeInvalid), string(CodeNotFound), string(CodeConflict), string(CodeForbidden), string(CodeUnauthorized),
		string(CodeRateLimited), string(CodeTooLarge), string(CodeUnavailable), string(CodeInternal)}
}

// badRequest is a body that could not be read as the expected JSON.
type badRequest struct {
	field, msg string
	status     int
}

func (e *badRequest) Error() string { return e.msg }

var kindStatus = map[apperr.Kind]struct {
	status int
	code   ErrorCode
}{
	apperr.KindInvalid:      {http.StatusUnprocessableEntity, CodeInvalid},
	apperr.KindNotFound:     {http.StatusNotFound, CodeNotFound},
	apperr.KindConflict:     {http.StatusConflict, CodeConflict},
	apperr.KindForbidden:    {http.StatusForbidden, CodeForbidden},
	apperr.KindUnauthorized: {http.StatusUnauthorized, CodeUnauthorized},
	apperr.KindRateLimited:  {http.StatusTooManyRequests, CodeRateLimited},
	apperr.KindTooLarge:     {http.StatusRequestEntityTooLarge, CodeTooLarge},
	apperr.KindUnavailable:  {http.StatusServiceUnavailable, CodeUnavailable},
}

// writeError maps err to a status and a body a user can act on. Errors of
// no known kind are ours: the client gets a generic sentence, the log the
// real error.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var br *badRequest
	if errors.As(err, &br) {
		code := CodeInvalid
		if br.status == http.StatusRequestEntityTooLarge {
			code = CodeTooLarge
		}
		writeJSON(w, br.status, ErrorBody{ErrorDetail{Code: code, Message: br.msg, Field: br.field}})
		return
	}
	kind := apperr.KindOf(err)
	m, ok := kindStatus[kind]
	if !ok {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, ErrorBody{ErrorDetail{Code: CodeInternal,
			Message: "Something went wrong on the server; it has been logged. Try again, and tell an admin if it keeps happening."}})
		return
	}
	var rl *apperr.RateLimitedError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds))
	}
	if kind == apperr.KindUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shakedown"`)
	}
	writeJSON(w, m.status, ErrorBody{ErrorDetail{Code: m.code, Message: err.Error(), Field: apperr.FieldOf(err), Rows: apperr.RowsOf(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeEncoded(w, status, encodeJSON(v))
}

// encodeJSON is v as the API answers it: lists never null, one line.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(jsonenc.EmptyLists(v)); err != nil {
		// Only unencodable values (a channel, NaN) get here: a bug.
		panic(fmt.Sprintf("api: encode %T: %v", v, err))
	}
	return buf.Bytes()
}

// writeEncoded writes an encoded JSON answer.
func writeEncoded(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// requireJSON refuses a body that does not say it is JSON. decode lets a
// body without a Content-Type through, for scripts; where a body from
// another site's page must not be read (sign-in), even that is refused.
func requireJSON(r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &badRequest{status: http.StatusUnsupportedMediaType, msg: "Send the request body as JSON (Content-Type: application/json)."}
	}
	return nil
}

// decode reads exactly one JSON value into v: bounded in size, unknown
// fields refused, every failure naming the field at fault.
func decode(r *http.Request, v any) error { return decodeMax(r, v, maxBody) }

// decodeMax is decode with a larger bound, for bodies that carry files.
func decodeMax(r *http.Request, v any, maxBody int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &badRequest{status: http.StatusUnsupportedMediaType, msg: "Send the request body as JSON (Content-Type: application/json)."}
	}
	body := http.MaxBytesReader(nil, r.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return &badRequest{status: http.StatusBadRequest, msg: "The request body must hold one JSON object and nothing after it."}
		}
		if _, err := dec.Token(); err != io.EOF {
			return &badRequest{status: http.StatusBadRequest, msg: "The request body must hold one JSON object and nothing after it."}
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("The request body is larger than %d KiB.", maxBody/1024)}
	case errors.Is(err, io.EOF):
		return &badRequest{status: http.StatusBadRequest, msg: "The request body is empty; send a JSON object."}
	case errors.As(err, &syn):
		return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf("The request body is not valid JSON (error at byte %d).", syn.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{status: http.StatusBadRequest, msg: "The request body is cut short: it is not complete JSON."}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf("The request body must be a JSON object, not a JSON %s.", typ.Value)}
		}
		return &badRequest{status: http.StatusUnprocessableEntity, field: field,
			msg: fmt.Sprintf("Field %q must be %s, not a JSON %s.", field, describeType(typ.Type.String()), typ.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &badRequest{status: http.StatusUnprocessableEntity, field: name, msg: fmt.Sprintf("Unknown field %q.", name)}
	}
	return &badRequest{status: http.StatusBadRequest, msg: "The request body could not be read as JSON: " + err.Error()}
}

func describeType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.Contains(t, "int"), strings.Contains(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "map"), strings.HasPrefix(t, "struct"):
		return "an object"
	}
	return "a string"
}
