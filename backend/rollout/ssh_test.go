package rollout_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/rollout"
	"github.com/shakedown/shakedown/labs/labtest"
	"github.com/shakedown/shakedown/sshtarget"
)

// sshEnv is a release of two hosts reached over SSH: a real sshd on
// loopback, each host its own directory (its own install and marker):
// app-1 signs in as root (an absolute directory), app-2 as an unprivileged
// user (a directory under "~/", its home). dir says where each host's is.
func sshEnv(t *testing.T, verify string) (*env, func(host string) string) {
	t.Helper()
	if testing.Short() {
		t.Skip("real sshd: not in the short tier")
	}
	sshd := labtest.StartSSHDWith(t, labtest.SSHDOptions{User: true})
	root := t.TempDir()
	dir := func(host string) string {
		if host == "app-2" {
			return filepath.Join(sshd.Home, "apps", host)
		}
		return filepath.Join(root, host)
	}
	e := baseEnv(t)
	e.manualNames = nil
	ctx := context.Background()
	for _, name := range []string{"app-1", "app-2"} {
		c, err := e.releases.CreateCI(ctx, adam, release.CIInput{Name: p(name), Kind: p("host"), Environment: p("production"), Criticality: p("high")})
		if err != nil {
			t.Fatal(err)
		}
		e.cis = append(e.cis, c)
	}
	e.approve(nil, "2.0", packages.Manifest{Name: "app", Version: "2.0", Install: "sh install.sh", Verify: verify, Rollback: "echo 1.0 > ../served"},
		[]packages.SourceFile{{Path: "install.sh", Content: "set -e\necho 2.0 > ../served\necho x >> ../installs\n"}})
	e.svc = rollout.NewService(rollout.Config{DB: e.db, Bus: eventsBus(), Log: quiet(), Releases: e.releases, Packages: e.pkgs,
		Targets: func(ctx context.Context, r *release.Release) ([]rollout.Target, error) {
			var out []rollout.Target
			for _, c := range r.CIs {
				out = append(out, rollout.Target{CIID: c.ID, Name: c.Name, Kind: rollout.KindSSH, Address: sshd.Addr})
			}
			return out, nil
		},
		Connect: connectFunc(func(ctx context.Context, tg rollout.Target) (rollout.Executor, error) {
			user, base := "root", filepath.Join(root, tg.Name)
			if strings.HasSuffix(tg.Name, "app-2") {
				user, base = sshd.User, "~/apps/app-2"
			}
			conn, err := sshtarget.Dial(ctx, sshtarget.Config{Addr: tg.Address, User: user, PrivateKey: []byte(sshd.PrivateKey), HostKey: sshd.Fingerprint})
			if err != nil {
				return nil, err
			}
			return rollout.NewSSHExecutor(conn, tg.Name, base), nil
		})})
	t.Cleanup(func() { e.svc.Shutdown(context.Background()) })
	return e, dir
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Over real SSH: each host gets the package (its files checked by sha256
// on the host), installs once, and carries the marker.
func TestSSHRolloutInstallsOnEachHost(t *testing.T) {
	e, dir := sshEnv(t, "grep -q 2.0 ../served")
	ro, err := e.svc.Start(context.Background(), alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Pause)})
	if err != nil {
		t.Fatal(err)
	}
	done := wait(t, e, ro.ID, rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusPaused, rollout.StatusRolledBack)
	if done.Status != rollout.StatusSucceeded {
		logs, _ := e.svc.Logs(context.Background(), ro.ID, 0, 0, 100)
		t.Fatalf("%s %s %s %v %+v", done.Status, done.PauseReason, done.Error, logs, done.Targets)
	}
	for _, h := range []string{"app-1", "app-2"} {
		if v := read(t, filepath.Join(dir(h), "served")); v != "2.0" {
			t.Errorf("%s serves %q", h, v)
		}
		if n := read(t, filepath.Join(dir(h), "installs")); n != "x" {
			t.Errorf("%s installed %q times", h, n)
		}
		if m := read(t, filepath.Join(dir(h), "installed.json")); !strings.Contains(m, ro.ID) || !strings.Contains(m, e.digest) {
			t.Errorf("%s marker %q", h, m)
		}
	}
	if e.state() != release.StateDeployed {
		t.Fatalf("release %s", e.state())
	}
}

// Verify failing on the second host: both run the package's rollback
// command (newest first) and lose the marker; the release is rolled back.
func TestSSHRolloutRollsBackWithTheCommand(t *testing.T) {
	e, dir := sshEnv(t, `grep -q 2.0 ../served && test "$(basename "$(dirname "$PWD")")" != app-2`)
	ro, err := e.svc.Start(context.Background(), alice, e.release.ID, rollout.StartInput{Digest: e.digest, Plan: plan(rollout.Rollback)})
	if err != nil {
		t.Fatal(err)
	}
	done := wait(t, e, ro.ID, rollout.StatusRolledBack, rollout.StatusFailed, rollout.StatusSucceeded)
	if done.Status != rollout.StatusRolledBack {
		t.Fatalf("%s %s", done.Status, done.Error)
	}
	for _, h := range []string{"app-1", "app-2"} {
		if v := read(t, filepath.Join(dir(h), "served")); v != "1.0" {
			t.Errorf("%s serves %q after the rollback", h, v)
		}
		if _, err := os.Stat(filepath.Join(dir(h), "installed.json")); err == nil {
			t.Errorf("%s keeps the marker", h)
		}
	}
	if e.state() != release.StateRolledBack {
		t.Fatalf("release %s", e.state())
	}
}
