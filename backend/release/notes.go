package release

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// Notes are a release's notes: generated until someone edits them, frozen
// once published.
type Notes struct {
	Markdown    string `json:"markdown"`
	HTML        string `json:"html"`
	Generated   bool   `json:"generated"`
	Published   bool   `json:"published"`
	PublishedAt string `json:"published_at"`
	PublishedBy string `json:"published_by"`
	UpdatedAt   string `json:"updated_at"`
	UpdatedBy   string `json:"updated_by"`
}

// NotesInput edits a release's notes.
type NotesInput struct {
	Markdown string `json:"markdown"`
}

// markdown renders CommonMark with tables; raw HTML in the source is
// dropped and unsafe links are not rendered (goldmark's safe default).
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// RenderMarkdown turns notes into safe HTML.
func RenderMarkdown(src string) (string, error) {
	var buf bytes.Buffer
	err := markdown.Convert([]byte(src), &buf)
	return buf.String(), err
}

// mdEscape keeps user text from becoming Markdown syntax.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\n", " ") {
		if strings.ContainsRune("\\`*_[]<>|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// generateNotes writes release notes from the record, its package and evidence.
func (s *Service) generateNotes(ctx context.Context, q store.Querier, r *Release) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", mdEscape(r.Name), mdEscape(r.Version))
	fmt.Fprintf(&b, "A %s release for %s, planned %s – %s.\n\n", r.Type, mdEscape(r.Environment),
		r.PlannedStart.UTC().Format("2 Jan 2006 15:04"), r.PlannedEnd.UTC().Format("2 Jan 2006 15:04 MST"))
	if d := strings.TrimSpace(r.Description); d != "" {
		fmt.Fprintf(&b, "%s\n\n", mdEscape(d))
	}
	b.WriteString("## Changes\n\n")
	if len(r.Changes) == 0 {
		b.WriteString("No changes recorded.\n")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "- **%s** %s (risk %s)\n", mdEscape(c.RFC), mdEscape(c.Title), c.Risk)
	}
	b.WriteString("\n## Affected configuration items\n\n")
	for _, c := range r.CIs {
		fmt.Fprintf(&b, "- %s (%s, %s)\n", mdEscape(c.Name), c.Environment, c.Criticality)
	}
	if len(r.CIs) == 0 {
		b.WriteString("None.\n")
	}
	b.WriteString("\n## Package\n\n")
	if r.Package == nil {
		b.WriteString("No package attached yet.\n")
	} else {
		var desc string
		_ = q.QueryRowContext(ctx, `SELECT description FROM packages WHERE digest = ?`, r.Package.Digest).Scan(&desc)
		fmt.Fprintf(&b, "%s %s, `%s`\n\n", mdEscape(r.Package.Name), mdEscape(r.Package.Version), r.Package.Digest)
		if desc != "" {
			fmt.Fprintf(&b, "%s\n\n", mdEscape(desc))
		}
	}
	es, err := loadEvidenceSet(ctx, q, r.ID)
	if err != nil {
		return "", err
	}
	b.WriteString("## Test evidence\n\n")
	if es.count == 0 {
		b.WriteString("No test evidence recorded.\n")
	} else {
		var labs int
		_ = q.QueryRowContext(ctx, `SELECT count(DISTINCT lab_id) FROM evidence WHERE release_id = ? AND lab_id <> ''`, r.ID).Scan(&labs)
		fmt.Fprintf(&b, "%d results from %d lab(s) and manual runs: %d passed, %d failed.\n", es.count, labs, es.passed, es.failed)
	}
	return b.String(), nil
}

// Notes returns a release's notes with their HTML.
func (s *Service) Notes(ctx context.Context, id int64) (*Notes, error) {
	r, err := s.load(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	n := &Notes{}
	err = s.db.QueryRowContext(ctx, `SELECT markdown, updated_by, updated_at, published_by, published_at FROM release_notes WHERE release_id = ?`, id).
		Scan(&n.Markdown, &n.UpdatedBy, &n.UpdatedAt, &n.PublishedBy, &n.PublishedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		n.Generated = true
		if n.Markdown, err = s.generateNotes(ctx, s.db, r); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	n.Published = n.PublishedAt != ""
	n.HTML, err = RenderMarkdown(n.Markdown)
	return n, err
}

// PutNotes saves edited notes; published notes no longer change.
func (s *Service) PutNotes(ctx context.Context, by auth.Actor, id int64, in NotesInput) (*Notes, error) {
	md, err := text("markdown", in.Markdown, true, 100000, true)
	if err != nil {
		return nil, err
	}
	return s.writeNotes(ctx, by, id, "release.notes", func(tx *sql.Tx, r *Release, now string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO release_notes (release_id, markdown, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (release_id) DO UPDATE SET markdown = excluded.markdown, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			id, md, by.Username, now)
		return err
	})
}

// PublishNotes freezes a release's notes (the generated text if nobody edited it).
func (s *Service) PublishNotes(ctx context.Context, by auth.Actor, id int64) (*Notes, error) {
	return s.writeNotes(ctx, by, id, "release.notes.publish", func(tx *sql.Tx, r *Release, now string) error {
		// Nobody edited them: the generated text is what is published.
		var md string
		if err := tx.QueryRowContext(ctx, `SELECT markdown FROM release_notes WHERE release_id = ?`, id).Scan(&md); errors.Is(err, sql.ErrNoRows) {
			if md, err = s.generateNotes(ctx, tx, r); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO release_notes (release_id, markdown, updated_by, updated_at, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (release_id) DO UPDATE SET published_by = excluded.published_by, published_at = excluded.published_at`,
			id, md, by.Username, now, by.Username, now)
		return err
	})
}

func (s *Service) writeNotes(ctx context.Context, by auth.Actor, id int64, action string, write func(*sql.Tx, *Release, string) error) (*Notes, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := writable(r); err != nil {
			return err
		}
		var published string
		_ = tx.QueryRowContext(ctx, `SELECT published_at FROM release_notes WHERE release_id = ?`, id).Scan(&published)
		if published != "" {
			return apperr.Conflict("", "The release notes of %s were published on %s and no longer change.", r.label(), published)
		}
		if err := write(tx, r, store.FormatTime(now)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: action, Entity: "release", EntityID: events.ID(id)})
	})
	if err != nil {
		return nil, err
	}
	return s.Notes(ctx, id)
}
