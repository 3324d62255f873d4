// Package packages holds release packages: the manifest format, the safe
// reading of .tar.gz and .zip archives, and the content-addressed store in
// which a package's sha256 digest is its identity.
package packages

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shakedown/shakedown/backend/apperr"
)

// ManifestNames are the file names a manifest may have, at the archive's top.
var ManifestNames = []string{"shakedown.yaml", "shakedown.yml", "shakedown.json"}

// Manifest says what a package is and how to install, verify and roll it back.
type Manifest struct {
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Description  string        `json:"description"`
	Install      string        `json:"install"`
	Verify       string        `json:"verify"`
	Rollback     string        `json:"rollback"`
	Files        []FilePlace   `json:"files"`
	HealthChecks []HealthCheck `json:"health_checks"`
}

// FilePlace places one archive file on the target.
type FilePlace struct {
	Src  string `json:"src"`
	Dest string `json:"dest"`
	Mode string `json:"mode"`
}

// HealthCheck is a shell command that must exit 0 while the package runs.
type HealthCheck struct {
	Name            string `json:"name"`
	Command         string `json:"command"`
	IntervalSeconds int    `json:"interval_seconds"`
	TimeoutSeconds  int    `json:"timeout_seconds"`
}

const (
	maxManifestBytes = 64 << 10
	maxCommand       = 4096
	maxPlaces        = 1000
	maxHealthChecks  = 20
)

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+ -]{0,99}$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$`)
	topKeys   = []string{"name", "version", "description", "install", "verify", "rollback", "files", "health_checks"}
	fileKeys  = []string{"src", "dest", "mode"}
	checkKeys = []string{"name", "command", "interval_seconds", "timeout_seconds"}
)

// ParseManifest reads a manifest written in YAML or JSON (JSON is read by the
// same YAML 1.2 parser, so both give the same errors). Every problem names
// the key at fault as "manifest.<key>".
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifestBytes {
		return nil, apperr.Invalid("manifest", "The manifest is %d bytes; it may be at most %d KiB.", len(data), maxManifestBytes>>10)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, apperr.Invalid("manifest", "The manifest is not valid YAML or JSON: %s.", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, apperr.Invalid("manifest", "The manifest must be a mapping of keys (name, version, install, …).")
	}
	var m Manifest
	err := eachKey(doc.Content[0], "manifest", topKeys, func(key string, v *yaml.Node, field string) error {
		var err error
		switch key {
		case "name":
			m.Name, err = scalar(v, field)
		case "version":
			m.Version, err = scalar(v, field)
		case "description":
			m.Description, err = scalar(v, field)
		case "install":
			m.Install, err = scalar(v, field)
		case "verify":
			m.Verify, err = scalar(v, field)
		case "rollback":
			m.Rollback, err = scalar(v, field)
		case "files":
			m.Files, err = places(v, field)
		case "health_checks":
			m.HealthChecks, err = healthChecks(v, field)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks a manifest's values (keys are checked by the parser) and
// fills defaults.
func (m *Manifest) Validate() error {
	m.Name, m.Version, m.Description = strings.TrimSpace(m.Name), strings.TrimSpace(m.Version), strings.TrimSpace(m.Description)
	if !nameRE.MatchString(m.Name) {
		return apperr.Invalid("manifest.name", "The package needs a name: 1–100 letters, digits, spaces and . _ + -, starting with a letter or digit.")
	}
	if !versionRE.MatchString(m.Version) {
		return apperr.Invalid("manifest.version", "The package needs a version such as \"2.4.1\": up to 64 letters, digits and . _ + ~ -.")
	}
	if len(m.Description) > 2000 {
		return apperr.Invalid("manifest.description", "The description is limited to 2000 characters.")
	}
	for _, c := range []struct{ key, cmd, example string }{
		{"install", m.Install, "sh install.sh"}, {"verify", m.Verify, "sh verify.sh"}, {"rollback", m.Rollback, "sh rollback.sh"},
	} {
		if strings.TrimSpace(c.cmd) == "" {
			return apperr.Invalid("manifest."+c.key, "The %s command is empty: give a shell command, e.g. %q.", c.key, c.example)
		}
		if len(c.cmd) > maxCommand {
			return apperr.Invalid("manifest."+c.key, "The %s command is limited to %d characters.", c.key, maxCommand)
		}
	}
	if len(m.Files) > maxPlaces {
		return apperr.Invalid("manifest.files", "At most %d files to place.", maxPlaces)
	}
	dests := map[string]bool{}
	for i := range m.Files {
		f := &m.Files[i]
		field := fmt.Sprintf("manifest.files[%d]", i)
		if err := checkEntryName(f.Src); err != nil {
			return apperr.Invalid(field+".src", "%s", err.Error())
		}
		if f.Dest == "" || !strings.HasPrefix(f.Dest, "/") || path.Clean(f.Dest) != f.Dest || f.Dest == "/" || strings.ContainsAny(f.Dest, "\x00\n'") || len(f.Dest) > 1024 {
			return apperr.Invalid(field+".dest", "Destination %q must be an absolute, clean path on the target such as /srv/app/config.ini.", f.Dest)
		}
		if dests[f.Dest] {
			return apperr.Invalid(field+".dest", "Two files are placed at %s.", f.Dest)
		}
		dests[f.Dest] = true
		if f.Mode == "" {
			f.Mode = "0644"
		} else if mode, err := strconv.ParseUint(f.Mode, 8, 32); err != nil || mode > 0o7777 {
			return apperr.Invalid(field+".mode", "Mode %q must be octal, such as 0644 or 0755.", f.Mode)
		}
	}
	if len(m.HealthChecks) > maxHealthChecks {
		return apperr.Invalid("manifest.health_checks", "At most %d health checks.", maxHealthChecks)
	}
	names := map[string]bool{}
	for i := range m.HealthChecks {
		c := &m.HealthChecks[i]
		field := fmt.Sprintf("manifest.health_checks[%d]", i)
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" || len(c.Name) > 100 {
			return apperr.Invalid(field+".name", "Each health check needs a name (up to 100 characters).")
		}
		if names[c.Name] {
			return apperr.Invalid(field+".name", "Health check %q is listed twice.", c.Name)
		}
		names[c.Name] = true
		if strings.TrimSpace(c.Command) == "" || len(c.Command) > maxCommand {
			return apperr.Invalid(field+".command", "Health check %q needs a shell command (up to %d characters).", c.Name, maxCommand)
		}
		if c.IntervalSeconds == 0 {
			c.IntervalSeconds = 30
		}
		if c.TimeoutSeconds == 0 {
			c.TimeoutSeconds = 10
		}
		if c.IntervalSeconds < 1 || c.IntervalSeconds > 3600 {
			return apperr.Invalid(field+".interval_seconds", "The interval must be 1–3600 seconds.")
		}
		if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 600 {
			return apperr.Invalid(field+".timeout_seconds", "The timeout must be 1–600 seconds.")
		}
	}
	return nil
}

// eachKey walks a mapping, refusing unknown and repeated keys.
func eachKey(n *yaml.Node, prefix string, known []string, fn func(key string, v *yaml.Node, field string) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return apperr.Invalid(prefix, "Line %d: keys must be plain words.", k.Line)
		}
		field := prefix + "." + k.Value
		if !slices.Contains(known, k.Value) {
			return apperr.Invalid(field, "Unknown key %q on line %d; the keys here are %s.", k.Value, k.Line, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return apperr.Invalid(field, "Key %q appears twice (line %d).", k.Value, k.Line)
		}
		seen[k.Value] = true
		if err := fn(k.Value, v, field); err != nil {
			return err
		}
	}
	return nil
}

func scalar(v *yaml.Node, field string) (string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", apperr.Invalid(field, "Line %d: %s must be a single value (text), not a list or mapping.", v.Line, field)
	}
	return v.Value, nil
}

func integer(v *yaml.Node, field string) (int, error) {
	s, err := scalar(v, field)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, apperr.Invalid(field, "Line %d: %s must be a whole number, not %q.", v.Line, field, s)
	}
	return n, nil
}

func sequence(v *yaml.Node, field string) ([]*yaml.Node, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, apperr.Invalid(field, "Line %d: %s must be a list.", v.Line, field)
	}
	for i, item := range v.Content {
		if item.Kind != yaml.MappingNode {
			return nil, apperr.Invalid(fmt.Sprintf("%s[%d]", field, i), "Line %d: each item of %s must be a mapping of keys.", item.Line, field)
		}
	}
	return v.Content, nil
}

func places(v *yaml.Node, field string) ([]FilePlace, error) {
	items, err := sequence(v, field)
	if err != nil {
		return nil, err
	}
	out := make([]FilePlace, len(items))
	for i, item := range items {
		err := eachKey(item, fmt.Sprintf("%s[%d]", field, i), fileKeys, func(key string, v *yaml.Node, f string) error {
			s, err := scalar(v, f)
			switch key {
			case "src":
				out[i].Src = s
			case "dest":
				out[i].Dest = s
			case "mode":
				out[i].Mode = s
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func healthChecks(v *yaml.Node, field string) ([]HealthCheck, error) {
	items, err := sequence(v, field)
	if err != nil {
		return nil, err
	}
	out := make([]HealthCheck, len(items))
	for i, item := range items {
		err := eachKey(item, fmt.Sprintf("%s[%d]", field, i), checkKeys, func(key string, v *yaml.Node, f string) error {
			var err error
			switch key {
			case "name":
				out[i].Name, err = scalar(v, f)
			case "command":
				out[i].Command, err = scalar(v, f)
			case "interval_seconds":
				out[i].IntervalSeconds, err = integer(v, f)
			case "timeout_seconds":
				out[i].TimeoutSeconds, err = integer(v, f)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
