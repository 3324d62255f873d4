package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs"
	"github.com/shakedown/shakedown/labs/labtest"
)

// srvPrefix starts the names of this package's test VMs.
const srvPrefix = labtest.Prefix + "srv-"

// shakedown is a `shakedown serve` process started by the test.
type shakedown struct {
	t     testing.TB
	cmd   *exec.Cmd
	base  string
	token string
	log   *bytes.Buffer
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// serverBinary is the shakedown binary the tests start: SHAKEDOWN_BIN (make
// test builds it from this tree first), else one built from this tree now,
// never a bin/shakedown that may be older than the code under test.
func serverBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("SHAKEDOWN_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shakedown-vmtest-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "shakedown")
		cmd := exec.Command("go", "build", "-o", builtBin, ".")
		cmd.Dir = labtest.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

func startShakedown(t testing.TB, data string) *shakedown {
	t.Helper()
	bin := serverBinary(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	s := &shakedown{t: t, base: "http://" + addr, log: &bytes.Buffer{}}
	guestDir := os.Getenv("SHAKEDOWN_GUEST_DIR")
	if guestDir == "" {
		guestDir = filepath.Join(labtest.RepoRoot(t), "build", "guest")
	}
	s.cmd = exec.Command(bin, "serve", "--data", data, "--addr", addr, "--guest-dir", guestDir)
	s.cmd.Env = append(os.Environ(), "SHAKEDOWN_ADMIN_PASSWORD=vm-test-password")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(syscall.SIGTERM) })
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if resp, err := http.Get(s.base + "/api/v1/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shakedown did not start:\n%s", s.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A session to create an API token, then the token for everything else.
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	resp := s.raw("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "vm-test-password"}, nil)
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	var tok struct{ Secret string }
	r2 := s.raw("POST", "/api/v1/auth/tokens", map[string]string{"name": "vm test"}, map[string]string{
		"Cookie": resp.Header.Get("Set-Cookie"), "X-CSRF-Token": me.CSRFToken})
	json.NewDecoder(r2.Body).Decode(&tok)
	r2.Body.Close()
	s.token = tok.Secret
	return s
}

func (s *shakedown) stop(sig syscall.Signal) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(sig)
	s.cmd.Wait()
}

func (s *shakedown) raw(method, path string, body any, hdr map[string]string) *http.Response {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (s *shakedown) do(method, path string, body any, out any) int {
	s.t.Helper()
	resp := s.raw(method, path, body, nil)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	if resp.StatusCode >= 400 {
		s.t.Logf("%s %s → %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

type op struct {
	ID, Status, Stage, Error string
	Percent                  float64
}

func (s *shakedown) waitOp(id string, until func(op) bool, timeout time.Duration) op {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var o op
		s.do("GET", "/api/v1/operations/"+id, nil, &o)
		if until(o) {
			return o
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("operation %s stuck at %+v\n%s", id, o, s.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// objects lists what libvirt has of a lab: domains, volumes, networks.
// vmCIs registers production VMs as CIs (libvirt VMs on the local host)
// and returns their ids.
func (s *shakedown) vmCIs(vms []labs.GuestVM) []int64 {
	s.t.Helper()
	var ids []int64
	for _, vm := range vms {
		var ci struct{ ID int64 }
		if st := s.do("POST", "/api/v1/cis", map[string]string{"name": vm.Name, "kind": "vm", "environment": "production",
			"criticality": "high", "libvirt_host": "local", "libvirt_domain": vm.Name}, &ci); st != 201 {
			s.t.Fatalf("register CI %s: %d", vm.Name, st)
		}
		ids = append(ids, ci.ID)
	}
	return ids
}

func objects(t *testing.T, h *labs.Host, labID string) []string {
	ctx := context.Background()
	var out []string
	doms, _ := h.Domains(ctx)
	for _, d := range doms {
		if strings.Contains(d.Name, labID) {
			out = append(out, "domain "+d.Name)
		}
	}
	vols, _ := h.Volumes(ctx)
	for _, v := range vols {
		if strings.Contains(v.Name, labID) {
			out = append(out, "volume "+v.Name)
		}
	}
	if l, err := h.Conn(ctx); err == nil {
		nets, _, _ := l.ConnectListAllNetworks(1, 0)
		for _, n := range nets {
			if strings.Contains(n.Name, labID) {
				out = append(out, "network "+n.Name)
			}
		}
	}
	return out
}

// TestLabSurvivesAKilledServer builds labs through a real shakedown serve:
// the first is interrupted by kill -9 while it boots, and the restarted
// server must remove everything it had made; the second runs to the end
// with a package and a test period, and its teardown leaves nothing.
func TestLabSurvivesAKilledServer(t *testing.T) {
	h, g := labtest.Host(t)
	ctx := context.Background()
	labtest.Sweep(t, h, srvPrefix, nil)
	prod := []labs.GuestVM{
		{Name: srvPrefix + "web-1", IP: "10.77.0.11/24", MAC: "52:54:00:5d:02:11", Version: "1.0.0"},
		{Name: srvPrefix + "web-2", IP: "10.77.0.12/24", MAC: "52:54:00:5d:02:12", Version: "1.0.0"},
	}
	if _, err := h.EnsureGuests(ctx, g, prod, srvPrefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	sd := startShakedown(t, data)
	var instance string
	t.Cleanup(func() {
		labtest.Sweep(t, h, srvPrefix, func(name string) bool { return instance != "" && strings.Contains(name, "sd-lab-"+instance) })
	})

	ciIDs := sd.vmCIs(prod)
	var rel struct{ ID int64 }
	if st := sd.do("POST", "/api/v1/releases", map[string]any{"name": "Web tier", "version": "2.0.0", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": ciIDs}, &rel); st != 201 {
		t.Fatal(st)
	}
	// The release's package, stored by digest: it places the version file,
	// and its verify command and health check run in every round.
	var pkg struct{ Digest string }
	if st := sd.do("POST", "/api/v1/packages/assemble", map[string]any{"release_id": rel.ID, "manifest": map[string]any{
		"name": "web", "version": "2.0.0", "install": "sh install.sh", "rollback": "true",
		"verify":        "test \"$(wget -q -O - http://127.0.0.1/version)\" = 2.0.0",
		"files":         []map[string]string{{"src": "version", "dest": "/srv/www/version"}},
		"health_checks": []map[string]string{{"name": "served", "command": "wget -q -O - http://127.0.0.1/version | grep -q 2.0.0"}},
	}, "files": []map[string]string{{"path": "version", "content": "2.0.0\n"}, {"path": "install.sh", "content": "set -e\ntest -s /srv/www/version\n"}}}, &pkg); st != 201 {
		t.Fatalf("assemble the package: %d", st)
	}
	input := map[string]any{
		"ttl_minutes":    30,
		"package_digest": pkg.Digest,
		"test_period": map[string]any{"interval_seconds": 1, "duration_seconds": 2, "continue_on_failure": true,
			"checks": []map[string]string{{"name": "peer answers", "command": "ping -c 1 -W 2 10.77.0.12"}, {"name": "db reachable", "command": "ping -c 1 -W 1 10.77.0.13"}}},
	}

	// Bad input is refused with the field named, and nothing is made.
	var er struct{ Error struct{ Field string } }
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), map[string]any{"ttl_minutes": 1}, &er); st != 422 || er.Error.Field != "ttl_minutes" {
		t.Fatalf("bad ttl: %d %+v", st, er)
	}
	bad := map[string]any{"package": map[string]any{"name": "x", "install": "true", "files": []map[string]string{{"path": "../etc/passwd", "content": "x"}}}}
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), bad, &er); st != 422 || er.Error.Field != "package.files[0].path" {
		t.Fatalf("path escape: %d %+v", st, er)
	}

	// 1. Kill the server while the lab boots.
	var started struct {
		Lab       struct{ ID string }
		Operation op
	}
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), input, &started); st != 202 {
		t.Fatal(st)
	}
	labID := started.Lab.ID
	instance = labID[:4]
	if o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Stage == "boot" || o.Status == "failure" }, 3*time.Minute); o.Status == "failure" {
		t.Fatalf("lab build failed before boot: %+v\n%s", o, sd.log)
	}
	before := objects(t, h, labID)
	sd.stop(syscall.SIGKILL)
	if len(before) < 4 {
		t.Fatalf("expected the half-built lab to have objects when killed, found %v", before)
	}
	t.Logf("killed mid-build with %d lab objects on the host: %v", len(before), before)

	sd = startShakedown(t, data)
	if left := objects(t, h, labID); len(left) != 0 {
		t.Fatalf("after restart the interrupted lab left %v\n%s", left, sd.log)
	}
	var lab struct {
		Status, Error string
	}
	sd.do("GET", "/api/v1/labs/"+labID, nil, &lab)
	if lab.Status != "error" || !strings.Contains(lab.Error, "stopped") {
		t.Fatalf("interrupted lab = %+v", lab)
	}
	var rep struct {
		Hosts []struct{ Removed []string }
	}
	sd.do("GET", "/api/v1/labs/reconcile", nil, &rep)
	for _, vm := range prod {
		x, err := h.DomainXML(ctx, vm.Name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(fmt.Sprint(x.Devices.Disks[0].Source.File.File), ".sd-") {
			t.Fatalf("%s still writes to a capture overlay: %s", vm.Name, x.Devices.Disks[0].Source.File.File)
		}
	}

	// 2. A whole lab: package, test period with one failing check, evidence, teardown.
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), input, &started); st != 202 {
		t.Fatal(st)
	}
	labID = started.Lab.ID
	o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 5*time.Minute)
	if o.Status != "success" {
		t.Fatalf("lab build: %+v\n%s", o, sd.log)
	}
	var full struct {
		Status  string
		Summary struct {
			InstallsPassed int `json:"installs_passed"`
			ChecksPassed   int `json:"checks_passed"`
			ChecksFailed   int `json:"checks_failed"`
			Rounds         int `json:"rounds"`
		}
		VMs []struct{ Domain, State string }
	}
	sd.do("GET", "/api/v1/labs/"+labID, nil, &full)
	if full.Status != "failed" || full.Summary.InstallsPassed != 2 || full.Summary.ChecksPassed == 0 || full.Summary.ChecksFailed == 0 {
		t.Fatalf("lab after its test period: %+v", full)
	}
	for _, vm := range full.VMs {
		if active, err := h.IsActive(ctx, vm.Domain); err != nil || !active {
			t.Fatalf("lab VM %s is not running in libvirt: %v", vm.Domain, err)
		}
	}
	var ev struct {
		Items []struct {
			VM, Kind, Name string
			Passed         bool
		}
		Total int
	}
	sd.do("GET", fmt.Sprintf("/api/v1/releases/%d/evidence?lab_id=%s&limit=200", rel.ID, labID), nil, &ev)
	kinds := map[string]int{}
	for _, e := range ev.Items {
		kinds[fmt.Sprintf("%s/%s/%v", e.Kind, e.Name, e.Passed)]++
	}
	if kinds["install/install web 2.0.0/true"] != 2 || kinds["check/verify (web 2.0.0)/true"] == 0 || kinds["check/served (web 2.0.0)/true"] == 0 ||
		kinds["check/db reachable/false"] == 0 || kinds["check/peer answers/true"] == 0 {
		t.Fatalf("evidence = %v", kinds)
	}
	// The evidence is bound to the package and counts for sign-off.
	var so struct {
		PackageDigest string   `json:"package_digest"`
		EvidenceCount int      `json:"evidence_count"`
		Testers       []string `json:"testers"`
	}
	sd.do("GET", fmt.Sprintf("/api/v1/releases/%d/signoff", rel.ID), nil, &so)
	if so.PackageDigest != pkg.Digest || so.EvidenceCount < ev.Total || len(so.Testers) == 0 {
		t.Fatalf("sign-off after the lab: %+v (evidence total %d)", so, ev.Total)
	}
	// Production was not touched by the package.
	res, err := h.Exec(ctx, prod[0].Name, []string{"cat", "/srv/www/version"}, nil)
	if err != nil || res.Stdout != "1.0.0\n" {
		t.Fatalf("production version after the lab: %+v %v", res, err)
	}
	if st := sd.do("POST", "/api/v1/labs/"+labID+"/teardown", nil, &started); st != 202 {
		t.Fatal(st)
	}
	if o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 3*time.Minute); o.Status != "success" {
		t.Fatalf("teardown: %+v", o)
	}
	if left := objects(t, h, labID); len(left) != 0 {
		t.Fatalf("teardown left %v", left)
	}
	sd.do("GET", "/api/v1/labs/"+labID, nil, &lab)
	if lab.Status != "torn-down" {
		t.Fatalf("lab after teardown: %+v", lab)
	}
	for _, vm := range prod {
		x, _ := h.DomainXML(ctx, vm.Name)
		if src := x.Devices.Disks[0].Source.File.File; strings.Contains(src, ".sd-") {
			t.Fatalf("after teardown %s still writes to the capture overlay %s\n%s", vm.Name, src, sd.log)
		}
	}

	// 3. P2V: a physical host's disk image arrives as an HTTP upload and a
	// lab boots it.
	var phys struct{ ID int64 }
	if st := sd.do("POST", "/api/v1/cis", map[string]string{"name": srvPrefix + "phys-db-7", "kind": "host", "environment": "production", "criticality": "critical"}, &phys); st != 201 {
		t.Fatal(st)
	}
	img, err := os.Open(g.BaseDisk)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := img.Stat()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/cis/%d/images?origin=%s", sd.base, phys.ID, "dd+of+phys-db-7:/dev/sda"), img)
	req.ContentLength = info.Size()
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+sd.token)
	resp, err := http.DefaultClient.Do(req)
	img.Close()
	if err != nil {
		t.Fatal(err)
	}
	var imported struct {
		Volume, Format, SourceFormat, SHA256, Origin string
	}
	json.NewDecoder(resp.Body).Decode(&imported)
	resp.Body.Close()
	if resp.StatusCode != 201 || imported.Format != "qcow2" || imported.Origin != "dd of phys-db-7:/dev/sda" {
		t.Fatalf("image upload: %d %+v", resp.StatusCode, imported)
	}
	t.Cleanup(func() { h.DeleteVolume(context.Background(), imported.Volume) })
	var hostRel struct{ ID int64 }
	sd.do("POST", "/api/v1/releases", map[string]any{"name": "DB host patch", "version": "1.0.1", "type": "minor", "environment": "production",
		"planned_start": "2031-02-01T08:00:00Z", "planned_end": "2031-02-01T10:00:00Z", "ci_ids": []int64{phys.ID}}, &hostRel)
	// It boots, installs, and is torn down in the middle of a long test
	// period: the teardown stops the period first.
	long := map[string]any{"package_digest": input["package_digest"], "ttl_minutes": 30, "test_period": map[string]any{"interval_seconds": 2, "duration_seconds": 120,
		"checks": []map[string]string{{"name": "web answers", "command": "wget -q -O /dev/null http://127.0.0.1/"}}}}
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", hostRel.ID), long, &started); st != 202 {
		t.Fatal(st)
	}
	if o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Stage == "test-period" || o.Status == "failure" }, 5*time.Minute); o.Status == "failure" {
		t.Fatalf("lab of an imported image: %+v\n%s", o, sd.log)
	}
	physLab := started.Lab.ID
	sd.do("GET", "/api/v1/labs/"+physLab, nil, &full)
	if full.Summary.InstallsPassed != 1 {
		t.Fatalf("lab of an imported image: %+v", full)
	}
	if st := sd.do("POST", "/api/v1/labs/"+physLab+"/teardown", nil, &started); st != 202 {
		t.Fatalf("teardown during the test period: %d", st)
	}
	if o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 3*time.Minute); o.Status != "success" {
		t.Fatalf("teardown during the test period: %+v", o)
	}
	sd.do("GET", "/api/v1/labs/"+physLab, nil, &lab)
	if left := objects(t, h, physLab); len(left) != 0 || lab.Status != "torn-down" {
		t.Fatalf("teardown during the test period left %v, lab %+v", left, lab)
	}
	if vols, _ := h.Volumes(ctx); !strings.Contains(fmt.Sprint(vols), imported.Volume) {
		t.Fatal("the CI's imported image went with the lab")
	}
	var imgs struct{ Items []struct{ ID int64 } }
	sd.do("GET", fmt.Sprintf("/api/v1/cis/%d/images", phys.ID), nil, &imgs)
	if st := sd.do("DELETE", fmt.Sprintf("/api/v1/cis/%d/images/%d", phys.ID, imgs.Items[0].ID), nil, nil); st != 204 {
		t.Fatalf("delete image: %d", st)
	}
	if vols, _ := h.Volumes(ctx); strings.Contains(fmt.Sprint(vols), imported.Volume) {
		t.Fatal("the deleted image's volume is still in the pool")
	}
}

// TestLabBuildRidesOutALibvirtdRestart restarts libvirtd while a lab boots:
// the build reconnects and finishes, or fails with a clear error and leaves
// nothing once Shakedown reconciles; production keeps running either way.
func TestLabBuildRidesOutALibvirtdRestart(t *testing.T) {
	h, g := labtest.Host(t)
	ctx := context.Background()
	root := labtest.RepoRoot(t)
	if out, err := exec.Command(filepath.Join(root, "scripts", "libvirt.sh"), "status").CombinedOutput(); err != nil || !strings.Contains(string(out), "libvirtd: pid") || !strings.Contains(string(out), "started by scripts/libvirt.sh") {
		t.Skipf("libvirtd was not started by scripts/libvirt.sh here, so this test may not restart it:\n%s", out)
	}
	const prefix = labtest.Prefix + "rst-"
	labtest.Sweep(t, h, prefix, nil)
	prod := []labs.GuestVM{{Name: prefix + "web-1", IP: "10.77.0.11/24", MAC: "52:54:00:5d:03:11", Version: "1.0.0"}}
	if _, err := h.EnsureGuests(ctx, g, prod, prefix+"prod", labs.RoleProduction); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	sd := startShakedown(t, data)
	var instance string
	t.Cleanup(func() {
		labtest.Sweep(t, h, prefix, func(name string) bool { return instance != "" && strings.Contains(name, "sd-lab-"+instance) })
	})
	var ci struct{ ID int64 }
	sd.do("POST", "/api/v1/cis", map[string]string{"name": prod[0].Name, "kind": "vm", "environment": "production", "criticality": "high",
		"libvirt_host": "local", "libvirt_domain": prod[0].Name}, &ci)
	var rel struct{ ID int64 }
	sd.do("POST", "/api/v1/releases", map[string]any{"name": "Restart", "version": "1", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": []int64{ci.ID}}, &rel)
	var started struct {
		Lab       struct{ ID string }
		Operation op
	}
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), map[string]any{"test_period": map[string]any{
		"interval_seconds": 1, "duration_seconds": 1, "checks": []map[string]string{{"name": "alive", "command": "true"}}}}, &started); st != 202 {
		t.Fatal(st)
	}
	labID := started.Lab.ID
	instance = labID[:4]
	sd.waitOp(started.Operation.ID, func(o op) bool { return o.Stage == "boot" || o.Status == "failure" }, 3*time.Minute)
	for _, cmd := range []string{"stop", "start"} {
		if out, err := exec.Command(filepath.Join(root, "scripts", "libvirt.sh"), cmd).CombinedOutput(); err != nil {
			t.Fatalf("libvirt.sh %s: %v\n%s", cmd, err, out)
		}
	}
	o := sd.waitOp(started.Operation.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 5*time.Minute)
	if active, err := h.IsActive(ctx, prod[0].Name); err != nil || !active {
		t.Fatalf("production stopped with libvirtd's restart: %v", err)
	}
	var lab struct{ Status, Error string }
	sd.do("GET", "/api/v1/labs/"+labID, nil, &lab)
	t.Logf("after the restart the build ended %s: lab %s %q", o.Status, lab.Status, o.Error)
	if o.Status == "success" {
		if lab.Status != "passed" {
			t.Fatalf("lab after a successful build: %+v", lab)
		}
		return
	}
	if !strings.Contains(o.Error, "libvirt") && !strings.Contains(o.Error, "connect") {
		t.Fatalf("the failure does not say what happened: %q", o.Error)
	}
	// A restart reconciles: nothing of the failed lab is left.
	sd.stop(syscall.SIGTERM)
	startShakedown(t, data)
	if left := objects(t, h, labID); len(left) != 0 {
		t.Fatalf("the failed lab left %v", left)
	}
}

// TestP2VOverSSH streams a "physical disk" from a real sshd with dd into a
// libvirt volume, through the API, and refuses a host key that does not
// match the pinned one.
func TestP2VOverSSH(t *testing.T) {
	h, _ := labtest.Host(t)
	sshd := labtest.StartSSHD(t)
	disk := filepath.Join(sshd.Dir, "sda.raw")
	files := filepath.Join(sshd.Dir, "rootfs", "etc")
	os.MkdirAll(files, 0o755)
	os.WriteFile(filepath.Join(files, "hostname"), []byte("bare-metal-db\n"), 0o644)
	for _, c := range [][]string{{"truncate", "-s", "48M", disk}, {"mkfs.ext4", "-q", "-F", "-d", filepath.Dir(files), disk}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	sd := startShakedown(t, t.TempDir())
	var ci struct{ ID int64 }
	sd.do("POST", "/api/v1/cis", map[string]string{"name": labtest.Prefix + "ssh-db", "kind": "host", "environment": "production", "criticality": "high"}, &ci)
	src := map[string]any{"address": sshd.Addr, "user": "root", "private_key": sshd.PrivateKey, "device": disk, "host_key_fingerprint": "SHA256:AAAAwrongwrongwrong"}
	var o op
	if st := sd.do("POST", fmt.Sprintf("/api/v1/cis/%d/images/ssh", ci.ID), src, &o); st != 202 {
		t.Fatal(st)
	}
	if o = sd.waitOp(o.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, time.Minute); o.Status != "failure" || !strings.Contains(o.Error, "host key") {
		t.Fatalf("a wrong host key was accepted: %+v", o)
	}
	src["host_key_fingerprint"] = sshd.Fingerprint
	if st := sd.do("POST", fmt.Sprintf("/api/v1/cis/%d/images/ssh", ci.ID), src, &o); st != 202 {
		t.Fatal(st)
	}
	if o = sd.waitOp(o.ID, func(o op) bool { return o.Status == "success" || o.Status == "failure" }, 2*time.Minute); o.Status != "success" {
		t.Fatalf("ssh import: %+v\n%s", o, sd.log)
	}
	var imgs struct {
		Items []struct{ Volume, Path, Format, Origin string }
	}
	sd.do("GET", fmt.Sprintf("/api/v1/cis/%d/images", ci.ID), nil, &imgs)
	if len(imgs.Items) != 1 || imgs.Items[0].Format != "raw" || !strings.Contains(imgs.Items[0].Origin, "dd over ssh from root@") {
		t.Fatalf("images = %+v", imgs)
	}
	t.Cleanup(func() { h.DeleteVolume(context.Background(), imgs.Items[0].Volume) })
	if out, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", "raw", disk, imgs.Items[0].Path).CombinedOutput(); err != nil {
		t.Fatalf("the imported volume differs from the machine's disk: %v %s", err, out)
	}
}

// TestRemoteHostOverSSH registers a libvirt host reached through SSH (the
// local libvirtd behind a real sshd), sees its capacity and VMs, and
// refuses URIs it cannot use.
func TestRemoteHostOverSSH(t *testing.T) {
	labtest.Host(t)
	sshd := labtest.StartSSHD(t)
	pub, _ := os.ReadFile(filepath.Join(sshd.Dir, "hostkey.pub"))
	fields := strings.Fields(string(pub))
	_, port, _ := net.SplitHostPort(sshd.Addr)
	known := filepath.Join(sshd.Dir, "known_hosts")
	os.WriteFile(known, []byte(fmt.Sprintf("[127.0.0.1]:%s %s %s\n", port, fields[0], fields[1])), 0o600)
	uri := fmt.Sprintf("qemu+libssh://root@127.0.0.1:%s/system?keyfile=%s&known_hosts=%s&sshauth=privkey", port, filepath.Join(sshd.Dir, "client"), known)

	sd := startShakedown(t, t.TempDir())
	var er struct {
		Error struct{ Field, Message string }
	}
	if st := sd.do("POST", "/api/v1/hosts", map[string]string{"name": "rack-2", "uri": "http://rack-2/"}, &er); st != 422 || er.Error.Field != "uri" {
		t.Fatalf("bad scheme: %d %+v", st, er)
	}
	if st := sd.do("POST", "/api/v1/hosts", map[string]string{"name": "rack-2", "uri": "qemu+tcp://127.0.0.1:1/system"}, &er); st != 422 || !strings.Contains(er.Error.Message, "cannot reach") {
		t.Fatalf("unreachable host: %d %+v", st, er)
	}
	var host struct {
		Name      string
		Connected bool
		Error     string
		Capacity  struct {
			CPUs     int    `json:"cpus"`
			MemTotal uint64 `json:"mem_total"`
		}
	}
	if st := sd.do("POST", "/api/v1/hosts", map[string]string{"name": "rack-2", "uri": uri, "pool_dir": "/var/lib/shakedown/pool"}, &host); st != 201 || !host.Connected || host.Capacity.CPUs < 1 || host.Capacity.MemTotal == 0 {
		t.Fatalf("remote host over ssh: %d %+v", st, host)
	}
	var doms struct{ Total int }
	if st := sd.do("GET", "/api/v1/hosts/rack-2/domains", nil, &doms); st != 200 {
		t.Fatalf("domains of the remote host: %d", st)
	}
	var hosts struct {
		Items []struct {
			Name      string
			Connected bool
		}
	}
	sd.do("GET", "/api/v1/hosts", nil, &hosts)
	if len(hosts.Items) != 2 || !hosts.Items[1].Connected {
		t.Fatalf("hosts = %+v", hosts)
	}
	if st := sd.do("DELETE", "/api/v1/hosts/rack-2", nil, nil); st != 204 {
		t.Fatalf("remove host: %d", st)
	}
}

// TestLabThatWouldNotFitIsRefused asks for a lab of a VM with more memory
// than the host has free (read with gopsutil): it is refused with a
// sentence naming the figures, and nothing is made.
func TestLabThatWouldNotFitIsRefused(t *testing.T) {
	h, g := labtest.Host(t)
	ctx := context.Background()
	const prefix = labtest.Prefix + "big-"
	labtest.Sweep(t, h, prefix, nil)
	t.Cleanup(func() { labtest.Sweep(t, h, prefix, nil) })
	d := labs.GuestDefinition(g, prefix+"db", "/nonexistent/disk.qcow2", "default", "52:54:00:5d:04:01", h.ConsoleLog(prefix+"db"), labs.Meta{Role: "test"})
	d.Memory.Value, d.Memory.Unit = 512, "GiB" // defined, never started
	if err := h.Define(ctx, d); err != nil {
		t.Fatal(err)
	}
	sd := startShakedown(t, t.TempDir())
	var ci struct{ ID int64 }
	sd.do("POST", "/api/v1/cis", map[string]string{"name": prefix + "db", "kind": "vm", "environment": "production", "criticality": "high",
		"libvirt_host": "local", "libvirt_domain": prefix + "db"}, &ci)
	var rel struct{ ID int64 }
	sd.do("POST", "/api/v1/releases", map[string]any{"name": "Big", "version": "1", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": []int64{ci.ID}}, &rel)
	var er struct {
		Error struct{ Code, Message string }
	}
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/labs", rel.ID), map[string]any{}, &er); st != 409 ||
		!strings.Contains(er.Error.Message, "free") || !strings.Contains(er.Error.Message, "563.2 GiB") {
		t.Fatalf("a lab that cannot fit: %d %+v", st, er)
	}
	var list struct{ Total int }
	sd.do("GET", fmt.Sprintf("/api/v1/labs?release_id=%d", rel.ID), nil, &list)
	if list.Total != 0 {
		t.Fatal("a refused lab left a record")
	}
}
