package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/labtest"
)

// TestLabVMConsoleAndGuestThroughTheServer builds a one-VM lab through a
// real shakedown serve, asks the guest agent about it through the VM
// detail route, and uses its serial console through the server's WebSocket:
// a command typed there is echoed and its output comes back.
func TestLabVMConsoleAndGuestThroughTheServer(t *testing.T) {
	h, g := labtest.Host(t)
	ctx := context.Background()
	const prefix = labtest.Prefix + "con-"
	labtest.Sweep(t, h, prefix, nil)
	prod := []labs.GuestVM{{Name: prefix + "web-1", IP: "10.78.0.11/24", MAC: "52:54:00:5d:0c:11", Version: "1.0.0"}}
	if _, err := h.EnsureGuests(ctx, g, prod, prefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	sd := startShakedown(t, t.TempDir())
	var instance string
	t.Cleanup(func() {
		labtest.Sweep(t, h, prefix, func(name string) bool { return instance != "" && strings.Contains(name, "sd-lab-"+instance) })
	})

	var ci struct{ ID int64 }
	if st := sd.do("POST", "/api/v1/cis", map[string]string{"name": prod[0].Name, "kind": "vm", "environment": "production",
		"criticality": "high", "libvirt_host": "local", "libvirt_domain": prod[0].Name}, &ci); st != 201 {
		t.Fatal(st)
	}
	var rel struct{ ID int64 }
	if st := sd.do("POST", "/api/v1/releases", map[string]any{"name": "Console", "version": "1.0.0", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": []int64{ci.ID}}, &rel); st != 201 {
		t.Fatal(st)
	}
	var started struct {
		Lab struct {
			ID  string
			VMs []struct{ Domain string } `json:"vms"`
		}
		Operation op
	}
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), map[string]any{"ttl_minutes": 30, "no_package": true}, &started); st != 202 {
		t.Fatal(st)
	}
	labID := started.Lab.ID
	instance = labID[:4]
	if o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 5*time.Minute); o.Status != "success" {
		t.Fatalf("lab build: %+v\n%s", o, sd.log)
	}
	dom := started.Lab.VMs[0].Domain

	// The guest agent's answers.
	var d struct {
		Active  bool
		IPs     []string `json:"ips"`
		CanType bool     `json:"can_type"`
		Error   string
		Guest   struct {
			OS         string
			Hostname   string
			Uptime     float64 `json:"uptime_seconds"`
			Interfaces []struct{ Name string }
			Errors     []string
		}
	}
	if st := sd.do("GET", "/api/v1/labs/"+labID+"/vms/"+dom, nil, &d); st != 200 {
		t.Fatal(st)
	}
	t.Logf("VM detail: %+v", d)
	if !d.Active || d.Guest.OS == "" || d.Guest.Hostname == "" || d.Guest.Uptime <= 0 || len(d.Guest.Interfaces) == 0 || !d.CanType {
		t.Fatalf("VM detail %+v", d)
	}
	if len(d.IPs) == 0 || !strings.HasPrefix(d.IPs[0], "10.78.0.11/") {
		t.Fatalf("IPs %v, want the production address the clone keeps", d.IPs)
	}
	// The host names the VM among its running ones.
	var hosts struct {
		Items []struct {
			Name    string
			Running []string
		}
	}
	sd.do("GET", "/api/v1/hosts", nil, &hosts)
	found := false
	for _, hh := range hosts.Items {
		for _, n := range hh.Running {
			found = found || n == dom
		}
	}
	if !found {
		t.Fatalf("hosts %+v do not name %s as running", hosts, dom)
	}

	// The serial console through the server's WebSocket.
	wsURL := "ws" + strings.TrimPrefix(sd.base, "http") + "/api/v1/labs/" + labID + "/vms/" + dom + "/console"
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Authorization": {"Bearer " + sd.token}})
	if err != nil {
		t.Fatalf("console: %v (%v)", err, resp)
	}
	defer conn.Close()
	var got strings.Builder
	readUntil := func(want string, d time.Duration) bool {
		deadline := time.Now().Add(d)
		for !strings.Contains(got.String(), want) {
			conn.SetReadDeadline(deadline)
			_, b, err := conn.ReadMessage()
			if err != nil {
				return false
			}
			got.Write(b)
			// Busybox's line editor asks where the cursor is, as a terminal would be asked.
			if strings.Contains(string(b), "\x1b[6n") {
				conn.WriteMessage(websocket.BinaryMessage, []byte("\x1b[24;20R"))
			}
		}
		return true
	}
	conn.WriteMessage(websocket.BinaryMessage, []byte("\r"))
	if !readUntil("#", 30*time.Second) {
		t.Fatalf("no shell prompt on the console; it printed %q", got.String())
	}
	conn.WriteMessage(websocket.TextMessage, []byte("echo sd-$((6*7))-ok\r"))
	if !readUntil("sd-42-ok", 30*time.Second) {
		t.Fatalf("the typed command did not run; the console printed %q", got.String())
	}
	if !strings.Contains(got.String(), "echo sd-$((6*7))-ok") {
		t.Fatalf("the typed command was not echoed: %q", got.String())
	}
	t.Logf("console said: %q", got.String())
	conn.Close()

	// A second viewer takes the console over (the first has gone).
	conn2, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Authorization": {"Bearer " + sd.token}})
	if err != nil {
		t.Fatalf("reopen the console: %v", err)
	}
	got.Reset()
	conn = conn2
	conn.WriteMessage(websocket.BinaryMessage, []byte("hostname\r"))
	if !readUntil(d.Guest.Hostname, 30*time.Second) {
		t.Fatalf("the reopened console printed %q", got.String())
	}
	conn.Close()

	// The teardown ends at 100 % saying so, not "merging".
	var td struct{ Operation op }
	if st := sd.do("POST", "/api/v1/labs/"+labID+"/teardown", nil, &td); st != 202 {
		t.Fatal(st)
	}
	var end struct {
		Status, Message string
		Percent         float64
	}
	sd.waitOp(td.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 3*time.Minute)
	sd.do("GET", "/api/v1/operations/"+td.Operation.ID, nil, &end)
	if end.Status != "success" || end.Percent != 100 || strings.Contains(end.Message, "Merging") {
		t.Fatalf("teardown ended %+v", end)
	}
	if st := sd.do("GET", "/api/v1/labs/"+labID+"/vms/"+dom+"/console", nil, nil); st != 409 && st != 400 {
		t.Fatalf("console of a torn-down lab: %d", st)
	}
}
