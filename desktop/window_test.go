package desktop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/store"
)

// The desktop window tests run the real desktop binary (SHAKEDOWN_DESKTOP_BIN,
// built by make test with the desktop tags) in a real X server (Xvfb), drive
// its UI from inside the page and look at the screen.

func desktopBin(t *testing.T) string {
	bin := os.Getenv("SHAKEDOWN_DESKTOP_BIN")
	if bin == "" {
		t.Skip("SHAKEDOWN_DESKTOP_BIN is not set (make test builds the desktop app and sets it)")
	}
	return bin
}

// startXvfb starts an X server on a free display and stops it (by pid) at the end.
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 90; n < 140; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command("Xvfb", display, "-screen", "0", "1280x900x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatalf("Xvfb: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb on %s did not come up", display)
	}
	t.Fatal("no free X display")
	return ""
}

// desktopRun is a running desktop app.
type desktopRun struct {
	cmd    *exec.Cmd
	lines  chan string
	log    *syncLog
	dir    string
	start  time.Time
	exited chan error
}

func runDesktop(t *testing.T, display, script string, args ...string) *desktopRun {
	t.Helper()
	dir := t.TempDir()
	lib, _ := os.ReadFile("testdata/smoke-lib.js")
	body, _ := os.ReadFile("testdata/" + script)
	js := filepath.Join(dir, "smoke.js")
	os.WriteFile(js, []byte(fmt.Sprintf("window.SMOKE_PASSWORD = %q;\n%s\n%s", password, lib, body)), 0o600)
	cmd := exec.Command(desktopBin(t), append([]string{"--data", filepath.Join(dir, "data"), "--smoke", js, "--libvirt", "test:///default"}, args...)...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"SHAKEDOWN_ADMIN_PASSWORD="+password)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	r := &desktopRun{cmd: cmd, lines: make(chan string, 1000), log: &syncLog{}, dir: dir, exited: make(chan error, 1)}
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.log.WriteString(sc.Text() + "\n")
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
		r.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return r
}

// syncLog is the app's output, written by the reader and read by the test.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// smoke waits for the page's report.
func (r *desktopRun) smoke(t *testing.T) map[string]any {
	t.Helper()
	deadline := time.After(120 * time.Second)
	for {
		select {
		case line := <-r.lines:
			if rest, ok := strings.CutPrefix(line, "desktop smoke: "); ok {
				var res map[string]any
				if err := json.Unmarshal([]byte(rest), &res); err != nil {
					t.Fatalf("smoke report %q: %v", rest, err)
				}
				if res["ok"] != true {
					t.Fatalf("the smoke script failed in the window: %v\n%s", res, r.log)
				}
				return res
			}
		case err := <-r.exited:
			t.Fatalf("the desktop app exited early (%v):\n%s", err, r.log)
		case <-deadline:
			t.Fatalf("no smoke report after 120 s:\n%s", r.log)
		}
	}
}

// quit sends SIGTERM (as a desktop session does on logout) and expects a clean exit.
func (r *desktopRun) quit(t *testing.T) {
	t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		if err != nil {
			t.Fatalf("the desktop app did not exit cleanly: %v\n%s", err, r.log)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the desktop app did not quit on SIGTERM:\n%s", r.log)
	}
}

// screenshot saves the X screen under test-output/ and checks that it is not
// blank: a rendered UI has many colours, an empty window a handful.
func screenshot(t *testing.T, display, name string) {
	t.Helper()
	out := filepath.Join("..", "test-output", name)
	os.MkdirAll(filepath.Dir(out), 0o755)
	if raw, err := exec.Command("import", "-display", display, "-window", "root", out).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v %s", err, raw)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colours, b := map[[3]uint32]bool{}, img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 50 {
		t.Fatalf("the window looks blank: %d colours in %s (%v)", len(colours), out, image.Rect(0, 0, b.Dx(), b.Dy()))
	}
}

// Local mode in a real window: the page loads, the local user is signed in
// by itself, a release is created through the form, the app quits cleanly,
// and the release and its audit trail are in the local database.
func TestDesktopWindowLocalMode(t *testing.T) {
	display := startXvfb(t)
	run := runDesktop(t, display, "smoke-local.js")
	res := run.smoke(t)
	screenshot(t, display, "desktop-local.png")
	if res["runtime"] != "object" || !strings.Contains(fmt.Sprint(res["header"]), "Local user") {
		t.Fatalf("the window: %v", res)
	}
	// The native window's title names the release on screen.
	if tree, err := exec.Command("xwininfo", "-display", display, "-root", "-tree").CombinedOutput(); err != nil ||
		!strings.Contains(string(tree), "Desktop smoke 1.0.0 · Shakedown") {
		t.Fatalf("no native window titled with the release: %v\n%s", err, tree)
	}
	// A second start with the same data directory brings this window forward
	// and exits instead of opening the database twice.
	second := exec.Command(desktopBin(t), "--data", filepath.Join(run.dir, "data"), "--libvirt", "test:///default")
	second.Env = run.cmd.Env
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "already running") {
		t.Fatalf("a second start: %v\n%s", err, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(run.log.String(), "another start asked for this window") {
		if time.Now().After(deadline) {
			t.Fatalf("the running app was not asked to show its window:\n%s", run.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	run.quit(t)
	db, err := store.Open(context.Background(), filepath.Join(run.dir, "data", "shakedown.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var by string
	if err := db.QueryRow(`SELECT created_by FROM releases WHERE name = 'Desktop smoke'`).Scan(&by); err != nil || by != LocalUsername() {
		t.Fatalf("the release in the local database: created by %q, %v", by, err)
	}
	var audited int
	db.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = ? AND action = 'release.create'`, by).Scan(&audited)
	if audited != 1 {
		t.Fatalf("audit entries by the local user: %d", audited)
	}
	if c, err := LoadConfig(filepath.Join(run.dir, "config", "shakedown", "desktop.json")); err != nil || c.Width == 0 {
		t.Fatalf("the window size was not remembered: %+v %v", c, err)
	}
}

// Connected mode in a real window against a real team server: its sign-in,
// its roles, its data.
func TestDesktopWindowConnectedMode(t *testing.T) {
	desktopBin(t)
	team := teamServer(t)
	display := startXvfb(t)
	run := runDesktop(t, display, "smoke-connected.js", "--server", team)
	res := run.smoke(t)
	screenshot(t, display, "desktop-connected.png")
	run.quit(t)
	// The release is on the team server, made by the user who signed in there.
	jar := newWindow(t, http.NotFoundHandler())
	jar.base = team
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	if st := jar.do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": password}, &me); st != 200 {
		t.Fatalf("sign-in on the team server: %d", st)
	}
	var r created
	if st := jar.do("GET", fmt.Sprintf("/api/v1/releases/%v", res["release_id"]), nil, &r); st != 200 || r.Name != "Connected smoke" || r.CreatedBy != "admin" {
		t.Fatalf("the release on the team server: %d %+v", st, r)
	}
	// Nothing was written locally.
	if _, err := os.Stat(filepath.Join(run.dir, "data", "shakedown.db")); err == nil {
		t.Fatal("connected mode created a local database")
	}
}
