package lab_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/ops"
)

var mona = auth.Actor{UserID: 3, Username: "mona", Roles: []auth.Role{auth.RoleManager}}

func TestVMDetailSaysWhatTheGuestAgentAnswers(t *testing.T) {
	e := newEnv(t)
	l, _ := e.run(spec())
	dom := l.VMs[0].Domain
	d, err := e.labs.VMDetail(context.Background(), tess, l.ID, dom)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Active || d.Guest.OS == "" || d.Guest.Hostname != dom || d.Guest.UptimeSeconds <= 0 || !d.CanType {
		t.Fatalf("detail %+v", d)
	}
	if !slices.Equal(d.IPs, []string{"10.99.0.2/24"}) {
		t.Fatalf("IPs %v, want the lab address without loopback", d.IPs)
	}
	if d, _ := e.labs.VMDetail(context.Background(), mona, l.ID, dom); d.CanType {
		t.Fatal("a manager may type into the console")
	}
	if _, err := e.labs.VMDetail(context.Background(), tess, l.ID, "sd-lab-nope"); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("unknown VM: %v", err)
	}
	// The host names its running VMs.
	st := e.host.Status(context.Background())
	if !slices.Contains(st.Running, dom) {
		t.Fatalf("host running %v, want %s among them", st.Running, dom)
	}
}

func TestConsoleOfALabVM(t *testing.T) {
	e := newEnv(t)
	l, _ := e.run(spec())
	dom := l.VMs[0].Domain
	con, err := e.labs.OpenConsole(context.Background(), l.ID, dom)
	if err != nil {
		t.Fatal(err)
	}
	defer con.Close()
	io.WriteString(con, "uname\r")
	var got strings.Builder
	buf := make([]byte, 256)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(got.String(), "uname") && time.Now().Before(deadline) {
		n, err := con.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(got.String(), "login:") || !strings.Contains(got.String(), "uname") {
		t.Fatalf("console printed %q", got.String())
	}
	// Once torn down, there is no console to open.
	st, err := e.labs.Teardown(context.Background(), tess, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, op := e.wait(st)
	if op.Status != ops.StatusSuccess || op.Percent != 100 || strings.Contains(op.Message, "Merging") {
		t.Fatalf("teardown ended %s at %v%% saying %q", op.Status, op.Percent, op.Message)
	}
	if _, err := e.labs.OpenConsole(context.Background(), l.ID, dom); apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("console of a torn-down lab: %v", err)
	}
	// The labs page's default list leaves torn-down labs out.
	live, n, err := e.labs.List(context.Background(), lab.Filter{Live: true})
	if err != nil || n != 0 || len(live) != 0 {
		t.Fatalf("live labs after the teardown: %d %v", n, err)
	}
	if all, n, _ := e.labs.List(context.Background(), lab.Filter{}); n != 1 || all[0].ID != l.ID {
		t.Fatalf("all labs: %d", n)
	}
}

func TestALabOnAHostThatIsDownSaysSoOnce(t *testing.T) {
	e := newEnv(t)
	e.host.SetDown(true)
	_, err := e.labs.Create(context.Background(), tess, e.release, spec())
	if apperr.KindOf(err) != apperr.KindUnavailable || strings.Count(err.Error(), "cannot be reached") != 1 {
		t.Fatalf("create on a down host: %v", err)
	}
	e.host.SetDown(false)
}
