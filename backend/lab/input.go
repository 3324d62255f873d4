package lab

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
)

// LabInput asks for a lab. Every field is optional: an empty request builds
// a lab of the release's libvirt CIs with its current package, for 2 hours,
// without a test period. (It is also the lab's spec in answers, where what
// was left out is left out.)
type LabInput struct {
	// CIIDs are the CIs to reproduce; none: every CI of the release that is
	// a libvirt VM or a host with an imported image.
	CIIDs []int64 `json:"ci_ids,omitempty"`
	// Host must be the host of the CIs, when given.
	Host string `json:"host,omitempty"`
	// TTLMinutes is how long the lab lives (5–10080); 0 or none: 120.
	TTLMinutes int           `json:"ttl_minutes,omitempty"`
	Package    *PackageInput `json:"package,omitempty"`
	// PackageDigest installs a stored release package instead of an inline
	// one. With neither, the lab installs the release's current package,
	// unless NoPackage says to install nothing.
	PackageDigest string       `json:"package_digest,omitempty"`
	NoPackage     bool         `json:"no_package,omitempty"`
	TestPeriod    *PeriodInput `json:"test_period,omitempty"`
	// BootFresh boots every clone from production's captured disk. Without
	// it, the clone of a running production VM resumes production's memory
	// as it ran at the capture (where the VM and host allow it).
	BootFresh bool `json:"boot_fresh,omitempty"`
}

// PackageFile is one file of a package, placed in the guest.
type PackageFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
	Mode    string `json:"mode,omitempty"` // octal; none: 0644
}

// PackageInput is a package to apply inside the lab's guests: given inline
// (for quick experiments), or made from a stored release package.
type PackageInput struct {
	Name    string        `json:"name"`
	Files   []PackageFile `json:"files,omitempty"`
	Install string        `json:"install"`
	Verify  string        `json:"verify,omitempty"`
	// Digest, Rollback and Checks come from a stored package's manifest.
	Digest   string       `json:"digest,omitempty"`
	Rollback string       `json:"rollback,omitempty"`
	Checks   []CheckInput `json:"checks,omitempty"`
}

// CheckInput is one health check: a shell command that must exit 0.
type CheckInput struct {
	Name    string `json:"name"`
	Command string `json:"command"`
}

// PeriodInput is a test period.
type PeriodInput struct {
	IntervalSeconds int `json:"interval_seconds"`
	DurationSeconds int `json:"duration_seconds"`
	// Checks run beside the package's verify command and health checks.
	Checks            []CheckInput `json:"checks,omitempty"`
	ContinueOnFailure bool         `json:"continue_on_failure,omitempty"`
}

// PackageDir is where a package's files land in each guest.
const PackageDir = "/tmp/shakedown/package"

var filePathRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

const (
	maxPackageBytes = 4 << 20
	maxCommand      = 4096
)

func (in *LabInput) validate() error {
	if in.TTLMinutes == 0 {
		in.TTLMinutes = 120
	}
	if in.TTLMinutes < 5 || in.TTLMinutes > 7*24*60 {
		return apperr.Invalid("ttl_minutes", "A lab lives between 5 minutes and 7 days (ttl_minutes 5–10080).")
	}
	if len(in.CIIDs) > 10 {
		return apperr.Invalid("ci_ids", "A lab reproduces at most 10 configuration items on this host.")
	}
	if in.Package != nil && in.PackageDigest != "" {
		return apperr.Invalid("package_digest", "Give either a stored package (package_digest) or an inline package, not both.")
	}
	if in.NoPackage && (in.Package != nil || in.PackageDigest != "") {
		return apperr.Invalid("no_package", "no_package says to install nothing: leave out package and package_digest.")
	}
	if in.Package != nil {
		if err := in.Package.validate("package."); err != nil {
			return err
		}
	}
	if in.TestPeriod != nil {
		if err := in.TestPeriod.validate("test_period."); err != nil {
			return err
		}
	}
	return nil
}

func (p *PackageInput) validate(prefix string) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 100 {
		return apperr.Invalid(prefix+"name", "Give the package a name (up to 100 characters).")
	}
	if strings.TrimSpace(p.Install) == "" {
		return apperr.Invalid(prefix+"install", "The package needs an install command, e.g. \"sh install.sh\".")
	}
	if len(p.Install) > maxCommand || len(p.Verify) > maxCommand {
		return apperr.Invalid(prefix+"install", "Commands are limited to %d characters.", maxCommand)
	}
	total := 0
	seen := map[string]bool{}
	for i, f := range p.Files {
		field := fmt.Sprintf("%sfiles[%d].", prefix, i)
		clean := path.Clean(f.Path)
		if f.Path == "" || len(f.Path) > 200 || !filePathRE.MatchString(f.Path) || clean != f.Path || strings.HasPrefix(clean, "..") || strings.Contains(clean, "/../") {
			return apperr.Invalid(field+"path", "File path %q must be relative, without \"..\", made of letters, digits, . _ - and /.", f.Path)
		}
		if seen[clean] {
			return apperr.Invalid(field+"path", "File %s is listed twice.", clean)
		}
		seen[clean] = true
		if f.Mode == "" {
			p.Files[i].Mode = "0644"
		} else if m, err := strconv.ParseUint(f.Mode, 8, 32); err != nil || m > 0o777 {
			return apperr.Invalid(field+"mode", "Mode must be octal like 0644 or 0755.")
		}
		total += len(f.Content)
	}
	if total > maxPackageBytes {
		return apperr.Invalid(prefix+"files", "An inline package holds at most %d MiB.", maxPackageBytes>>20)
	}
	return nil
}

func (p *PeriodInput) validate(prefix string) error {
	if p.IntervalSeconds < 1 || p.IntervalSeconds > 3600 {
		return apperr.Invalid(prefix+"interval_seconds", "The interval must be between 1 second and 1 hour.")
	}
	if p.DurationSeconds < p.IntervalSeconds || p.DurationSeconds > 7*24*3600 {
		return apperr.Invalid(prefix+"duration_seconds", "The duration must be at least one interval and at most 7 days.")
	}
	if len(p.Checks) > 20 {
		return apperr.Invalid(prefix+"checks", "At most 20 checks.")
	}
	for i, c := range p.Checks {
		field := fmt.Sprintf("%schecks[%d].", prefix, i)
		if strings.TrimSpace(c.Name) == "" || len(c.Name) > 100 {
			return apperr.Invalid(field+"name", "Each check needs a name (up to 100 characters).")
		}
		if strings.TrimSpace(c.Command) == "" || len(c.Command) > maxCommand {
			return apperr.Invalid(field+"command", "Each check needs a shell command (up to %d characters).", maxCommand)
		}
	}
	return nil
}

// checks turns a period and a package's verify command into agent checks
// run in the package directory.
func (p *PeriodInput) checks(pkg *PackageInput) []Check {
	var out []Check
	if pkg != nil && strings.TrimSpace(pkg.Verify) != "" {
		out = append(out, Check{Name: "verify (" + pkg.Name + ")", Argv: shell(pkg.Verify)})
	}
	if pkg != nil {
		for _, c := range pkg.Checks {
			out = append(out, Check{Name: c.Name + " (" + pkg.Name + ")", Argv: shell(c.Command)})
		}
	}
	for _, c := range p.Checks {
		out = append(out, Check{Name: c.Name, Argv: shell(c.Command)})
	}
	return out
}

func (p *PeriodInput) spec(pkg *PackageInput) PeriodSpec {
	return PeriodSpec{Interval: time.Duration(p.IntervalSeconds) * time.Second, Duration: time.Duration(p.DurationSeconds) * time.Second,
		Checks: p.checks(pkg), ContinueOnFailure: p.ContinueOnFailure}
}

// shell runs a command with /bin/sh in the package directory.
func shell(cmd string) []string {
	return []string{"/bin/sh", "-c", "mkdir -p " + PackageDir + " && cd " + PackageDir + " && " + cmd}
}
