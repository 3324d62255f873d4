package inventory

import "time"

// Kind is how a rollout reaches a target, derived from what is known of it:
// vm when its CI is linked to a libvirt domain (the guest agent), ssh when
// it has an address, else manual (a step a named person marks done).
type Kind string

const (
	KindVM     Kind = "vm"
	KindSSH    Kind = "ssh"
	KindManual Kind = "manual"
)

// EnumValues lists the kinds.
func (Kind) EnumValues() []string {
	return []string{string(KindVM), string(KindSSH), string(KindManual)}
}

// AuthKind is what a target's SSH credential is.
type AuthKind string

const (
	AuthNone       AuthKind = "none"
	AuthPassword   AuthKind = "password"
	AuthPrivateKey AuthKind = "private-key"
)

// EnumValues lists the kinds of credential.
func (AuthKind) EnumValues() []string {
	return []string{string(AuthNone), string(AuthPassword), string(AuthPrivateKey)}
}

// Target is a configuration item as a rollout sees it: how to reach it and
// its tags. It never carries a secret: only whether there is one.
type Target struct {
	CIID        int64  `json:"ci_id"`
	Name        string `json:"name"`
	CIKind      string `json:"ci_kind"` // the CI's kind: vm or host
	Environment string `json:"environment"`
	Criticality string `json:"criticality"`
	Kind        Kind   `json:"kind"`
	// LibvirtHost and LibvirtDomain are the CI's libvirt link (kind vm).
	LibvirtHost   string `json:"libvirt_host"`
	LibvirtDomain string `json:"libvirt_domain"`
	// Address (a host name or IP address), Port and User reach it over SSH.
	Address         string   `json:"address"`
	Port            int      `json:"port"`
	User            string   `json:"user"`
	AuthKind        AuthKind `json:"auth_kind"`
	HasCredential   bool     `json:"has_credential"`
	Sudo            bool     `json:"sudo"`
	HasSudoPassword bool     `json:"has_sudo_password"`
	// HostKeyFingerprint is the pinned SSH host key (SHA256:…), trusted by
	// an admin at TrustedAt; empty until one is trusted, and again when the
	// address or port changes.
	HostKeyFingerprint string     `json:"host_key_fingerprint"`
	HostKeyType        string     `json:"host_key_type"`
	TrustedBy          string     `json:"trusted_by"`
	TrustedAt          *time.Time `json:"trusted_at"`
	Tags               []string   `json:"tags"`
	// UpdatedBy and UpdatedAt are the last change of its target record
	// (empty: it has none yet).
	UpdatedBy string     `json:"updated_by"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// TargetInput changes a target; absent fields are left as they are.
// Credential and SudoPassword are write-only: no answer ever carries them.
type TargetInput struct {
	Address *string `json:"address"`
	Port    *int    `json:"port"`
	User    *string `json:"user"`
	// AuthKind none removes the credential; password or private-key says
	// what Credential is (a new kind needs its credential).
	AuthKind *AuthKind `json:"auth_kind"`
	// Credential is the password, or the private key (OpenSSH or PEM,
	// without a passphrase).
	Credential *string `json:"credential"`
	Sudo       *bool   `json:"sudo"`
	// SudoPassword is the password sudo asks for; empty removes it.
	SudoPassword *string `json:"sudo_password"`
}

// TagsInput replaces a CI's tags.
type TagsInput struct {
	Tags []string `json:"tags"`
}

// Selector picks targets for a plan: every condition given must hold.
type Selector struct {
	CIIDs       []int64 // these CIs (all must exist)
	Tags        []string
	Environment string
	Kinds       []Kind
}

// Filter narrows the paginated listing.
type Filter struct {
	Selector
	Q      string // text in the name, address or description
	Limit  int
	Offset int
}

// HostKeyScan is the SSH host key a target presents now, read without
// signing in, for an admin to check against the machine before trusting it.
type HostKeyScan struct {
	Address     string `json:"address"` // host:port read from
	Type        string `json:"type"`
	Fingerprint string `json:"fingerprint"`
	// PinnedFingerprint is the key trusted before (empty: none), and
	// Matches says whether the presented key is that one.
	PinnedFingerprint string `json:"pinned_fingerprint"`
	Matches           bool   `json:"matches"`
}

// TrustRequest trusts the host key an admin was shown, by its fingerprint.
type TrustRequest struct {
	Fingerprint string `json:"fingerprint"`
}

// Access is what a rollout executor needs to reach an SSH target, secrets
// included. It never leaves the server.
type Access struct {
	CIID         int64
	Name         string
	Address      string
	Port         int
	User         string
	AuthKind     AuthKind
	Password     string
	PrivateKey   string
	Sudo         bool
	SudoPassword string
	// HostKey is the pinned key as an authorized_keys line, and
	// HostKeyFingerprint its fingerprint; empty: none is trusted yet.
	HostKey            string
	HostKeyFingerprint string
}
