package notify

// Sending: a webhook's POST, a user's mail (one, or a digest), and the
// SMTP conversation. Which goroutine sends what is in lanes.go.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
)

// SignatureHeader carries a webhook's signature: t=<unix time>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" under the webhook's secret>. A receiver
// recomputes it and refuses a t too far from its clock (replay).
const SignatureHeader = "Shakedown-Signature"

// Sign returns the signature header's value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *Service) sendWebhook(ctx context.Context, d due) {
	id, _ := strconv.ParseInt(d.recipient, 10, 64)
	h, sealed, err := s.webhook(ctx, s.db, id)
	start := s.now()
	code := 0
	if err == nil && !h.Enabled {
		err = errors.New("the webhook is disabled")
	}
	if err == nil {
		code, err = s.post(ctx, h, sealed, d.payload)
	}
	if ctx.Err() != nil {
		return // stopping: the delivery stays pending for the next start
	}
	if aerr := s.attempted(ctx, []int64{d.id}, d.attempts, code, err, s.now().Sub(start)); aerr != nil {
		s.log.Error("notify: record an attempt", "delivery", d.id, "err", aerr)
	}
}

func (s *Service) post(ctx context.Context, h Webhook, sealed []byte, p Payload) (int, error) {
	secret, err := s.cfg.Box.Open(sealed, webhookContext(h.ID))
	if err != nil {
		return 0, err
	}
	var body []byte
	if h.Format == FormatChat {
		body, _ = json.Marshal(ChatPayload{Text: chatText(p)})
	} else {
		body, _ = json.Marshal(p)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Shakedown-Webhook/1")
	req.Header.Set("Shakedown-Event", string(p.Event))
	req.Header.Set("Shakedown-Notification", strconv.FormatInt(p.ID, 10))
	req.Header.Set(SignatureHeader, Sign(string(secret), s.now(), body))
	res, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("the webhook answered %s: %s", res.Status, strings.TrimSpace(string(msg)))
	}
	return res.StatusCode, nil
}

// chatText is a notification as one chat message (Markdown link).
func chatText(p Payload) string {
	t := "**" + p.Title + "**\n" + p.Text
	if p.Link != "" {
		t += "\n[Open in Shakedown](" + p.Link + ")"
	}
	return t
}

// sendMails sends each user with due mail one mail gathering everything
// pending for them, unless they chose the digest and had one too recently.
func (s *Service) sendMails(ctx context.Context) error {
	now := s.now().UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT recipient FROM notify_deliveries WHERE state = 'pending' AND channel = 'email' AND next_at <= ?`,
		store.FormatTime(now))
	if err != nil {
		return err
	}
	var users []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return err
		}
		users = append(users, u)
	}
	rows.Close()
	if len(users) == 0 {
		return nil
	}
	set, sealed, err := s.readSettings(ctx, s.db)
	if err != nil {
		return err
	}
	for _, u := range users {
		if ctx.Err() != nil {
			return nil
		}
		if err := s.mailUser(ctx, set, sealed, u, now); err != nil {
			s.log.Error("notify: mail a user", "user", u, "err", err)
		}
	}
	return nil
}

func (s *Service) mailUser(ctx context.Context, set Settings, sealed []byte, user string, now time.Time) error {
	p, err := readPrefs(ctx, s.db, user)
	if err != nil {
		return err
	}
	if p.Digest {
		var last string
		_ = s.db.QueryRowContext(ctx, `SELECT last_mail_at FROM notify_prefs WHERE username = ?`, user).Scan(&last)
		if t, err := store.ParseTime(last); err == nil {
			if after := t.Add(time.Duration(set.DigestMinutes) * s.cfg.DigestUnit); after.After(now) {
				_, err := s.db.ExecContext(ctx, `UPDATE notify_deliveries SET next_at = ? WHERE state = 'pending' AND channel = 'email' AND recipient = ? AND next_at < ?`,
					store.FormatTime(after), user, store.FormatTime(after))
				return err
			}
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+dueColumns+` FROM notify_deliveries d JOIN notify_outbox o ON o.id = d.notification_id
		WHERE d.state = 'pending' AND d.channel = 'email' AND d.recipient = ? ORDER BY d.id LIMIT 200`, user)
	if err != nil {
		return err
	}
	ds, err := scanDue(rows)
	if err != nil || len(ds) == 0 {
		return err
	}
	ids := make([]int64, len(ds))
	attempts := 0
	var items []Payload
	for i, d := range ds {
		ids[i] = d.id
		attempts = max(attempts, d.attempts)
		items = append(items, d.payload)
	}
	start := s.now()
	switch {
	case p.Email == "":
		err = errors.New("the user has no e-mail address")
	default:
		err = s.send(ctx, set, sealed, p.Email, message(set, p.Email, items, now))
	}
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		if _, uerr := s.db.ExecContext(ctx, `UPDATE notify_prefs SET last_mail_at = ? WHERE username = ?`, store.FormatTime(now), user); uerr != nil {
			return uerr
		}
	}
	return s.attempted(ctx, ids, attempts, 0, err, s.now().Sub(start))
}

// message writes the mail: one notification, or a digest of several.
func message(set Settings, to string, items []Payload, now time.Time) []byte {
	subject := "Shakedown: " + items[0].Title
	if len(items) > 1 {
		subject = fmt.Sprintf("Shakedown: %d notifications", len(items))
	}
	var body strings.Builder
	for i, p := range items {
		if i > 0 {
			body.WriteString("\n----\n\n")
		}
		body.WriteString(p.Title + "\n\n" + p.Text + "\n")
		if p.Link != "" {
			body.WriteString("\n" + p.Link + "\n")
		}
	}
	body.WriteString("\n--\nYou receive this because of your notification preferences in Shakedown.\n")
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d.%d@shakedown>\r\n", set.From, to,
		mime.QEncoding.Encode("utf-8", subject), now.Format(time.RFC1123Z), now.UnixNano(), items[0].ID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

// send delivers one message over SMTP: STARTTLS (required when chosen) or
// implicit TLS, then AUTH PLAIN when a user name is set.
func (s *Service) send(ctx context.Context, set Settings, sealed []byte, to string, msg []byte) error {
	if set.SMTPHost == "" {
		return errors.New("no SMTP server is configured (Admin → Notifications)")
	}
	from, err := mail.ParseAddress(set.From)
	if err != nil {
		return fmt.Errorf("the sender address %q is not valid", set.From)
	}
	password, err := s.smtpPassword(sealed)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	addr := net.JoinHostPort(set.SMTPHost, strconv.Itoa(set.SMTPPort))
	tlsConf := &tls.Config{ServerName: set.SMTPHost, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	if set.Security == SecurityTLS {
		conn, err = (&tls.Dialer{Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connect to the SMTP server %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, set.SMTPHost)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP server %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello("shakedown"); err != nil {
		return err
	}
	if set.Security == SecuritySTARTTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("the SMTP server %s does not offer STARTTLS: choose security none or tls", addr)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("STARTTLS with %s: %w", addr, err)
		}
	}
	if set.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", set.Username, password, set.SMTPHost)); err != nil {
			return fmt.Errorf("SMTP authentication as %s: %w", set.Username, err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("the SMTP server refused the recipient %s: %w", to, err)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// TestMail sends a test mail to to (an admin's), now, and says what went wrong.
func (s *Service) TestMail(ctx context.Context, by auth.Actor, to string) error {
	if !by.Has(auth.RoleAdmin) {
		return apperr.Forbidden("Only an admin sends a test mail.")
	}
	a, err := mail.ParseAddress(strings.TrimSpace(to))
	if err != nil {
		return apperr.Invalid("to", "%q is not an e-mail address.", to)
	}
	set, sealed, err := s.readSettings(ctx, s.db)
	if err != nil {
		return err
	}
	p := Payload{Event: KindTest, At: s.now(), Title: "Test mail", Text: fmt.Sprintf("%s sent this test mail from Shakedown's notification settings.", by.Username),
		Link: adminLink(set.BaseURL)}
	if err := s.send(ctx, set, sealed, a.Address, message(set, a.Address, []Payload{p}, s.now())); err != nil {
		return apperr.Invalid("smtp", "The test mail was not sent: %v", err)
	}
	return nil
}
