package server_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/labtest"
)

// memLab is a lab as these tests read it.
type memLab struct {
	ID, Status, Error string
	VMs               []struct {
		Domain, State string
		CIName        string `json:"ci_name"`
		Start         string
		StartNote     string `json:"start_note"`
		ReadyMS       int64  `json:"ready_ms"`
		ClockSkewMS   int64  `json:"clock_skew_ms"`
		Base          struct {
			Memory *struct {
				Bytes      uint64
				PauseMS    float64   `json:"pause_ms"`
				CapturedAt time.Time `json:"captured_at"`
			}
		}
	} `json:"vms"`
}

// TestLabsResumeProductionAsItRuns builds labs through a real shakedown
// serve from running production VMs: their clones resume production's
// running state (a tmpfs marker, a running process), with the clock set
// right, isolated from production, which runs on undisturbed; two labs
// resume the same production VM at once; a server killed mid-capture
// leaves nothing behind; teardown removes the memory images.
func TestLabsResumeProductionAsItRuns(t *testing.T) {
	h, g := labtest.Host(t)
	ctx := context.Background()
	prefix := srvPrefix + "mem-"
	labtest.Sweep(t, h, prefix, nil)
	prod := []labs.GuestVM{
		{Name: prefix + "web-1", IP: "10.77.4.11/24", MAC: "52:54:00:5d:05:11", Version: "1.0.0"},
		{Name: prefix + "web-2", IP: "10.77.4.12/24", MAC: "52:54:00:5d:05:12", Version: "1.0.0"},
	}
	if _, err := h.EnsureGuests(ctx, g, prod, prefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	exec := func(vm, script string) string {
		t.Helper()
		res, err := h.Exec(ctx, vm, []string{"/bin/sh", "-c", script}, nil)
		if err != nil {
			t.Fatalf("%s: %s: %v", vm, script, err)
		}
		return res.Stdout
	}
	markers := map[string]string{}
	for _, vm := range prod {
		markers[vm.Name] = "running-" + vm.Name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		exec(vm.Name, "echo "+markers[vm.Name]+" > /run/marker; sleep 100000 </dev/null >/dev/null 2>&1 &")
	}
	origDisk := map[string]string{}
	for _, vm := range prod {
		x, _ := h.DomainXML(ctx, vm.Name)
		origDisk[vm.Name] = x.Devices.Disks[0].Source.File.File
	}

	data := t.TempDir()
	sd := startShakedown(t, data)
	var labIDs []string
	t.Cleanup(func() {
		labtest.Sweep(t, h, prefix, func(name string) bool {
			for _, id := range labIDs {
				if strings.Contains(name, "sd-lab-"+id) {
					return true
				}
			}
			return false
		})
	})
	ciIDs := sd.vmCIs(prod)
	var rel struct{ ID int64 }
	if st := sd.do("POST", "/api/v1/releases", map[string]any{"name": "Memory labs", "version": "1.0.0", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": ciIDs}, &rel); st != 201 {
		t.Fatal(st)
	}
	type started struct {
		Lab       struct{ ID string }
		Operation op
	}
	create := func(in map[string]any) started {
		t.Helper()
		var s started
		if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), in, &s); st != 202 {
			t.Fatalf("create a lab: %d", st)
		}
		labIDs = append(labIDs, s.Lab.ID)
		return s
	}
	finish := func(s started) memLab {
		t.Helper()
		if o := sd.waitOp(s.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 5*time.Minute); o.Status != "success" {
			t.Fatalf("lab %s: %+v\n%s", s.Lab.ID, o, sd.log)
		}
		var l memLab
		sd.do("GET", "/api/v1/labs/"+s.Lab.ID, nil, &l)
		return l
	}
	teardown := func(id string, check bool) {
		t.Helper()
		var s started
		if st := sd.do("POST", "/api/v1/labs/"+id+"/teardown", nil, &s); st != 202 {
			t.Fatalf("teardown %s: %d", id, st)
		}
		if o := sd.waitOp(s.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 3*time.Minute); o.Status != "success" {
			t.Fatalf("teardown %s: %+v", id, o)
		}
		if left := objects(t, h, id); check && len(left) != 0 {
			t.Fatalf("teardown of %s left %v", id, left)
		}
	}
	// checkResumed asserts a lab's clones carry production's running state.
	checkResumed := func(l memLab) {
		t.Helper()
		for _, vm := range l.VMs {
			if vm.Start != "resume" || vm.StartNote != "" || vm.State != "running" || vm.Base.Memory == nil || vm.Base.Memory.Bytes == 0 || vm.Base.Memory.PauseMS <= 0 {
				t.Fatalf("lab VM %+v", vm)
			}
			out := exec(vm.Domain, "cat /run/marker; ps | grep -q 'sleep 10000[0]' && echo sleeping; date +%s")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 3 || lines[0] != markers[vm.CIName] || lines[1] != "sleeping" {
				t.Fatalf("%s holds %q, want production %s's running state", vm.Domain, out, vm.CIName)
			}
			guest, _ := strconv.ParseInt(lines[2], 10, 64)
			if diff := time.Now().Unix() - guest; diff < -2 || diff > 2 {
				t.Fatalf("%s's clock is %d s off after its resume (skew corrected: %d ms)", vm.Domain, diff, vm.ClockSkewMS)
			}
			t.Logf("%s: resumed, agent ready %d ms after the restore began, production paused %.0f ms, memory image %d MiB, clock was %d ms behind",
				vm.Domain, vm.ReadyMS, vm.Base.Memory.PauseMS, vm.Base.Memory.Bytes>>20, vm.ClockSkewMS)
		}
	}

	// 1. A lab of both VMs resumes both.
	l := finish(create(map[string]any{"no_package": true, "ttl_minutes": 30}))
	checkResumed(l)
	// Production goes on after the capture; the lab does not see it, and
	// reaching production's addresses from the lab reaches the lab's clones.
	for _, vm := range prod {
		exec(vm.Name, "echo after-capture > /srv/www/after")
	}
	if out := exec(l.VMs[0].Domain, "wget -q -O - http://10.77.4.12/after || echo unreachable-from-the-lab"); out != "unreachable-from-the-lab\n" {
		t.Fatalf("the lab reached production: %q", out)
	}
	if out := exec(l.VMs[0].Domain, "wget -q -O - http://10.77.4.12/version"); out != "1.0.0\n" {
		t.Fatalf("the clones do not reach each other: %q", out)
	}
	teardown(l.ID, true)

	// 2. Two labs resume the same production VM at once.
	one := map[string]any{"no_package": true, "ttl_minutes": 30, "ci_ids": []int64{ciIDs[0]}}
	var a, b started
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = create(one) }()
	go func() { defer wg.Done(); b = create(one) }()
	wg.Wait()
	la, lb := finish(a), finish(b)
	checkResumed(la)
	checkResumed(lb)
	// Whichever goes first, production's overlays are all merged back
	// once both are gone (the older one when the newer one uncovers it).
	teardown(la.ID, false)
	teardown(lb.ID, true)
	for _, id := range []string{la.ID, lb.ID} {
		if left := objects(t, h, id); len(left) != 0 {
			t.Fatalf("after both teardowns %s left %v", id, left)
		}
	}

	// 3. The server is killed during the capture: the restarted server
	// removes what the lab had made, and production runs on its own disk.
	s := create(map[string]any{"no_package": true, "ttl_minutes": 30})
	seen := sd.waitOp(s.Operation.ID, func(o op) bool { return o.Stage != "" }, time.Minute)
	sd.stop(syscall.SIGKILL)
	t.Logf("killed at stage %q with %v on the host", seen.Stage, objects(t, h, s.Lab.ID))
	sd = startShakedown(t, data)
	if left := objects(t, h, s.Lab.ID); len(left) != 0 {
		t.Fatalf("after the restart the interrupted lab left %v\n%s", left, sd.log)
	}
	var killed memLab
	sd.do("GET", "/api/v1/labs/"+s.Lab.ID, nil, &killed)
	if killed.Status != "error" {
		t.Fatalf("interrupted lab: %+v", killed)
	}

	// Production is undisturbed throughout: running, on its own disk (every
	// overlay merged back), with its running state.
	for _, vm := range prod {
		x, _ := h.DomainXML(ctx, vm.Name)
		if got := x.Devices.Disks[0].Source.File.File; got != origDisk[vm.Name] {
			t.Errorf("%s writes to %s, want its own disk %s", vm.Name, got, origDisk[vm.Name])
		}
		if out := exec(vm.Name, "cat /run/marker /srv/www/after"); out != markers[vm.Name]+"\nafter-capture\n" {
			t.Errorf("%s after the labs: %q", vm.Name, out)
		}
	}
}
