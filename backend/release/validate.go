package release

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shakedown/shakedown/backend/apperr"
)

// ChangeInput is one change as a client sends it. CommittedAt is when the
// change was committed (RFC 3339, not in the future; empty: not known):
// lead time counts from it, else from when the change was recorded on the
// release. Saving a release's changes replaces them, commit times too.
type ChangeInput struct {
	RFC         string `json:"rfc"`
	Title       string `json:"title"`
	Risk        string `json:"risk"`
	Link        string `json:"link,omitempty"`
	CommittedAt string `json:"committed_at,omitempty"`
}

// Input creates a release or changes one; nil fields are left alone on an
// update. Changes, CIIDs and DependsOn replace the whole set when given.
type Input struct {
	Name         *string        `json:"name"`
	Version      *string        `json:"version"`
	Type         *Type          `json:"type"`
	Description  *string        `json:"description"`
	Owner        *string        `json:"owner"`
	Environment  *string        `json:"environment"`
	PlannedStart *string        `json:"planned_start"`
	PlannedEnd   *string        `json:"planned_end"`
	Changes      *[]ChangeInput `json:"changes"`
	CIIDs        *[]int64       `json:"ci_ids"`
	DependsOn    *[]int64       `json:"depends_on"`
}

const (
	maxName        = 100
	maxVersion     = 50
	maxDescription = 10000
	maxChanges     = 100
	maxCIs         = 5000 // a release may promote a fleet (an inventory import holds as many rows)
	maxDeps        = 50
	maxWindow      = 366 * 24 * time.Hour
)

var (
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]*$`)
	envRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]*$`)
)

// text checks a free-text field: trimmed, bounded, no control characters
// (newlines and tabs allowed where multiline is true).
func text(field, value string, required bool, max int, multiline bool) (string, error) {
	v := strings.TrimSpace(value)
	if required && v == "" {
		return "", apperr.Invalid(field, "%s is required.", humanField(field))
	}
	if !utf8.ValidString(v) {
		return "", apperr.Invalid(field, "%s is not valid UTF-8 text.", humanField(field))
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", apperr.Invalid(field, "%s is %d characters long; the limit is %d.", humanField(field), n, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return "", apperr.Invalid(field, "%s contains a control character.", humanField(field))
		}
	}
	return v, nil
}

func humanField(f string) string {
	if i := strings.LastIndex(f, "."); i >= 0 {
		f = f[i+1:]
	}
	f = strings.ReplaceAll(f, "_", " ")
	if f == "" {
		return f
	}
	return strings.ToUpper(f[:1]) + f[1:]
}

func parseTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, apperr.Invalid(field, "%s is required.", humanField(field))
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apperr.Invalid(field, "%s must be a date and time like 2026-12-01T08:00:00Z.", humanField(field))
	}
	if t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, apperr.Invalid(field, "%s must be between the years 2000 and 2200.", humanField(field))
	}
	return t.UTC().Truncate(time.Second), nil
}

// fields is a release's own fields after validation.
type fields struct {
	Name, Version, Description, Owner, Environment string
	Type                                           Type
	Start, End                                     time.Time
}

// apply validates in onto f (the current values, zero for a new release).
func (f *fields) apply(in Input, creating bool) error {
	var err error
	if in.Name != nil || creating {
		if f.Name, err = text("name", deref(in.Name), true, maxName, false); err != nil {
			return err
		}
	}
	if in.Version != nil || creating {
		v := strings.TrimSpace(deref(in.Version))
		if v == "" {
			return apperr.Invalid("version", "Version is required.")
		}
		if len(v) > maxVersion || !versionRE.MatchString(v) {
			return apperr.Invalid("version", "Version must be up to %d letters, digits or . _ + ~ - (e.g. 2.4.1), starting with a letter or digit.", maxVersion)
		}
		f.Version = v
	}
	if in.Type != nil || creating {
		t := Type(strings.TrimSpace(string(derefType(in.Type))))
		switch t {
		case TypeMajor, TypeMinor, TypeEmergency:
			f.Type = t
		case "":
			return apperr.Invalid("type", "Type is required: major, minor or emergency.")
		default:
			return apperr.Invalid("type", "Type must be major, minor or emergency, not %q.", t)
		}
	}
	if in.Description != nil {
		if f.Description, err = text("description", *in.Description, false, maxDescription, true); err != nil {
			return err
		}
	}
	if in.Owner != nil {
		if f.Owner, err = text("owner", *in.Owner, false, maxName, false); err != nil {
			return err
		}
	}
	if in.Environment != nil || creating {
		env := strings.TrimSpace(deref(in.Environment))
		if env == "" {
			return apperr.Invalid("environment", "Environment is required, e.g. production.")
		}
		if len(env) > 50 || !envRE.MatchString(env) {
			return apperr.Invalid("environment", "Environment must be up to 50 letters, digits, spaces or . _ -.")
		}
		f.Environment = env
	}
	if in.PlannedStart != nil || creating {
		if f.Start, err = parseTime("planned_start", deref(in.PlannedStart)); err != nil {
			return err
		}
	}
	if in.PlannedEnd != nil || creating {
		if f.End, err = parseTime("planned_end", deref(in.PlannedEnd)); err != nil {
			return err
		}
	}
	if !f.End.After(f.Start) {
		return apperr.Invalid("planned_end", "The planned end must be after the planned start.")
	}
	if f.End.Sub(f.Start) > maxWindow {
		return apperr.Invalid("planned_end", "A planned window may last at most 366 days.")
	}
	return nil
}

// earliestCommit bounds a change's commit time from below.
var earliestCommit = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

func validateChanges(in []ChangeInput, now time.Time) ([]Change, error) {
	if len(in) > maxChanges {
		return nil, apperr.Invalid("changes", "A release may bundle at most %d changes.", maxChanges)
	}
	out := make([]Change, 0, len(in))
	seen := map[string]int{}
	for i, c := range in {
		p := fmt.Sprintf("changes[%d].", i)
		rfc, err := text(p+"rfc", c.RFC, true, 40, false)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[strings.ToLower(rfc)]; dup {
			return nil, apperr.Invalid(p+"rfc", "Change %s is listed twice (rows %d and %d).", rfc, j+1, i+1)
		}
		seen[strings.ToLower(rfc)] = i
		title, err := text(p+"title", c.Title, true, 200, false)
		if err != nil {
			return nil, err
		}
		risk := strings.TrimSpace(c.Risk)
		if risk != "low" && risk != "medium" && risk != "high" {
			return nil, apperr.Invalid(p+"risk", "Risk must be low, medium or high.")
		}
		link := strings.TrimSpace(c.Link)
		if link != "" {
			u, err := url.Parse(link)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(link) > 500 {
				return nil, apperr.Invalid(p+"link", "Link must be an http or https address of at most 500 characters.")
			}
		}
		var committed time.Time
		if v := strings.TrimSpace(c.CommittedAt); v != "" {
			if committed, err = time.Parse(time.RFC3339, v); err != nil {
				return nil, apperr.Invalid(p+"committed_at", "When was the change committed? Give a date and time (RFC 3339, like 2026-10-01T09:30:00Z), or leave it empty.")
			}
			if committed.After(now) {
				return nil, apperr.Invalid(p+"committed_at", "The commit time %s is in the future.", v)
			}
			if committed.Before(earliestCommit) {
				return nil, apperr.Invalid(p+"committed_at", "The commit time %s is before 1970.", v)
			}
			committed = committed.UTC().Truncate(time.Millisecond)
		}
		out = append(out, Change{RFC: rfc, Title: title, Risk: risk, Link: link, CommittedAt: committed})
	}
	return out, nil
}

func uniqueIDs(field string, ids []int64, max int, what string) ([]int64, error) {
	if len(ids) > max {
		return nil, apperr.Invalid(field, "At most %d %s.", max, what)
	}
	out := make([]int64, 0, len(ids))
	seen := map[int64]bool{}
	for i, id := range ids {
		if id <= 0 {
			return nil, apperr.Invalid(fmt.Sprintf("%s[%d]", field, i), "%d is not a valid id.", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefType(t *Type) Type {
	if t == nil {
		return ""
	}
	return *t
}

// fieldAt names a field of a list item: fieldAt("checks", 2, "name") is checks[2].name.
func fieldAt(list string, i int, field string) string {
	return fmt.Sprintf("%s[%d].%s", list, i, field)
}
