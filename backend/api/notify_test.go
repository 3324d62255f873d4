package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/api"
	"github.com/shakedown/shakedown/backend/notify"
)

func TestNotificationsOverHTTP(t *testing.T) {
	e := newEnv(t, false)
	e.srv.Notify.Start(t.Context())
	admin := e.login("admin", adminPassword)
	mona := e.user("mona", "manager")

	var er apiError
	if st := admin.do("PUT", "/api/v1/notifications/settings", map[string]any{"base_url": "ftp://x", "smtp_port": 25, "security": "none", "digest_minutes": 5}, &er); st != 422 || er.Error.Field != "base_url" {
		t.Fatalf("bad base_url: %d %+v", st, er)
	}
	if st := admin.do("PUT", "/api/v1/notifications/settings", map[string]any{"base_url": "https://sd.example.com", "smtp_port": 25, "security": "none", "digest_minutes": 5}, nil); st != 200 {
		t.Fatalf("settings: %d", st)
	}
	if st := mona.do("GET", "/api/v1/notifications/settings", nil, nil); st != 403 {
		t.Fatalf("a manager read the mail settings: %d", st)
	}
	var prefs notify.PrefsView
	if st := mona.do("PUT", "/api/v1/notifications/preferences", map[string]any{"email": "mona@example.com", "digest": false, "events": map[string]bool{"lab.passed": false}}, &prefs); st != 200 ||
		prefs.Email != "mona@example.com" || prefs.Events[notify.KindLabPassed] || !prefs.Events[notify.KindAwaitingApproval] || len(prefs.Kinds) == 0 {
		t.Fatalf("prefs: %d %+v", st, prefs)
	}
	if st := mona.do("PUT", "/api/v1/notifications/preferences", map[string]any{"email": "nope"}, &er); st != 422 || er.Error.Field != "email" {
		t.Fatalf("bad email: %d %+v", st, er)
	}

	var calls atomic.Int32
	var secret atomic.Value
	var lastBody atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(notify.SignatureHeader)
		var unix int64
		fmt.Sscanf(sig, "t=%d,", &unix)
		if s, _ := secret.Load().(string); notify.Sign(s, time.Unix(unix, 0), body) != sig {
			http.Error(w, "bad signature", 401)
			return
		}
		lastBody.Store(string(body))
		if calls.Add(1) == 1 {
			http.Error(w, "busy", 503)
		}
	}))
	defer hook.Close()
	var h notify.Webhook
	if st := admin.do("POST", "/api/v1/notifications/webhooks", map[string]any{"name": "chat", "url": hook.URL, "format": "chat", "enabled": true, "events": []string{"release.deployed"}}, &h); st != 201 || h.Secret == "" {
		t.Fatalf("create webhook: %d %+v", st, h)
	}
	secret.Store(h.Secret)
	var list api.WebhookList
	admin.do("GET", "/api/v1/notifications/webhooks", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Secret != "" {
		t.Fatalf("list: %+v", list)
	}
	var test notify.WebhookTest
	if st := admin.do("POST", fmt.Sprintf("/api/v1/notifications/webhooks/%d/test", h.ID), nil, &test); st != 200 || test.Payload.Event != notify.KindTest {
		t.Fatalf("test: %d %+v", st, test)
	}
	var ds api.DeliveryList
	deadline := time.Now().Add(90 * time.Second) // the first retry waits the default backoff (30 s)
	for {
		admin.do("GET", fmt.Sprintf("/api/v1/notifications/deliveries?channel=webhook&recipient=%d", h.ID), nil, &ds)
		if len(ds.Items) == 1 && len(ds.Items[0].History) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := ds.Items[0]; d.History[0].ResponseCode != 503 || d.State != notify.StatePending {
		t.Fatalf("first attempt: %+v", d)
	}
	// An admin re-sends it now rather than wait for the backoff.
	var d notify.Delivery
	if st := admin.do("POST", fmt.Sprintf("/api/v1/notifications/deliveries/%d/resend", ds.Items[0].ID), nil, &d); st != 200 {
		t.Fatalf("resend: %d", st)
	}
	for calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("not re-sent")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, _ := lastBody.Load().(string); !strings.HasPrefix(b, `{"text":"**Test notification**`) || !strings.Contains(b, "https://sd.example.com/#/admin/notifications") {
		t.Fatalf("chat body %s", b)
	}
	// A manager sees her own mails only: the webhook's deliveries are not hers.
	if st := mona.do("GET", fmt.Sprintf("/api/v1/notifications/deliveries?channel=webhook&recipient=%d", h.ID), nil, nil); st != 403 {
		t.Fatalf("a manager read a webhook's deliveries: %d", st)
	}
	var own api.DeliveryList
	if st := mona.do("GET", "/api/v1/notifications/deliveries", nil, &own); st != 200 || len(own.Items) != 0 {
		t.Fatalf("a manager's own deliveries: %d %+v", st, own)
	}
	if st := mona.do("POST", fmt.Sprintf("/api/v1/notifications/deliveries/%d/resend", d.ID), nil, nil); st != 403 {
		t.Fatalf("a manager re-sent: %d", st)
	}
	if st := admin.do("POST", "/api/v1/notifications/test-mail", map[string]any{"to": "ops@example.com"}, &er); st != 422 || !strings.Contains(er.Error.Message, "no SMTP server") {
		t.Fatalf("test mail without a server: %d %+v", st, er)
	}
}
