package api

import (
	"net/http"
	"strconv"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/notify"
)

// TestMailRequest sends a test mail.
type TestMailRequest struct {
	To string `json:"to"`
}

// WebhookList lists the registered webhooks.
type WebhookList struct {
	Items []notify.Webhook `json:"items"`
}

// DeliveryList lists deliveries, newest first, with their attempts.
type DeliveryList struct {
	Items []notify.Delivery `json:"items"`
}

func (a *API) notifyRoutes() []route {
	notFound := []int{http.StatusNotFound}
	return []route{
		{Method: "GET", Path: "/notifications/settings", Tag: "notifications", Summary: "Mail (SMTP) settings, the public address links point to, and the digest interval (never the password)",
			Access: signedIn, Roles: admins, Out: notify.Settings{}, Status: 200, Handle: func(c *call) (any, error) { return a.Notify.Settings(c.ctx()) }},
		{Method: "PUT", Path: "/notifications/settings", Tag: "notifications", Summary: "Change the mail settings (admins; the password is sealed, kept when absent, removed when empty; audited)",
			Access: signedIn, Roles: admins, Body: notify.SettingsInput{}, Out: notify.Settings{}, Status: 200, Handle: a.putNotifySettings},
		{Method: "POST", Path: "/notifications/test-mail", Tag: "notifications", Summary: "Send a test mail now with the stored settings; a failure says what the SMTP server answered (422)",
			Access: signedIn, Roles: admins, Body: TestMailRequest{}, Status: 204, Handle: a.testMail},
		{Method: "GET", Path: "/notifications/webhooks", Tag: "notifications", Summary: "The registered webhooks (their secrets are never listed)",
			Access: signedIn, Roles: admins, Out: WebhookList{}, Status: 200, Handle: a.listWebhooks},
		{Method: "POST", Path: "/notifications/webhooks", Tag: "notifications", Summary: "Register a webhook: a URL that receives the chosen kinds of notification (none: all) as a signed POST. " +
			"Header " + notify.SignatureHeader + ": t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" under the secret>; refuse a t far from your clock. " +
			"The body is a NotificationPayload (format json) or a ChatPayload {\"text\"} (format chat, for Slack/Mattermost incoming webhooks). " +
			"Failed deliveries (no answer, or not 2xx) are retried with exponential backoff. The secret is in this answer only",
			Access: signedIn, Roles: admins, Body: notify.WebhookInput{}, Out: notify.Webhook{}, Status: 201, Handle: a.createWebhook},
		{Method: "PUT", Path: "/notifications/webhooks/{id}", Tag: "notifications", Summary: "Change a webhook (renew_secret: a new secret, in this answer only)",
			Access: signedIn, Roles: admins, Body: notify.WebhookInput{}, Out: notify.Webhook{}, Status: 200, Errors: notFound, Handle: byIDBody("webhook", a.Notify.UpdateWebhook)},
		{Method: "DELETE", Path: "/notifications/webhooks/{id}", Tag: "notifications", Summary: "Remove a webhook (its pending deliveries are dropped, its history kept)",
			Access: signedIn, Roles: admins, Status: 204, Errors: notFound, Handle: a.deleteWebhook},
		{Method: "POST", Path: "/notifications/webhooks/{id}/test", Tag: "notifications", Summary: "Queue a test notification to one webhook; answers with the bodies it is sent (json: payload, chat: chat) and the delivery",
			Access: signedIn, Roles: admins, Out: notify.WebhookTest{}, Status: 200, Errors: notFound, Handle: byID("webhook", a.Notify.TestWebhook)},
		{Method: "GET", Path: "/notifications/deliveries", Tag: "notifications", Summary: "Deliveries, newest first, with every attempt (time, response code, error): of one webhook with channel=webhook&recipient=<id>. " +
			"Admins see every delivery; anyone else the mails sent to them (asking for others' is 403). Each change comes live as a delivery.updated event",
			Access: signedIn, Query: []param{{Name: "channel", Type: "string", Enum: []string{"email", "webhook"}}, {Name: "recipient", Type: "string", Doc: "a username or a webhook id"},
				{Name: "limit", Type: "integer", Doc: "at most this many (default 100, at most 500)"}}, Out: DeliveryList{}, Status: 200, Errors: []int{http.StatusForbidden}, Handle: a.listDeliveries},
		{Method: "POST", Path: "/notifications/deliveries/{id}/resend", Tag: "notifications", Summary: "Send a delivery again now (its history kept)",
			Access: signedIn, Roles: admins, Out: notify.Delivery{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusConflict}, Handle: a.resendDelivery},
		{Method: "GET", Path: "/notifications/preferences", Tag: "notifications", Summary: "Your own notification preferences: your address, mail per kind, digest",
			Access: signedIn, Out: notify.PrefsView{}, Status: 200, Handle: func(c *call) (any, error) { return a.Notify.Prefs(c.ctx(), c.actor) }},
		{Method: "PUT", Path: "/notifications/preferences", Tag: "notifications", Summary: "Change your own notification preferences",
			Access: signedIn, Body: notify.Prefs{}, Out: notify.PrefsView{}, Status: 200, Handle: a.putPrefs},
	}
}

func (a *API) putNotifySettings(c *call) (any, error) {
	var in notify.SettingsInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Notify.PutSettings(c.ctx(), c.actor, in)
}

func (a *API) testMail(c *call) (any, error) {
	var in TestMailRequest
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return nil, a.Notify.TestMail(c.ctx(), c.actor, in.To)
}

func (a *API) listWebhooks(c *call) (any, error) {
	hs, err := a.Notify.Webhooks(c.ctx())
	return WebhookList{Items: hs}, err
}

func (a *API) createWebhook(c *call) (any, error) {
	var in notify.WebhookInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Notify.CreateWebhook(c.ctx(), c.actor, in)
}

func (a *API) deleteWebhook(c *call) (any, error) {
	id, err := pathID(c, "webhook")
	if err != nil {
		return nil, err
	}
	return nil, a.Notify.DeleteWebhook(c.ctx(), c.actor, id)
}

func (a *API) listDeliveries(c *call) (any, error) {
	q := c.r.URL.Query()
	channel := q.Get("channel")
	if channel != "" && channel != "email" && channel != "webhook" {
		return nil, apperr.Invalid("channel", "The channel is email or webhook.")
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return nil, apperr.Invalid("limit", "The limit is between 1 and 500.")
		}
		limit = n
	}
	ds, err := a.Notify.Deliveries(c.ctx(), c.actor, channel, q.Get("recipient"), limit)
	return DeliveryList{Items: ds}, err
}

func (a *API) resendDelivery(c *call) (any, error) {
	id, err := pathID(c, "delivery")
	if err != nil {
		return nil, err
	}
	return a.Notify.Resend(c.ctx(), c.actor, id)
}

func (a *API) putPrefs(c *call) (any, error) {
	var in notify.Prefs
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Notify.PutPrefs(c.ctx(), c.actor, in)
}
