// Command desktop measures the desktop app (make bench-desktop): its binary
// size, cold start to the first paint of the release board (a first launch
// that creates and seeds the database, and a second launch on it), and the
// idle CPU and memory of the app's process tree (the Go process and WebKit's
// web and network processes) with the board open. It runs the real app in a
// real X server (Xvfb) and prints the figures.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const bin = "build/bin/shakedown-desktop"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-desktop:", err)
		os.Exit(1)
	}
}

func run() error {
	st, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("%s: %w (make desktop builds it)", bin, err)
	}
	display, stopX, err := xvfb()
	if err != nil {
		return err
	}
	defer stopX()
	dir, err := os.MkdirTemp("", "sd-bench-desktop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	first, _, err := launch(display, dir, false)
	if err != nil {
		return err
	}
	second, app, err := launch(display, dir, true)
	if err != nil {
		return err
	}
	time.Sleep(5 * time.Second) // let the page settle
	cpu, rss, procs := sample(app.Process.Pid, 20*time.Second)
	app.Process.Signal(syscall.SIGTERM)
	app.Wait()

	fmt.Printf("| figure | measured |\n|---|---|\n")
	fmt.Printf("| binary size (build/bin/shakedown-desktop, stripped) | %.1f MiB |\n", float64(st.Size())/(1<<20))
	fmt.Printf("| cold start to first paint of the board, first launch (creates and seeds the database) | %s |\n", first.Round(time.Millisecond))
	fmt.Printf("| cold start to first paint of the board, next launch | %s |\n", second.Round(time.Millisecond))
	fmt.Printf("| idle CPU with the board open (20 s, %d processes) | %.1f %% of one core |\n", procs, cpu)
	fmt.Printf("| RSS with the board open (Go process + WebKit processes) | %.0f MiB |\n", rss)
	return nil
}

// launch starts the app with the demo dataset and returns the time from exec
// to the page's report that the board painted.
func launch(display, dir string, keep bool) (time.Duration, *exec.Cmd, error) {
	cmd := exec.Command(bin, "--data", filepath.Join(dir, "data"), "--demo", "--libvirt", "test:///default")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	painted := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "desktop first paint of the board") {
				select {
				case painted <- time.Since(start):
				default:
				}
			}
		}
	}()
	select {
	case d := <-painted:
		if !keep {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
		return d, cmd, nil
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		return 0, nil, fmt.Errorf("the board did not paint within 2 minutes")
	}
}

// sample measures the CPU share and the summed RSS of pid and its
// descendants over d.
func sample(pid int, d time.Duration) (cpuPercent, rssMiB float64, procs int) {
	t0, ticks0 := time.Now(), treeTicks(pid)
	time.Sleep(d)
	ticks1 := treeTicks(pid)
	elapsed := time.Since(t0).Seconds()
	cpuPercent = float64(ticks1-ticks0) / 100 / elapsed * 100 // USER_HZ is 100 on Linux
	for _, p := range tree(pid) {
		procs++
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		for _, line := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				rssMiB += kb / 1024
			}
		}
	}
	return cpuPercent, rssMiB, procs
}

func treeTicks(pid int) (ticks int64) {
	for _, p := range tree(pid) {
		f := statFields(p)
		if len(f) > 14 {
			u, _ := strconv.ParseInt(f[13], 10, 64)
			s, _ := strconv.ParseInt(f[14], 10, 64)
			ticks += u + s
		}
	}
	return ticks
}

// statFields splits /proc/pid/stat after the command name (which may hold spaces).
func statFields(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(raw)
	i := strings.LastIndex(s, ")")
	if i < 0 {
		return nil
	}
	return append([]string{"pid", "comm"}, strings.Fields(s[i+1:])...)
}

// tree lists pid and its descendants.
func tree(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(p); len(f) > 3 {
			pp, _ := strconv.Atoi(f[3])
			parent[p] = pp
		}
	}
	out := []int{pid}
	for changed := true; changed; {
		changed = false
		for p, pp := range parent {
			if contains(out, pp) && !contains(out, p) {
				out = append(out, p)
				changed = true
			}
		}
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func xvfb() (string, func(), error) {
	for n := 150; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command("Xvfb", display, "-screen", "0", "1280x900x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			return "", nil, err
		}
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display, func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }, nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
		return "", nil, fmt.Errorf("Xvfb %s did not start", display)
	}
	return "", nil, fmt.Errorf("no free X display")
}
