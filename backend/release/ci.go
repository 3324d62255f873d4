package release

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/store"
)

// CIInput creates or changes a configuration item.
type CIInput struct {
	Name        *string `json:"name"`
	Kind        *string `json:"kind"`
	Environment *string `json:"environment"`
	Criticality *string `json:"criticality"`
	Description *string `json:"description"`
	// LibvirtHost and LibvirtDomain name the libvirt domain a vm CI is.
	LibvirtHost   *string `json:"libvirt_host"`
	LibvirtDomain *string `json:"libvirt_domain"`
}

var libvirtNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$`)

func (c *CI) apply(in CIInput, creating bool) error {
	var err error
	if in.Name != nil || creating {
		if c.Name, err = text("name", deref(in.Name), true, maxName, false); err != nil {
			return err
		}
	}
	if in.Kind != nil || creating {
		k := strings.TrimSpace(deref(in.Kind))
		if k != "vm" && k != "host" {
			return apperr.Invalid("kind", "Kind must be vm (a libvirt virtual machine) or host (a machine reached over SSH).")
		}
		c.Kind = k
	}
	if in.Environment != nil || creating {
		env := strings.TrimSpace(deref(in.Environment))
		if env == "" || len(env) > 50 || !envRE.MatchString(env) {
			return apperr.Invalid("environment", "Environment is required: up to 50 letters, digits, spaces or . _ -.")
		}
		c.Environment = env
	}
	if in.Criticality != nil || creating {
		v := strings.TrimSpace(deref(in.Criticality))
		if _, ok := criticalityPoints[v]; !ok {
			return apperr.Invalid("criticality", "Criticality must be low, medium, high or critical.")
		}
		c.Criticality = v
	}
	if in.Description != nil {
		if c.Description, err = text("description", *in.Description, false, 2000, true); err != nil {
			return err
		}
	}
	if in.LibvirtHost != nil {
		c.LibvirtHost = strings.TrimSpace(*in.LibvirtHost)
		if c.LibvirtHost != "" && !libvirtNameRE.MatchString(c.LibvirtHost) {
			return apperr.Invalid("libvirt_host", "Libvirt host must be a host name from the Hosts list (letters, digits, . _ + -).")
		}
	}
	if in.LibvirtDomain != nil {
		c.LibvirtDomain = strings.TrimSpace(*in.LibvirtDomain)
		if c.LibvirtDomain != "" && !libvirtNameRE.MatchString(c.LibvirtDomain) {
			return apperr.Invalid("libvirt_domain", "Libvirt domain must be a VM name as libvirt shows it (letters, digits, . _ + -, up to 100).")
		}
	}
	if c.LibvirtDomain != "" && c.Kind != "vm" {
		return apperr.Invalid("libvirt_domain", "Only a CI of kind vm can be a libvirt domain.")
	}
	if c.LibvirtDomain != "" && c.LibvirtHost == "" {
		c.LibvirtHost = "local"
	}
	return nil
}

// CIFilter narrows the catalog listing.
type CIFilter struct {
	Q           string
	Kind        string
	Environment string
	Limit       int
	Offset      int
}

const ciColumns = `id, name, kind, environment, criticality, description, libvirt_host, libvirt_domain, created_at, updated_at,
	criticality_was, criticality_changed_by, criticality_changed_at`

// ciColumnsOf is ciColumns of the table aliased c.
var ciColumnsOf = "c." + strings.ReplaceAll(strings.ReplaceAll(ciColumns, "\n\t", " "), ", ", ", c.")

func scanCI(sc interface{ Scan(...any) error }) (CI, error) {
	var c CI
	var ca, ua, was, by, at string
	if err := sc.Scan(&c.ID, &c.Name, &c.Kind, &c.Environment, &c.Criticality, &c.Description, &c.LibvirtHost, &c.LibvirtDomain, &ca, &ua,
		&was, &by, &at); err != nil {
		return c, err
	}
	c.CreatedAt, _ = store.ParseTime(ca)
	c.UpdatedAt, _ = store.ParseTime(ua)
	if was != "" {
		c.CriticalityChange = &CriticalityChange{From: was, By: by}
		c.CriticalityChange.At, _ = store.ParseTime(at)
	}
	return c, nil
}

// controlled says which of a CI's controlled fields an update changes:
// its criticality (the risk of releases touching it), its environment, and
// its libvirt link (what labs snapshot and clone).
func controlled(before, after CI) []string {
	var out []string
	if before.Criticality != after.Criticality {
		out = append(out, "criticality")
	}
	if before.Environment != after.Environment {
		out = append(out, "environment")
	}
	if before.LibvirtHost != after.LibvirtHost || before.LibvirtDomain != after.LibvirtDomain {
		out = append(out, "libvirt link")
	}
	return out
}

// mayControl refuses a change of controlled fields to anyone but an admin.
func mayControl(by auth.Actor, fields []string) error {
	if len(fields) == 0 || by.Has(auth.RoleAdmin) {
		return nil
	}
	return apperr.Forbidden("Changing a configuration item's %s needs the admin role: it changes the risk of releases touching it and what labs clone.",
		strings.Join(fields, ", "))
}

// ListCIs returns catalog entries by name.
func (s *Service) ListCIs(ctx context.Context, f CIFilter) ([]CI, int, error) {
	var w store.Where
	if f.Q != "" {
		like := "%" + store.EscapeLike(f.Q) + "%"
		w.Add(`(name LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\')`, like, like)
	}
	w.Equal("kind", f.Kind)
	w.Equal("environment", f.Environment)
	cond, args := w.SQL(), w.Args()
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cis`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+ciColumns+` FROM cis`+cond+` ORDER BY name LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []CI{}
	for rows.Next() {
		c, err := scanCI(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// GetCI returns one catalog entry.
func (s *Service) GetCI(ctx context.Context, id int64) (CI, error) {
	c, err := scanCI(s.db.QueryRowContext(ctx, `SELECT `+ciColumns+` FROM cis WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return c, apperr.NotFound("configuration item", id)
	}
	return c, err
}

// CreateCI adds a configuration item to the catalog.
func (s *Service) CreateCI(ctx context.Context, by auth.Actor, in CIInput) (CI, error) {
	var c CI
	if err := c.apply(in, true); err != nil {
		return c, err
	}
	if c.LibvirtHost != "" || c.LibvirtDomain != "" {
		if err := mayControl(by, []string{"libvirt link"}); err != nil {
			return CI{}, err
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	c.CreatedAt, c.UpdatedAt = now, now
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO cis (name, kind, environment, criticality, description, libvirt_host, libvirt_domain, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Name, c.Kind, c.Environment, c.Criticality, c.Description, c.LibvirtHost, c.LibvirtDomain,
			store.FormatTime(now), store.FormatTime(now))
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("name", "A configuration item named %q already exists.", c.Name)
		}
		if err != nil {
			return err
		}
		c.ID, _ = res.LastInsertId()
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "ci.create", Entity: "ci",
			EntityID: events.ID(c.ID), After: c})
	})
	if err != nil {
		return CI{}, err
	}
	s.bus.Publish(events.CIChanged, events.ID(c.ID), c)
	return c, nil
}

// UpdateCI changes a catalog entry; a new criticality re-scores the open
// releases that touch it.
func (s *Service) UpdateCI(ctx context.Context, by auth.Actor, id int64, in CIInput) (CI, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	var c CI
	var touched []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := scanCI(tx.QueryRowContext(ctx, `SELECT `+ciColumns+` FROM cis WHERE id = ?`, id))
		if err == sql.ErrNoRows {
			return apperr.NotFound("configuration item", id)
		}
		if err != nil {
			return err
		}
		c = before
		if err := c.apply(in, false); err != nil {
			return err
		}
		if err := mayControl(by, controlled(before, c)); err != nil {
			return err
		}
		c.UpdatedAt = now
		if c.Criticality != before.Criticality {
			c.CriticalityChange = &CriticalityChange{From: before.Criticality, By: by.Username, At: now}
			if _, err := tx.ExecContext(ctx, `UPDATE cis SET criticality_was = ?, criticality_changed_by = ?, criticality_changed_at = ? WHERE id = ?`,
				before.Criticality, by.Username, store.FormatTime(now), id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE cis SET name = ?, kind = ?, environment = ?, criticality = ?, description = ?,
			libvirt_host = ?, libvirt_domain = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Kind, c.Environment, c.Criticality, c.Description, c.LibvirtHost, c.LibvirtDomain, store.FormatTime(now), id)
		if store.IsUniqueViolation(err) {
			return apperr.Conflict("name", "A configuration item named %q already exists.", c.Name)
		}
		if err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "ci.update", Entity: "ci",
			EntityID: events.ID(id), Before: before, After: c}); err != nil {
			return err
		}
		touched, err = s.rescoreReleasesTouching(ctx, tx, []int64{id})
		return err
	})
	if err != nil {
		return CI{}, err
	}
	s.bus.Publish(events.CIChanged, events.ID(id), c)
	s.publishReleases(ctx, touched)
	return c, nil
}

// ValidateCI checks a new configuration item's fields as CreateCI would,
// without writing anything (bulk imports check every row first).
func (s *Service) ValidateCI(by auth.Actor, in CIInput) error {
	var c CI
	if err := c.apply(in, true); err != nil {
		return err
	}
	if c.LibvirtHost != "" || c.LibvirtDomain != "" {
		return mayControl(by, []string{"libvirt link"})
	}
	return nil
}

// maxNamesPerQuery bounds the names looked up in one statement.
const maxNamesPerQuery = 500

// CIsNamed returns the catalog entries with these names (names compare
// without case, as the catalog's unique names do), keyed by lower-cased name.
func (s *Service) CIsNamed(ctx context.Context, names []string) (map[string]CI, error) {
	out := map[string]CI{}
	for start := 0; start < len(names); start += maxNamesPerQuery {
		chunk := names[start:min(start+maxNamesPerQuery, len(names))]
		args := make([]any, len(chunk))
		for i, n := range chunk {
			args[i] = n
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+ciColumns+` FROM cis WHERE name IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			c, err := scanCI(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[strings.ToLower(c.Name)] = c
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateCIs adds many configuration items in one transaction: all of them
// or, when any is invalid or its name is taken, none (the error names every
// row at fault, numbered from 1 in the order given). Each is audited as
// CreateCI audits one.
func (s *Service) CreateCIs(ctx context.Context, by auth.Actor, ins []CIInput) ([]CI, error) {
	if len(ins) == 0 {
		return []CI{}, nil
	}
	out := make([]CI, len(ins))
	var bad []apperr.RowError
	for i, in := range ins {
		if err := out[i].apply(in, true); err != nil {
			bad = append(bad, apperr.RowError{Row: i + 1, Field: apperr.FieldOf(err), Message: err.Error()})
		} else if out[i].LibvirtHost != "" || out[i].LibvirtDomain != "" {
			if err := mayControl(by, []string{"libvirt link"}); err != nil {
				return nil, err
			}
		}
	}
	if bad != nil {
		return nil, apperr.Rows(len(ins), bad)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var taken []apperr.RowError
		for i := range out {
			c := &out[i]
			c.CreatedAt, c.UpdatedAt = now, now
			res, err := tx.ExecContext(ctx, `INSERT INTO cis (name, kind, environment, criticality, description, libvirt_host, libvirt_domain, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Name, c.Kind, c.Environment, c.Criticality, c.Description, c.LibvirtHost, c.LibvirtDomain,
				store.FormatTime(now), store.FormatTime(now))
			if store.IsUniqueViolation(err) {
				taken = append(taken, apperr.RowError{Row: i + 1, Field: "name", Message: fmt.Sprintf("A configuration item named %q already exists.", c.Name)})
				continue
			}
			if err != nil {
				return err
			}
			c.ID, _ = res.LastInsertId()
			if err := audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "ci.create", Entity: "ci",
				EntityID: events.ID(c.ID), After: *c}); err != nil {
				return err
			}
		}
		if taken != nil {
			return apperr.Rows(len(ins), taken)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range out {
		s.bus.Publish(events.CIChanged, events.ID(c.ID), c)
	}
	return out, nil
}
