package inventory

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/secrets"
	"github.com/shakedown/shakedown/backend/store"
)

// record is a row of the targets table: secrets sealed.
type record struct {
	ciID         int64
	address      string
	port         int
	user         string
	authKind     AuthKind
	credential   []byte // sealed; nil: none
	sudo         bool
	sudoPassword []byte // sealed; nil: none
	hostKey      string // authorized_keys line
	fingerprint  string
	trustedBy    string
	trustedAt    string
	updatedBy    string
	updatedAt    string
	stored       bool // the row exists
}

func newRecord(ciID int64) record {
	return record{ciID: ciID, port: 22, authKind: AuthNone}
}

// changes says what an update did to the secrets, for the audit trail
// (which never holds a secret itself): "set", "changed" or "cleared".
type changes struct {
	Credential   string `json:"credential,omitempty"`
	SudoPassword string `json:"sudo_password,omitempty"`
	// HostKeyCleared: a new address or port forgot the pinned key.
	HostKeyCleared bool `json:"host_key_cleared,omitempty"`
}

func secretChange(before, after []byte, replaced bool) string {
	switch {
	case before == nil && after != nil:
		return "set"
	case before != nil && after == nil:
		return "cleared"
	case replaced:
		return "changed"
	}
	return ""
}

const (
	maxPassword   = 1024
	maxPrivateKey = 16 << 10
	maxTags       = 20
)

var (
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
	userRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,63}$`)
	tagRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9._:-]{0,39}$`)
)

// validAddress checks a host name or IP address (no port: that has its
// own field).
func validAddress(a string) error {
	if _, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil {
		return nil
	}
	if strings.Contains(a, ":") {
		return apperr.Invalid("address", "Address is a host name or IP address without the port (the port has its own field): %q.", a)
	}
	if len(a) > 253 || !hostnameRE.MatchString(a) {
		return apperr.Invalid("address", "Address must be a host name (letters, digits, - and .) or an IP address: %q.", a)
	}
	return nil
}

func sealContext(ciID int64, field string) string { return fmt.Sprintf("target/%d/%s", ciID, field) }

// apply changes r by in, checking every rule; box seals the new secrets.
func (r *record) apply(in TargetInput, box *secrets.Box) (changes, error) {
	var ch changes
	before := *r
	if in.Address != nil {
		a := strings.TrimSpace(*in.Address)
		if a != "" {
			if err := validAddress(a); err != nil {
				return ch, err
			}
			if ip, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil {
				a = ip.String()
			}
		}
		r.address = a
	}
	if in.Port != nil {
		if *in.Port < 1 || *in.Port > 65535 {
			return ch, apperr.Invalid("port", "Port must be from 1 to 65535.")
		}
		r.port = *in.Port
	}
	if in.User != nil {
		u := strings.TrimSpace(*in.User)
		if u != "" && !userRE.MatchString(u) {
			return ch, apperr.Invalid("user", "User must be a login name: letters, digits, . _ - (up to 64), not starting with a digit: %q.", u)
		}
		r.user = u
	}
	if r.address != "" && r.user == "" {
		return ch, apperr.Invalid("user", "Give the SSH user the rollout signs in as.")
	}
	kindGiven := in.AuthKind != nil
	if kindGiven {
		k := *in.AuthKind
		if !slices.Contains(AuthKind("").EnumValues(), string(k)) {
			return ch, apperr.Invalid("auth_kind", "Auth kind must be none, password or private-key.")
		}
		if k != AuthNone && k != before.authKind && (in.Credential == nil || *in.Credential == "") {
			return ch, apperr.Invalid("credential", "Give the %s that goes with the new auth kind.", credentialNoun(k))
		}
		r.authKind = k
	}
	replaced := false
	switch {
	case r.authKind == AuthNone:
		if in.Credential != nil && *in.Credential != "" {
			return ch, apperr.Invalid("auth_kind", "Say whether the credential is a password or a private-key (auth_kind).")
		}
		r.credential = nil
	case in.Credential != nil:
		c, err := checkCredential(r.authKind, *in.Credential)
		if err != nil {
			return ch, err
		}
		r.credential = box.Seal([]byte(c), sealContext(r.ciID, "credential"))
		replaced = true
	}
	if in.Sudo != nil {
		r.sudo = *in.Sudo
	}
	replacedSudo := false
	if in.SudoPassword != nil {
		switch p := *in.SudoPassword; {
		case p == "":
			r.sudoPassword = nil
		case !r.sudo:
			return ch, apperr.Invalid("sudo_password", "A sudo password needs sudo turned on.")
		case len(p) > maxPassword || strings.ContainsRune(p, 0):
			return ch, apperr.Invalid("sudo_password", "The sudo password must be at most %d bytes, without NUL.", maxPassword)
		default:
			r.sudoPassword = box.Seal([]byte(p), sealContext(r.ciID, "sudo_password"))
			replacedSudo = true
		}
	}
	if !r.sudo {
		r.sudoPassword = nil
	}
	if !strings.EqualFold(r.address, before.address) || r.port != before.port {
		if r.fingerprint != "" {
			ch.HostKeyCleared = true
		}
		r.hostKey, r.fingerprint, r.trustedBy, r.trustedAt = "", "", "", ""
	}
	ch.Credential = secretChange(before.credential, r.credential, replaced)
	ch.SudoPassword = secretChange(before.sudoPassword, r.sudoPassword, replacedSudo)
	return ch, nil
}

func credentialNoun(k AuthKind) string {
	if k == AuthPrivateKey {
		return "private key"
	}
	return "password"
}

// checkCredential checks a password or a private key and returns it as
// stored (a key ends with a newline).
func checkCredential(k AuthKind, c string) (string, error) {
	if c == "" {
		return "", apperr.Invalid("credential", "Give the %s.", credentialNoun(k))
	}
	if k == AuthPassword {
		if len(c) > maxPassword || strings.ContainsRune(c, 0) {
			return "", apperr.Invalid("credential", "The password must be at most %d bytes, without NUL.", maxPassword)
		}
		return c, nil
	}
	c = strings.TrimSpace(c) + "\n"
	if len(c) > maxPrivateKey {
		return "", apperr.Invalid("credential", "The private key is larger than %d KiB.", maxPrivateKey>>10)
	}
	if _, err := ssh.ParsePrivateKey([]byte(c)); err != nil {
		var pass *ssh.PassphraseMissingError
		if errors.As(err, &pass) {
			return "", apperr.Invalid("credential", "The private key is protected by a passphrase; give one without (ssh-keygen -p -N '' -f key on a copy).")
		}
		return "", apperr.Invalid("credential", "The private key cannot be read (OpenSSH or PEM format): %v.", err)
	}
	return c, nil
}

// normTags checks tags and returns them lower-cased, sorted, without
// duplicates.
func normTags(in []string, field string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !tagRE.MatchString(t) {
			return nil, apperr.Invalid(field, "Tag %q: up to 40 lower-case letters, digits, . _ : -, starting with a letter or digit.", t)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		return nil, apperr.Invalid(field, "A configuration item has at most %d tags.", maxTags)
	}
	return out, nil
}

// view is the target as answered: no secret, only whether there is one.
func (r record) view(t *Target) {
	t.Address, t.Port, t.User, t.AuthKind = r.address, r.port, r.user, r.authKind
	t.HasCredential, t.Sudo, t.HasSudoPassword = r.credential != nil, r.sudo, r.sudoPassword != nil
	t.HostKeyFingerprint, t.TrustedBy = r.fingerprint, r.trustedBy
	t.HostKeyType, _, _ = strings.Cut(r.hostKey, " ")
	t.TrustedAt, t.UpdatedAt = parseTime(r.trustedAt), parseTime(r.updatedAt)
	t.UpdatedBy = r.updatedBy
}

func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := store.ParseTime(s)
	if err != nil {
		return nil
	}
	return &t
}
