// Package notify tells people what they must not have to watch the board
// for: a release waiting for their approval, an approval voided, a lab
// finished or failed, a rollout paused for a human, a release they own
// deployed or failed. It listens to the event bus, writes each notification
// to a durable outbox (with one delivery per recipient) the moment it sees
// it, and delivers in lanes — one goroutine for e-mail over SMTP (per-user
// preferences, digests), one per webhook endpoint for signed webhooks
// (retried with backoff, history kept, re-sendable) — so that a slow
// endpoint delays only its own deliveries. A delivery that fails never
// reaches back to the action that caused it, an undelivered one survives a
// restart, and each change of one is a delivery.updated event. On start
// (and after falling behind the bus) it catches up on what it missed.
package notify

import "time"

// Kind is what a notification is about.
type Kind string

// The kinds of notification.
const (
	KindAwaitingApproval Kind = "release.awaiting-approval"
	KindApprovalVoided   Kind = "release.approval-voided"
	KindDeployed         Kind = "release.deployed"
	KindFailed           Kind = "release.failed"
	KindLabPassed        Kind = "lab.passed"
	KindLabFailed        Kind = "lab.failed"
	KindRolloutPaused    Kind = "rollout.paused"
	// KindTest is a test sent by an admin from the settings page.
	KindTest Kind = "test"
)

// Kinds are the kinds people and webhooks choose from.
var Kinds = []Kind{KindAwaitingApproval, KindApprovalVoided, KindDeployed, KindFailed, KindLabPassed, KindLabFailed, KindRolloutPaused}

// EnumValues lists the kinds for the OpenAPI document.
func (Kind) EnumValues() []string {
	out := []string{}
	for _, k := range append(Kinds, KindTest) {
		out = append(out, string(k))
	}
	return out
}

// Label is a kind as people read it.
func (k Kind) Label() string {
	switch k {
	case KindAwaitingApproval:
		return "A release awaits my approval"
	case KindApprovalVoided:
		return "An approval was voided"
	case KindDeployed:
		return "A release I own was deployed"
	case KindFailed:
		return "A release I own failed or was rolled back"
	case KindLabPassed:
		return "My lab passed its test period"
	case KindLabFailed:
		return "My lab failed"
	case KindRolloutPaused:
		return "A rollout paused for a human (admins)"
	}
	return string(k)
}

func validKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Payload is the JSON body a webhook in the json format receives (and what
// a notification is): what happened, about what, and where to look.
type Payload struct {
	// ID is the notification's id: a re-sent delivery carries the same id.
	ID    int64     `json:"id"`
	Event Kind      `json:"event"`
	At    time.Time `json:"at"`
	Title string    `json:"title"`
	Text  string    `json:"text"`
	// Link is the screen in Shakedown (empty when no public URL is set).
	Link     string `json:"link"`
	Entity   string `json:"entity"`
	EntityID string `json:"entity_id"`
}

// ChatPayload is the body a webhook in the chat format receives: the
// incoming-webhook format Slack and Mattermost accept.
type ChatPayload struct {
	Text string `json:"text"`
}

// Format is how a webhook's body is written.
type Format string

// Webhook formats.
const (
	FormatJSON Format = "json"
	FormatChat Format = "chat"
)

// EnumValues lists the formats for the OpenAPI document.
func (Format) EnumValues() []string { return []string{string(FormatJSON), string(FormatChat)} }

// Security is how the connection to the SMTP server is protected.
type Security string

// SMTP connection security.
const (
	SecurityNone     Security = "none"
	SecuritySTARTTLS Security = "starttls"
	SecurityTLS      Security = "tls"
)

// EnumValues lists the modes for the OpenAPI document.
func (Security) EnumValues() []string {
	return []string{string(SecurityNone), string(SecuritySTARTTLS), string(SecurityTLS)}
}

// Settings are the admin's mail and link settings.
type Settings struct {
	// BaseURL is Shakedown's public address, for links (https://shakedown.example.com).
	BaseURL  string   `json:"base_url"`
	SMTPHost string   `json:"smtp_host"`
	SMTPPort int      `json:"smtp_port"`
	Security Security `json:"security"`
	Username string   `json:"username"`
	// PasswordSet says a password is stored (it is never sent back).
	PasswordSet bool   `json:"password_set"`
	From        string `json:"from"`
	// DigestMinutes is the least time between two mails to one user who
	// chose the digest.
	DigestMinutes int `json:"digest_minutes"`
}

// SettingsInput changes the settings. Password: nil keeps the stored one,
// "" removes it.
type SettingsInput struct {
	BaseURL       string   `json:"base_url"`
	SMTPHost      string   `json:"smtp_host"`
	SMTPPort      int      `json:"smtp_port"`
	Security      Security `json:"security"`
	Username      string   `json:"username"`
	Password      *string  `json:"password,omitempty"`
	From          string   `json:"from"`
	DigestMinutes int      `json:"digest_minutes"`
}

// Prefs are one user's choices.
type Prefs struct {
	Email string `json:"email"`
	// Events says, per kind, whether the user wants a mail.
	Events map[Kind]bool `json:"events"`
	// Digest gathers mails into at most one per the admin's digest interval.
	Digest bool `json:"digest"`
}

// KindInfo is a kind with its label, for the preferences form.
type KindInfo struct {
	Kind  Kind   `json:"kind"`
	Label string `json:"label"`
}

// PrefsView is a user's preferences with the kinds they may choose.
type PrefsView struct {
	Prefs
	Kinds         []KindInfo `json:"kinds"`
	DigestMinutes int        `json:"digest_minutes"`
}

// Webhook is a registered URL.
type Webhook struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	URL     string `json:"url"`
	Events  []Kind `json:"events"`
	Format  Format `json:"format"`
	Enabled bool   `json:"enabled"`
	// Secret is shown once, when the webhook is created (or its secret
	// renewed); empty in every other answer.
	Secret    string    `json:"secret,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// WebhookInput creates or changes a webhook.
type WebhookInput struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Events  []Kind `json:"events"`
	Format  Format `json:"format"`
	Enabled bool   `json:"enabled"`
	// RenewSecret makes a new signing secret (on update).
	RenewSecret bool `json:"renew_secret"`
}

// DeliveryState is where a delivery is.
type DeliveryState string

// Delivery states.
const (
	StatePending DeliveryState = "pending"
	StateSent    DeliveryState = "sent"
	StateFailed  DeliveryState = "failed"
)

// EnumValues lists the states for the OpenAPI document.
func (DeliveryState) EnumValues() []string {
	return []string{string(StatePending), string(StateSent), string(StateFailed)}
}

// Attempt is one try of a delivery.
type Attempt struct {
	At           time.Time `json:"at"`
	OK           bool      `json:"ok"`
	ResponseCode int       `json:"response_code"`
	Error        string    `json:"error"`
	DurationMS   int64     `json:"duration_ms"`
}

// Delivery is one notification to one recipient, with its attempts.
type Delivery struct {
	ID             int64         `json:"id"`
	NotificationID int64         `json:"notification_id"`
	Event          Kind          `json:"event"`
	Title          string        `json:"title"`
	Channel        string        `json:"channel"`
	Recipient      string        `json:"recipient"`
	State          DeliveryState `json:"state"`
	Attempts       int           `json:"attempts"`
	NextAt         time.Time     `json:"next_at"`
	LastError      string        `json:"last_error"`
	ResponseCode   int           `json:"response_code"`
	SentAt         *time.Time    `json:"sent_at"`
	CreatedAt      time.Time     `json:"created_at"`
	History        []Attempt     `json:"history"`
}
