package notify

// What admins configure (mail settings, webhooks) and users choose (their
// preferences), each write audited.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

const passwordContext = "notify/smtp/password"

func webhookContext(id int64) string { return fmt.Sprintf("notify/webhook/%d/secret", id) }

// DefaultSettings are the settings of a new installation.
func DefaultSettings() Settings {
	return Settings{SMTPPort: 587, Security: SecuritySTARTTLS, DigestMinutes: 15}
}

// Settings returns the mail and link settings (never the password).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	st, _, err := s.readSettings(ctx, s.db)
	return st, err
}

func (s *Service) readSettings(ctx context.Context, q store.Querier) (Settings, []byte, error) {
	st := DefaultSettings()
	var body string
	var sealed []byte
	err := q.QueryRowContext(ctx, `SELECT body, smtp_password FROM notify_settings WHERE id = 1`).Scan(&body, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil, nil
	}
	if err != nil {
		return st, nil, err
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return st, nil, fmt.Errorf("notify settings: %w", err)
	}
	st.PasswordSet = len(sealed) > 0
	return st, sealed, nil
}

// PutSettings replaces the settings (an admin's).
func (s *Service) PutSettings(ctx context.Context, by auth.Actor, in SettingsInput) (Settings, error) {
	if !by.Has(auth.RoleAdmin) {
		return Settings{}, apperr.Forbidden("Only an admin changes the notification settings.")
	}
	st := Settings{BaseURL: strings.TrimRight(strings.TrimSpace(in.BaseURL), "/"), SMTPHost: strings.TrimSpace(in.SMTPHost), SMTPPort: in.SMTPPort,
		Security: in.Security, Username: strings.TrimSpace(in.Username), From: strings.TrimSpace(in.From), DigestMinutes: in.DigestMinutes}
	if st.BaseURL != "" {
		u, err := url.Parse(st.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return Settings{}, apperr.Invalid("base_url", "The public address must be an http or https URL like https://shakedown.example.com.")
		}
	}
	if st.SMTPHost != "" && (strings.ContainsAny(st.SMTPHost, " /:") && !strings.HasPrefix(st.SMTPHost, "[")) {
		return Settings{}, apperr.Invalid("smtp_host", "Give the SMTP server's host name or address, without a port or scheme.")
	}
	if st.SMTPPort < 1 || st.SMTPPort > 65535 {
		return Settings{}, apperr.Invalid("smtp_port", "The SMTP port is between 1 and 65535 (587 for STARTTLS, 465 for TLS).")
	}
	switch st.Security {
	case SecurityNone, SecuritySTARTTLS, SecurityTLS:
	default:
		return Settings{}, apperr.Invalid("security", "Security is none, starttls or tls.")
	}
	if st.SMTPHost != "" || st.From != "" {
		if _, err := mail.ParseAddress(st.From); err != nil {
			return Settings{}, apperr.Invalid("from", "The sender must be an e-mail address like shakedown@example.com.")
		}
	}
	if st.DigestMinutes < 1 || st.DigestMinutes > 1440 {
		return Settings{}, apperr.Invalid("digest_minutes", "The digest interval is between 1 and 1440 minutes.")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, sealed, err := s.readSettings(ctx, tx)
		if err != nil {
			return err
		}
		if in.Password != nil {
			sealed = nil
			if *in.Password != "" {
				if s.cfg.Box == nil {
					return errors.New("notify: no secrets box")
				}
				sealed = s.cfg.Box.Seal([]byte(*in.Password), passwordContext)
			}
		}
		if st.Username != "" && len(sealed) == 0 {
			return apperr.Invalid("password", "A user name needs its password.")
		}
		st.PasswordSet = len(sealed) > 0
		body, _ := json.Marshal(st)
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_settings (id, body, smtp_password, updated_by, updated_at) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET body = excluded.body, smtp_password = excluded.smtp_password, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			string(body), sealed, by.Username, store.FormatTime(now)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "notify.settings.update", Entity: "notify-settings", EntityID: "1",
			Before: before, After: st})
	})
	return st, err
}

// smtpPassword opens the stored password.
func (s *Service) smtpPassword(sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	p, err := s.cfg.Box.Open(sealed, passwordContext)
	return string(p), err
}

// Prefs returns by's own preferences.
func (s *Service) Prefs(ctx context.Context, by auth.Actor) (PrefsView, error) {
	p, err := readPrefs(ctx, s.db, by.Username)
	if err != nil {
		return PrefsView{}, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return PrefsView{}, err
	}
	v := PrefsView{Prefs: p, DigestMinutes: set.DigestMinutes, Kinds: []KindInfo{}}
	for _, k := range Kinds {
		if _, ok := v.Events[k]; !ok {
			v.Events[k] = true
		}
		v.Kinds = append(v.Kinds, KindInfo{Kind: k, Label: k.Label()})
	}
	return v, nil
}

// PutPrefs replaces by's own preferences.
func (s *Service) PutPrefs(ctx context.Context, by auth.Actor, in Prefs) (PrefsView, error) {
	in.Email = strings.TrimSpace(in.Email)
	if in.Email != "" {
		a, err := mail.ParseAddress(in.Email)
		if err != nil || a.Name != "" {
			return PrefsView{}, apperr.Invalid("email", "%q is not an e-mail address: write it as name@example.com.", in.Email)
		}
	}
	for k := range in.Events {
		if !validKind(k) {
			return PrefsView{}, apperr.Invalid("events", "%q is not a kind of notification.", k)
		}
	}
	if in.Events == nil {
		in.Events = map[Kind]bool{}
	}
	ev, _ := json.Marshal(in.Events)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := readPrefs(ctx, tx, by.Username)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_prefs (username, email, events, digest, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (username) DO UPDATE SET email = excluded.email, events = excluded.events, digest = excluded.digest, updated_at = excluded.updated_at`,
			by.Username, in.Email, string(ev), in.Digest, store.FormatTime(now)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "notify.prefs.update", Entity: "user", EntityID: by.Username,
			Before: before, After: in})
	})
	if err != nil {
		return PrefsView{}, err
	}
	return s.Prefs(ctx, by)
}

func listWebhooks(ctx context.Context, q store.Querier) ([]Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, url, events, format, enabled, created_by, created_at FROM notify_webhooks ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		var h Webhook
		var ev, at string
		if err := rows.Scan(&h.ID, &h.Name, &h.URL, &ev, &h.Format, &h.Enabled, &h.CreatedBy, &at); err != nil {
			return nil, err
		}
		h.Events = []Kind{}
		_ = json.Unmarshal([]byte(ev), &h.Events)
		h.CreatedAt, _ = store.ParseTime(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Webhooks lists the registered webhooks.
func (s *Service) Webhooks(ctx context.Context) ([]Webhook, error) { return listWebhooks(ctx, s.db) }

func (s *Service) webhook(ctx context.Context, q store.Querier, id int64) (Webhook, []byte, error) {
	var h Webhook
	var ev, at string
	var secret []byte
	err := q.QueryRowContext(ctx, `SELECT id, name, url, events, format, enabled, created_by, created_at, secret FROM notify_webhooks WHERE id = ?`, id).
		Scan(&h.ID, &h.Name, &h.URL, &ev, &h.Format, &h.Enabled, &h.CreatedBy, &at, &secret)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil, apperr.NotFound("webhook", id)
	}
	h.Events = []Kind{}
	_ = json.Unmarshal([]byte(ev), &h.Events)
	h.CreatedAt, _ = store.ParseTime(at)
	return h, secret, err
}

func (in *WebhookInput) validate() error {
	in.Name, in.URL = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL)
	if in.Name == "" || len(in.Name) > 100 {
		return apperr.Invalid("name", "Give the webhook a name (at most 100 characters).")
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.Invalid("url", "The URL must be an http or https address like https://chat.example.com/hooks/abc.")
	}
	if in.Format == "" {
		in.Format = FormatJSON
	}
	if in.Format != FormatJSON && in.Format != FormatChat {
		return apperr.Invalid("format", "The format is json (Shakedown's payload) or chat (Slack/Mattermost {\"text\": …}).")
	}
	if in.Events == nil {
		in.Events = []Kind{}
	}
	for _, k := range in.Events {
		if !validKind(k) {
			return apperr.Invalid("events", "%q is not a kind of notification.", k)
		}
	}
	return nil
}

func newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// CreateWebhook registers a webhook; its signing secret is in the answer, once.
func (s *Service) CreateWebhook(ctx context.Context, by auth.Actor, in WebhookInput) (Webhook, error) {
	if !by.Has(auth.RoleAdmin) {
		return Webhook{}, apperr.Forbidden("Only an admin registers webhooks.")
	}
	if err := in.validate(); err != nil {
		return Webhook{}, err
	}
	secret := newSecret()
	var h Webhook
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.FormatTime(s.now())
		ev, _ := json.Marshal(in.Events)
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_webhooks (name, url, events, format, secret, enabled, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, x'', ?, ?, ?, ?)`, in.Name, in.URL, string(ev), string(in.Format), in.Enabled, by.Username, now, now)
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if _, err := tx.ExecContext(ctx, `UPDATE notify_webhooks SET secret = ? WHERE id = ?`, s.cfg.Box.Seal([]byte(secret), webhookContext(id)), id); err != nil {
			return err
		}
		if h, _, err = s.webhook(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "notify.webhook.create", Entity: "webhook", EntityID: itoa(id), After: h})
	})
	h.Secret = secret
	return h, err
}

// UpdateWebhook changes a webhook (and renews its secret when asked).
func (s *Service) UpdateWebhook(ctx context.Context, by auth.Actor, id int64, in WebhookInput) (Webhook, error) {
	if !by.Has(auth.RoleAdmin) {
		return Webhook{}, apperr.Forbidden("Only an admin changes webhooks.")
	}
	if err := in.validate(); err != nil {
		return Webhook{}, err
	}
	var after Webhook
	secret := ""
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, _, err := s.webhook(ctx, tx, id)
		if err != nil {
			return err
		}
		ev, _ := json.Marshal(in.Events)
		if _, err := tx.ExecContext(ctx, `UPDATE notify_webhooks SET name = ?, url = ?, events = ?, format = ?, enabled = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.URL, string(ev), string(in.Format), in.Enabled, store.FormatTime(s.now()), id); err != nil {
			return err
		}
		if in.RenewSecret {
			secret = newSecret()
			if _, err := tx.ExecContext(ctx, `UPDATE notify_webhooks SET secret = ? WHERE id = ?`, s.cfg.Box.Seal([]byte(secret), webhookContext(id)), id); err != nil {
				return err
			}
		}
		if after, _, err = s.webhook(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "notify.webhook.update", Entity: "webhook", EntityID: itoa(id),
			Before: before, After: map[string]any{"webhook": after, "secret_renewed": in.RenewSecret}})
	})
	after.Secret = secret
	return after, err
}

// DeleteWebhook removes a webhook; its pending deliveries are dropped
// (marked failed) and its history kept.
func (s *Service) DeleteWebhook(ctx context.Context, by auth.Actor, id int64) error {
	if !by.Has(auth.RoleAdmin) {
		return apperr.Forbidden("Only an admin removes webhooks.")
	}
	var dropped []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, _, err := s.webhook(ctx, tx, id)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE notify_deliveries SET state = 'failed', last_error = 'The webhook was removed.' WHERE channel = 'webhook' AND recipient = ? AND state = 'pending' RETURNING id`, itoa(id))
		if err != nil {
			return err
		}
		dropped = nil
		for rows.Next() {
			var did int64
			if err := rows.Scan(&did); err != nil {
				rows.Close()
				return err
			}
			dropped = append(dropped, did)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notify_webhooks WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "notify.webhook.delete", Entity: "webhook", EntityID: itoa(id), Before: before})
	})
	if err == nil {
		s.published(ctx, dropped...)
	}
	return err
}

// Resend queues a delivery again, now, whatever its state; its history stays.
func (s *Service) Resend(ctx context.Context, by auth.Actor, id int64) (Delivery, error) {
	if !by.Has(auth.RoleAdmin) {
		return Delivery{}, apperr.Forbidden("Only an admin re-sends deliveries.")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var channel, recipient string
		err := tx.QueryRowContext(ctx, `SELECT channel, recipient FROM notify_deliveries WHERE id = ?`, id).Scan(&channel, &recipient)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("delivery", id)
		}
		if err != nil {
			return err
		}
		if channel == "webhook" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM notify_webhooks WHERE id = ?`, recipient).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.Conflict("id", "The webhook of this delivery was removed: it cannot be re-sent.")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET state = 'pending', attempts = 0, next_at = ? WHERE id = ?`, store.FormatTime(s.now()), id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Record{Actor: by.Username, Action: "notify.delivery.resend", Entity: "notify-delivery", EntityID: itoa(id)})
	})
	if err != nil {
		return Delivery{}, err
	}
	s.wake()
	s.published(ctx, id)
	return s.delivery(ctx, id)
}

func (s *Service) delivery(ctx context.Context, id int64) (Delivery, error) {
	var w store.Where
	w.Add("d.id = ?", id)
	ds, err := s.list(ctx, w, 1)
	if err != nil {
		return Delivery{}, err
	}
	if len(ds) == 0 {
		return Delivery{}, apperr.NotFound("delivery", id)
	}
	return ds[0], nil
}

// adminLink is the notification settings page.
func adminLink(base string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/#/admin/notifications"
}

// WebhookTest is a test queued to a webhook: the bodies it is sent, by format.
type WebhookTest struct {
	// Payload is the body in the json format.
	Payload Payload `json:"payload"`
	// Chat is the body in the chat format.
	Chat     ChatPayload `json:"chat"`
	Delivery Delivery    `json:"delivery"`
}

// TestWebhook queues a test notification to one webhook (whatever kinds it chose).
func (s *Service) TestWebhook(ctx context.Context, by auth.Actor, id int64) (WebhookTest, error) {
	if !by.Has(auth.RoleAdmin) {
		return WebhookTest{}, apperr.Forbidden("Only an admin tests webhooks.")
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return WebhookTest{}, err
	}
	now := s.now().UTC()
	p := Payload{Event: KindTest, At: now, Title: "Test notification", Text: by.Username + " sent this test from Shakedown's notification settings.",
		Link: adminLink(set.BaseURL), Entity: "webhook", EntityID: itoa(id)}
	var did int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, _, err := s.webhook(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_outbox (key, event, title, text, link, entity, entity_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			fmt.Sprintf("test:%d:%d", id, now.UnixNano()), string(p.Event), p.Title, p.Text, p.Link, p.Entity, p.EntityID, store.FormatTime(now))
		if err != nil {
			return err
		}
		p.ID, _ = res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO notify_deliveries (notification_id, channel, recipient, state, next_at, created_at) VALUES (?, 'webhook', ?, 'pending', ?, ?)`,
			p.ID, itoa(id), store.FormatTime(now), store.FormatTime(now))
		if err != nil {
			return err
		}
		did, _ = res.LastInsertId()
		return nil
	})
	if err != nil {
		return WebhookTest{}, err
	}
	s.wake()
	s.published(ctx, did)
	d, err := s.delivery(ctx, did)
	return WebhookTest{Payload: p, Chat: ChatPayload{Text: chatText(p)}, Delivery: d}, err
}
