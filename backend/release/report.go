package release

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
)

//go:embed templates/report.html
var templates embed.FS

var reportTmpl = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"when": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format("2 Jan 2006 15:04 MST")
		case *time.Time:
			if t != nil {
				return t.UTC().Format("2 Jan 2006 15:04 MST")
			}
		case string:
			if p, err := time.Parse(time.RFC3339Nano, t); err == nil {
				return p.UTC().Format("2 Jan 2006 15:04 MST")
			}
			return t
		}
		return ""
	},
	"short": short,
	"join":  func(xs []string) string { return strings.Join(xs, ", ") },
	"add":   func(a, b int) int { return a + b },
	"earlier": func(so *SignOff) int {
		if so.PackageDigest == "" {
			return 0
		}
		return so.EvidenceCount - so.PackageEvidence.Count
	},
	"title": func(s string) string { return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "-", " ") },
}).ParseFS(templates, "templates/report.html"))

// reportData is what the release report shows.
type reportData struct {
	R         *Release
	SignOff   *SignOff
	Packages  []AttachedPackage
	Grid      *EvidenceGrid
	Deploys   []Transition
	Notes     template.HTML
	Generated string
}

// Report renders a release's report: a printable HTML page with its
// timeline, scope, package, evidence, approvals, deployment and review.
func (s *Service) Report(ctx context.Context, by auth.Actor, id int64) ([]byte, error) {
	r, err := s.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	d := reportData{R: r, Generated: s.now().UTC().Format("2 Jan 2006 15:04 MST")}
	if d.SignOff, err = s.signOff(ctx, s.db, r, by); err != nil {
		return nil, err
	}
	if d.Packages, err = s.Packages(ctx, id); err != nil {
		return nil, err
	}
	if d.Grid, err = s.EvidenceGrid(ctx, by, id); err != nil {
		return nil, err
	}
	for _, t := range r.Transitions {
		switch t.To {
		case StateDeploying, StateDeployed, StateFailed, StateRolledBack:
			d.Deploys = append(d.Deploys, t)
		}
	}
	notes, err := s.Notes(ctx, id)
	if err != nil {
		return nil, err
	}
	d.Notes = template.HTML(notes.HTML) // goldmark output: raw HTML in the source is dropped
	var buf bytes.Buffer
	err = reportTmpl.Execute(&buf, d)
	return buf.Bytes(), err
}
