package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

// BenchmarkRolloutSSH is the promotion figure of scripts/bench-rollout.sh:
// a phased rollout ([1, 5, "20%", "100%"], max_parallel 50) of a small
// package to SHAKEDOWN_BENCH_TARGETS (1,000) SSH targets on real sshd
// instances on loopback (100 targets per sshd, each target its own
// directory), by a real `shakedown serve`; then, in the same run, the same
// copy, install and verify
//   - by a bare Go SSH client (sshtarget), 50 at a time, timing each
//     command: their sum ÷ 50 is the ideal wall time;
//   - by Ansible (the Debian package), forks=50, the same serial, with
//     pipelining and ControlPersist.
//
// The package's install takes SHAKEDOWN_BENCH_INSTALL_SECONDS (1) on the
// target, as a service restart would. Every run checks on the targets'
// disks that each one got the package, once.
func BenchmarkRolloutSSH(b *testing.B) {
	n := envInt("SHAKEDOWN_BENCH_TARGETS", 1000)
	const parallel = 50
	installSecs := os.Getenv("SHAKEDOWN_BENCH_INSTALL_SECONDS")
	if installSecs == "" {
		installSecs = "1"
	}
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		b.Fatal("ansible-playbook is missing: scripts/bench-rollout.sh installs the Debian package ansible")
	}
	for range b.N {
		b.StopTimer()
		f := rolloutBench(b, n, parallel, installSecs)
		b.ReportMetric(f.shakedown.Seconds(), "shakedown-s")
		b.ReportMetric(f.ideal.Seconds(), "ideal-s")
		b.ReportMetric(pct(f.shakedown, f.ownIdeal), "overhead-own-%")
		b.ReportMetric(pct(f.shakedown, f.ideal), "overhead-bare-%")
		b.ReportMetric(f.ansible.Seconds(), "ansible-s")
		b.ReportMetric(f.ansible.Seconds()/f.shakedown.Seconds(), "speedup-x")
		b.ReportMetric(float64(f.peakRSS)/(1<<20), "server-peak-RSS-MiB")
		fmt.Printf(`
Phased rollout of a small package (%d files, %d KiB; install %s s, verify) to %d SSH targets on loopback, waves [1, 5, "20%%", "100%%"], 50 at a time:

| | wall time | over ideal (a) | over ideal (b) |
|---|---|---|---|
| ideal (a): sum of the rollout's own per-target command time (copy, install + verify, marker, gate check: %.1f s) ÷ 50 | %.1f s | — | |
| ideal (b): sum of a bare Go SSH client's per-target command time (copy, install, verify: %.1f s) ÷ 50 | %.1f s | | — |
| bare Go SSH client, 50 at a time, no waves, no gate (same commands) | %.1f s | | %+.0f %% |
| **Shakedown rollout** (created → succeeded, the server's own record) | **%.1f s** | **%+.0f %%** | %+.0f %% |
| Ansible %s, forks=50, same serial, pipelining + ControlPersist | %.1f s | | %+.0f %% |

Shakedown is %.1f× faster than Ansible; its server's peak RSS was %.0f MiB (%.0f MiB at most while the rollout ran).
`, f.files, f.kib, installSecs, n, f.own.Seconds(), f.ownIdeal.Seconds(), f.commands.Seconds(), f.ideal.Seconds(),
			f.bare.Seconds(), pct(f.bare, f.ideal), f.shakedown.Seconds(), pct(f.shakedown, f.ownIdeal), pct(f.shakedown, f.ideal),
			f.ansibleVersion, f.ansible.Seconds(), pct(f.ansible, f.ideal),
			f.ansible.Seconds()/f.shakedown.Seconds(), float64(f.peakRSS)/(1<<20), float64(f.rolloutRSS)/(1<<20))
	}
}

type rolloutFigures struct {
	files, kib            int
	commands, ideal, bare time.Duration
	// own is the sum of the rollout's own per-target command time (the
	// server's record, the gate's checks included), ownIdeal that ÷ 50.
	own, ownIdeal       time.Duration
	shakedown, ansible  time.Duration
	peakRSS, rolloutRSS int64
	ansibleVersion      string
}

func pct(d, ideal time.Duration) float64 { return 100 * (d.Seconds()/ideal.Seconds() - 1) }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchTarget is one target: an sshd and a directory of its own.
type benchTarget struct {
	name string
	sshd labtest.SSHD
	ciID int64
}

func rolloutBench(b *testing.B, n, parallel int, installSecs string) rolloutFigures {
	var f rolloutFigures
	// The package: a version file, a 64 KiB payload, the install script.
	payload := make([]byte, 64<<10)
	rand.Read(payload)
	install := "set -e\nsleep " + installSecs + "\ncp version.txt installed-version.txt\necho installed >> installs.log\n"
	verify := "grep -qx 2.0.0 installed-version.txt && test -s app.bin"
	files := map[string][]byte{"version.txt": []byte("2.0.0\n"), "app.bin": payload, "install.sh": []byte(install)}
	f.files = len(files)
	for _, c := range files {
		f.kib += len(c)
	}
	f.kib /= 1024

	// The targets: 100 per sshd, each sshd with its own unprivileged account.
	var sshds []labtest.SSHD
	for i := 0; i < (n+99)/100; i++ {
		sshds = append(sshds, labtest.StartSSHDWith(b, labtest.SSHDOptions{User: true, MaxStartups: 400, MaxSessions: 100}))
	}
	targets := make([]*benchTarget, n)
	for i := range targets {
		targets[i] = &benchTarget{name: fmt.Sprintf("bench-%04d", i+1), sshd: sshds[i%len(sshds)]}
	}

	// Shakedown: the inventory, an approved release, then the rollout.
	sd := startShakedown(b, b.TempDir())
	f.shakedown, f.own, f.peakRSS, f.rolloutRSS = shakedownRollout(b, sd, targets, files, verify, parallel)
	f.ownIdeal = f.own / time.Duration(parallel)
	for _, t := range targets {
		dir := filepath.Join(t.sshd.Home, ".shakedown", "targets", strconv.FormatInt(t.ciID, 10))
		if got, _ := os.ReadFile(filepath.Join(dir, "rollout", "installs.log")); string(got) != "installed\n" {
			b.Fatalf("%s: the install ran %q in %s", t.name, got, dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "installed.json")); err != nil {
			b.Fatalf("%s: no marker: %v", t.name, err)
		}
	}
	sd.stop(syscall.SIGTERM) // a clean stop: SHAKEDOWN_CPU_PROFILE is written

	// The same commands by a bare Go SSH client, each timed.
	f.commands, f.bare = bareSSH(b, targets, files, verify, parallel)
	f.ideal = f.commands / time.Duration(parallel)

	// Ansible (SHAKEDOWN_BENCH_ANSIBLE=0 leaves it out while tuning).
	if os.Getenv("SHAKEDOWN_BENCH_ANSIBLE") == "0" {
		f.ansible, f.ansibleVersion = time.Duration(1), "(not run)"
		return f
	}
	f.ansible, f.ansibleVersion = ansibleRollout(b, targets, files, verify, parallel)
	return f
}

func shakedownRollout(b *testing.B, sd *shakedown, targets []*benchTarget, files map[string][]byte, verify string, parallel int) (time.Duration, time.Duration, int64, int64) {
	for _, u := range []struct{ name, role string }{{"tess", "tester"}, {"mona", "manager"}} {
		if st := sd.do("POST", "/api/v1/users", map[string]any{"username": u.name, "password": "password-" + u.name, "roles": []string{u.role}}, nil); st != 201 {
			b.Fatalf("user %s: %d", u.name, st)
		}
	}
	rows := make([]map[string]any, len(targets))
	for i, t := range targets {
		_, port, _ := strings.Cut(t.sshd.Addr, ":")
		p, _ := strconv.Atoi(port)
		rows[i] = map[string]any{"name": t.name, "address": "127.0.0.1", "port": p, "user": t.sshd.User, "tags": []string{"bench"},
			"environment": "production", "criticality": "low"}
	}
	var imp struct {
		Rows []struct {
			Name string
			CIID int64 `json:"ci_id"`
		}
	}
	if st := sd.do("POST", "/api/v1/targets/import", map[string]any{"rows": rows}, &imp); st != 200 || len(imp.Rows) != len(targets) {
		b.Fatalf("import: %d, %d rows", st, len(imp.Rows))
	}
	for i, r := range imp.Rows {
		targets[i].ciID = r.CIID
	}
	// The credential and the pinned host key, as an admin sets them.
	var wg sync.WaitGroup
	var bad atomic.Int32
	work := make(chan *benchTarget)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				id := strconv.FormatInt(t.ciID, 10)
				var scan struct{ Fingerprint string }
				if sd.do("PUT", "/api/v1/cis/"+id+"/target", map[string]any{"auth_kind": "private-key", "credential": t.sshd.PrivateKey}, nil) != 200 ||
					sd.do("POST", "/api/v1/cis/"+id+"/target/host-key/fetch", nil, &scan) != 200 ||
					sd.do("POST", "/api/v1/cis/"+id+"/target/host-key/trust", map[string]string{"fingerprint": scan.Fingerprint}, nil) != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	for _, t := range targets {
		work <- t
	}
	close(work)
	wg.Wait()
	if bad.Load() > 0 {
		b.Fatalf("%d targets could not be set up", bad.Load())
	}

	ciIDs := make([]int64, len(targets))
	for i, t := range targets {
		ciIDs[i] = t.ciID
	}
	tess, mona := sd.as("tess", "password-tess"), sd.as("mona", "password-mona")
	var rel struct{ ID int64 }
	if st := tess.do("POST", "/api/v1/releases", map[string]any{"name": "Fleet", "version": "2.0.0", "type": "minor", "environment": "production",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z", "ci_ids": ciIDs}, &rel); st != 201 {
		b.Fatalf("release: %d", st)
	}
	for _, to := range []string{"building", "testing"} {
		if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", rel.ID), map[string]string{"to": to}, nil); st != 200 {
			b.Fatalf("→ %s: %d", to, st)
		}
	}
	var src []map[string]string
	for name, c := range files {
		src = append(src, map[string]string{"path": name, "content": base64.StdEncoding.EncodeToString(c), "encoding": "base64"})
	}
	var pkg struct{ Digest string }
	if st := tess.do("POST", "/api/v1/packages/assemble", map[string]any{"release_id": rel.ID, "manifest": map[string]any{
		"name": "fleet", "version": "2.0.0", "install": "sh install.sh", "verify": verify, "rollback": "rm -f installed-version.txt",
	}, "files": src}, &pkg); st != 201 {
		b.Fatalf("assemble: %d", st)
	}
	if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/evidence", rel.ID), map[string]any{"name": "Smoke", "target": "lab",
		"checks": []map[string]any{{"name": "home", "passed": true}}}, nil); st != 201 {
		b.Fatalf("evidence: %d", st)
	}
	if st := tess.do("POST", fmt.Sprintf("/api/v1/releases/%d/transitions", rel.ID), map[string]string{"to": "awaiting-approval"}, nil); st != 200 {
		b.Fatalf("awaiting-approval: %d", st)
	}
	if st := mona.do("POST", fmt.Sprintf("/api/v1/releases/%d/approvals", rel.ID), map[string]string{"decision": "approve"}, nil); st != 200 {
		b.Fatalf("approve: %d", st)
	}

	plan := map[string]any{"strategy": "phased", "waves": []any{1, 5, "20%", "100%"}, "max_parallel": parallel, "wave_deadline_minutes": 60,
		"gate":           map[string]any{"interval_seconds": 1, "rounds": 1},
		"failure_policy": map[string]any{"per_wave": 0, "total": 0, "trip": "exceeded", "on_breach": "pause"}}
	cpu0 := cpuOf(sd.cmd.Process.Pid)
	busy0, total0 := machineBusy()
	var ro struct{ ID string }
	if st := sd.do("POST", fmt.Sprintf("/api/v1/releases/%d/rollouts", rel.ID), map[string]any{"digest": pkg.Digest, "plan": plan}, &ro); st != 201 {
		b.Fatalf("start the rollout: %d\n%s", st, sd.log)
	}
	var peak int64
	deadline := time.Now().Add(30 * time.Minute)
	type listed struct {
		ID, Status, Error string
		PauseReason       string `json:"pause_reason"`
		Counts            map[string]int
		CreatedAt         time.Time  `json:"created_at"`
		FinishedAt        *time.Time `json:"finished_at"`
	}
	for {
		peak = max(peak, rssOf(sd.cmd.Process.Pid))
		var l struct{ Items []listed }
		sd.do("GET", fmt.Sprintf("/api/v1/releases/%d/rollouts", rel.ID), nil, &l)
		if len(l.Items) == 1 && l.Items[0].FinishedAt != nil {
			r := l.Items[0]
			if r.Status != "succeeded" || r.Counts["healthy"] != len(targets) {
				b.Fatalf("rollout %s: %s %s %v", r.Status, r.PauseReason, r.Error, r.Counts)
			}
			busy1, total1 := machineBusy()
			fmt.Printf("The server used %.1f s of CPU during the rollout; the machine was %.0f %% busy.\n", (cpuOf(sd.cmd.Process.Pid) - cpu0).Seconds(),
				100*float64(busy1-busy0)/float64(total1-total0))
			printTimeline(sd, r.ID, r.CreatedAt)
			var full struct {
				Targets []struct {
					CommandMS int64 `json:"command_ms"`
				}
			}
			sd.do("GET", "/api/v1/rollouts/"+r.ID, nil, &full)
			var own time.Duration
			for _, t := range full.Targets {
				own += time.Duration(t.CommandMS) * time.Millisecond
			}
			return r.FinishedAt.Sub(r.CreatedAt), own, hwmOf(sd.cmd.Process.Pid), peak
		}
		if len(l.Items) == 1 && l.Items[0].Status == "paused" {
			var full struct {
				Targets []struct{ Name, State, Error string }
			}
			sd.do("GET", "/api/v1/rollouts/"+l.Items[0].ID, nil, &full)
			b.Fatalf("rollout paused: %s\n%+v", l.Items[0].PauseReason, full.Targets[:min(3, len(full.Targets))])
		}
		if time.Now().After(deadline) {
			b.Fatalf("rollout not done after 30 minutes: %+v", l.Items)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// printTimeline prints when each wave passed, and the mean time from a
// target's first log line to its last (its install, from the server's view).
func printTimeline(sd *shakedown, id string, created time.Time) {
	type line struct {
		ID      int64
		CIID    int64 `json:"ci_id"`
		At      time.Time
		Message string
	}
	first, last := map[int64]time.Time{}, map[int64]time.Time{}
	debugSum, debugN := map[string]int{}, map[string]int{}
	var after int64
	fmt.Println("Rollout timeline (from its creation):")
	for {
		var l struct{ Items []line }
		sd.do("GET", fmt.Sprintf("/api/v1/rollouts/%s/logs?after=%d&limit=5000", id, after), nil, &l)
		if len(l.Items) == 0 {
			break
		}
		for _, it := range l.Items {
			after = it.ID
			if it.CIID == 0 {
				fmt.Printf("  %6.1f s  %s\n", it.At.Sub(created).Seconds(), it.Message)
				continue
			}
			if strings.HasPrefix(it.Message, "DEBUG ") {
				f := strings.Fields(it.Message)
				v, _ := strconv.Atoi(f[2])
				debugSum[f[1]] += v
				debugN[f[1]]++
				continue
			}
			if _, ok := first[it.CIID]; !ok {
				first[it.CIID] = it.At
			}
			last[it.CIID] = it.At
		}
	}
	for k, v := range debugSum {
		fmt.Printf("  DEBUG %s: %d ms on average\n", k, v/debugN[k])
	}
	var sum time.Duration
	for ci, t := range first {
		sum += last[ci].Sub(t)
	}
	if len(first) > 0 {
		fmt.Printf("  a target's install from its first log line to its last: %.2f s on average\n", sum.Seconds()/float64(len(first)))
	}
}

// bareSSH runs the same copy, install and verify on every target with
// sshtarget, parallel at a time, in a directory of its own (direct/<name>):
// the sum of every command's time, and the wall time.
func bareSSH(b *testing.B, targets []*benchTarget, files map[string][]byte, verify string, parallel int) (time.Duration, time.Duration) {
	var sum atomic.Int64
	var wg sync.WaitGroup
	work := make(chan *benchTarget)
	var failed atomic.Value
	start := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if err := bareTarget(t, files, verify, &sum); err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	for _, t := range targets {
		work <- t
	}
	close(work)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return time.Duration(sum.Load()), time.Since(start)
}

func bareTarget(t *benchTarget, files map[string][]byte, verify string, sum *atomic.Int64) error {
	ctx := context.Background()
	conn, err := sshtarget.Dial(ctx, sshtarget.Config{Addr: t.sshd.Addr, User: t.sshd.User, PrivateKey: []byte(t.sshd.PrivateKey), HostKey: t.sshd.Fingerprint})
	if err != nil {
		return err
	}
	defer conn.Close()
	dir := filepath.Join(t.sshd.Home, "direct", t.name)
	timed := func(fn func() error) error {
		t0 := time.Now()
		err := fn()
		sum.Add(int64(time.Since(t0)))
		return err
	}
	run := func(cmd string) error {
		return timed(func() error {
			res, err := conn.Run(ctx, cmd, sshtarget.RunOptions{})
			if err == nil {
				err = res.Err()
			}
			if err != nil {
				return fmt.Errorf("%s: %s: %v %s", t.name, cmd, err, res.Stderr)
			}
			return nil
		})
	}
	// copy
	if err := run("mkdir -p " + dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := timed(func() error {
			_, _, err := conn.Upload(ctx, filepath.Join(dir, name), bytes.NewReader(files[name]), 0o644)
			return err
		}); err != nil {
			return err
		}
	}
	if err := run("cd " + dir + " && sh install.sh"); err != nil {
		return err
	}
	return run("cd " + dir + " && " + verify)
}

// ansibleRollout pushes the same package with ansible-playbook to every
// target (its own directory ansible/<name>), forks=parallel, the same serial.
func ansibleRollout(b *testing.B, targets []*benchTarget, files map[string][]byte, verify string, parallel int) (time.Duration, string) {
	dir := b.TempDir()
	pkg := filepath.Join(dir, "pkg")
	os.MkdirAll(pkg, 0o755)
	for name, c := range files {
		os.WriteFile(filepath.Join(pkg, name), c, 0o644)
	}
	var inv, known strings.Builder
	inv.WriteString("[fleet]\n")
	seen := map[string]bool{}
	for _, t := range targets {
		host, port, _ := strings.Cut(t.sshd.Addr, ":")
		fmt.Fprintf(&inv, "%s ansible_host=%s ansible_port=%s ansible_user=%s ansible_ssh_private_key_file=%s dir=%s\n",
			t.name, host, port, t.sshd.User, filepath.Join(t.sshd.Dir, "client"), filepath.Join(t.sshd.Home, "ansible", t.name))
		if !seen[t.sshd.Addr] {
			seen[t.sshd.Addr] = true
			pub, _ := os.ReadFile(filepath.Join(t.sshd.Dir, "hostkey.pub"))
			fl := strings.Fields(string(pub))
			fmt.Fprintf(&known, "[%s]:%s %s %s\n", host, port, fl[0], fl[1])
		}
	}
	os.WriteFile(filepath.Join(dir, "hosts"), []byte(inv.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(known.String()), 0o644)
	cp, _ := os.MkdirTemp("/tmp", "sdcp")
	defer os.RemoveAll(cp)
	os.WriteFile(filepath.Join(dir, "ansible.cfg"), []byte(fmt.Sprintf(`[defaults]
inventory = hosts
forks = %d
host_key_checking = True
interpreter_python = /usr/bin/python3
gathering = explicit
retry_files_enabled = False
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=%s -o IdentitiesOnly=yes
control_path_dir = %s
`, parallel, filepath.Join(dir, "known_hosts"), cp)), 0o644)
	os.WriteFile(filepath.Join(dir, "site.yml"), []byte(fmt.Sprintf(`- hosts: fleet
  gather_facts: false
  serial: [1, 5, "20%%", "100%%"]
  any_errors_fatal: true
  tasks:
    - name: copy the package
      ansible.builtin.copy:
        src: pkg/
        dest: "{{ dir }}/"
    - name: install
      ansible.builtin.command: sh install.sh
      args:
        chdir: "{{ dir }}"
    - name: verify
      ansible.builtin.shell: %q
      args:
        chdir: "{{ dir }}"
`, verify)), 0o644)
	ver, _ := exec.Command("ansible-playbook", "--version").Output()
	version := strings.TrimSpace(strings.SplitN(string(ver), "\n", 2)[0])
	cmd := exec.Command("ansible-playbook", "site.yml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_CONFIG="+filepath.Join(dir, "ansible.cfg"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	if err != nil {
		tail := out.String()
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		b.Fatalf("ansible-playbook: %v\n%s", err, tail)
	}
	for _, t := range targets {
		p := filepath.Join(t.sshd.Home, "ansible", t.name, "installs.log")
		if got, _ := os.ReadFile(p); string(got) != "installed\n" {
			b.Fatalf("ansible: %s installed %q", t.name, got)
		}
	}
	return took, version
}

// machineBusy reads the machine's busy and total CPU ticks.
func machineBusy() (int64, int64) {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	var busy, total int64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// cpuOf reads a process's user + system CPU time.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ 100
}

// rssOf and hwmOf read a process's resident memory now and at its peak.
func rssOf(pid int) int64 { return procStatus(pid, "VmRSS:") }
func hwmOf(pid int) int64 { return procStatus(pid, "VmHWM:") }

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
