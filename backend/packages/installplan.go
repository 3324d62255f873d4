package packages

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
)

// InstallPlan is how a stored package goes onto a target (a lab VM or a
// production target): every file of the archive is copied into a working
// directory, then one shell command, run there, makes the archive's
// symlinks, places the manifest's files and runs its install command.
type InstallPlan struct {
	// Name is the package's name and version, e.g. "webapp 2.4.1".
	Name   string
	Digest string
	Files  []PlanFile
	// Install, Verify and Rollback are shell commands run in the working
	// directory.
	Install  string
	Verify   string
	Rollback string
	Checks   []PlanCheck
}

// PlanFile is one file of the archive, relative to the working directory.
type PlanFile struct {
	Path    string
	Content []byte
	Mode    string // octal, e.g. 0644
}

// PlanCheck is one of the manifest's health checks.
type PlanCheck struct {
	Name    string
	Command string
}

// InstallPlan reads a stored package (checking its digest) into the plan
// that installs it. maxBytes bounds the unpacked size held in memory.
func (s *Store) InstallPlan(ctx context.Context, digest string, maxBytes int64) (*InstallPlan, error) {
	d, err := ParseDigest("package_digest", digest)
	if err != nil {
		return nil, err
	}
	contents, p, err := s.Contents(ctx, d, maxBytes)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return nil, &apperr.NotFoundError{Entity: "package", ID: d, Field: "package_digest"}
	}
	if err != nil {
		return nil, err
	}
	plan := &InstallPlan{Name: p.Name + " " + p.Version, Digest: p.Digest, Verify: p.Manifest.Verify, Rollback: p.Manifest.Rollback}
	var setup []string
	for _, e := range contents.Entries {
		switch e.Type {
		case "file":
			b, _ := contents.File(e.Path)
			plan.Files = append(plan.Files, PlanFile{Path: e.Path, Content: b, Mode: e.Mode})
		case "symlink":
			setup = append(setup, fmt.Sprintf("mkdir -p %s && ln -sfn %s %s", Quote(path.Dir(e.Path)), Quote(e.Link), Quote(e.Path)))
		}
	}
	for _, f := range p.Manifest.Files {
		setup = append(setup, fmt.Sprintf("mkdir -p %s && cp %s %s && chmod %s %s", Quote(path.Dir(f.Dest)), Quote(f.Src), Quote(f.Dest), f.Mode, Quote(f.Dest)))
	}
	plan.Install = strings.Join(append(setup, "("+p.Manifest.Install+")"), " && ")
	for _, h := range p.Manifest.HealthChecks {
		plan.Checks = append(plan.Checks, PlanCheck{Name: h.Name, Command: h.Command})
	}
	return plan, nil
}

// Quote makes s one POSIX shell word.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
