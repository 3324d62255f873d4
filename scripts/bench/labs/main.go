// Command labs measures VM lab provisioning on the local libvirtd with the
// test guest (make bench-labs). For 3 running production VMs with 1 GiB
// and 8 GiB disks it times a lab's provisioning (live capture + linked
// clones + isolated network, before boot) against a full copy of the same
// disks (qemu-img convert), reports the disk each clone uses before boot,
// boot-to-agent-ready for 1 and 3 lab VMs, and host load while they boot.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/mem"

	"github.com/shakedown/shakedown/labs"
)

const prefix = "sdtest-bench-"

func main() {
	guestDir := flag.String("guest-dir", "build/guest", "test guest image")
	sizesFlag := flag.String("sizes", "1,8", "production disk sizes in GiB")
	flag.Parse()
	ctx := context.Background()
	g, err := labs.LoadGuestImage(*guestDir)
	must(err)
	h := labs.NewHost(labs.HostConfig{Name: "local", URI: "qemu:///system", PoolDir: "/var/lib/shakedown/pool"})
	host = h
	defer h.Close()
	defer cleanup(ctx, h)
	cleanup(ctx, h)

	fmt.Println("| production disks (virtual / data) | lab provisioning (capture + clones + network) | capture / clones / network (the network runs alongside the captures) | full copy of the 3 disks (qemu-img convert) | speed-up | disk per clone before boot |")
	fmt.Println("|---|---|---|---|---|---|")
	var lastClones []string
	var net string
	for _, s := range strings.Split(*sizesFlag, ",") {
		var gib int
		fmt.Sscan(s, &gib)
		prod := makeProduction(ctx, h, g, gib)

		labID := fmt.Sprintf("sdtestb%d", gib)
		t0 := time.Now()
		names := make([]string, len(prod))
		for i, p := range prod {
			names[i] = p.name
		}
		// As a lab build does it: the network while the captures run, then
		// the clones.
		var tNet time.Duration
		var netErr error
		netDone := make(chan struct{})
		go func() {
			t := time.Now()
			net, netErr = h.CreateIsolatedNetwork(ctx, "sd-lab-"+labID)
			tNet = time.Since(t)
			close(netDone)
		}()
		caps, err := h.CaptureDisks(ctx, names, labID)
		must(err)
		tCapture := time.Since(t0)
		t2 := time.Now()
		var clones []labs.Volume
		for i, c := range caps {
			v, err := h.LinkedClone(ctx, fmt.Sprintf("sd-lab-%s-web-%d.qcow2", labID, i+1), c.BasePath, c.BaseFormat, c.Capacity)
			must(err)
			clones = append(clones, v)
		}
		tClone := time.Since(t2)
		<-netDone
		must(netErr)
		provision := time.Since(t0)

		t1 := time.Now()
		var data uint64
		for i, c := range caps {
			out := filepath.Join("/var/lib/shakedown/pool", fmt.Sprintf("%sfull-%d.qcow2", prefix, i))
			run("qemu-img", "convert", "-O", "qcow2", "-f", c.BaseFormat, c.BasePath, out)
			data = allocated(out)
			defer os.Remove(out)
		}
		full := time.Since(t1)
		var perClone uint64
		for _, v := range clones {
			vv, _ := h.VolumeByPath(ctx, v.Path)
			perClone = max(perClone, vv.Allocation)
		}
		fmt.Printf("| %d GiB / %s each | %s | %s / %s / %s | %s | %.1f× | %d KiB |\n", gib, human(data), provision.Round(time.Millisecond),
			tCapture.Round(time.Millisecond), tClone.Round(time.Millisecond), tNet.Round(time.Millisecond), full.Round(time.Millisecond),
			float64(full)/float64(provision), perClone>>10)

		// Boot measurements on the 1 GiB lab.
		if gib == 1 {
			lastProd = prod
			lastClones = nil
			for i, v := range clones {
				x, err := h.DomainXML(ctx, prod[i].name)
				must(err)
				d, err := labs.CloneDefinition(x, labs.CloneSpec{Name: strings.TrimSuffix(v.Name, ".qcow2"), Meta: labs.Meta{LabID: labID, CI: prod[i].name, Role: "clone"},
					Network: net, Disks: map[string]string{"vda": v.Path}})
				must(err)
				must(h.Define(ctx, d))
				lastClones = append(lastClones, d.Name)
			}
		}
		prodCaps[gib] = caps
	}

	if len(lastClones) == 3 {
		fmt.Println()
		fmt.Println("| lab VMs booting at once | boot to agent-ready (slowest) | host CPU while booting | host memory used |")
		fmt.Println("|---|---|---|---|")
		for _, n := range []int{1, 3} {
			for _, d := range lastClones {
				if a, _ := h.IsActive(ctx, d); a {
					l, _ := h.Conn(ctx)
					dom, _ := l.DomainLookupByName(d)
					l.DomainDestroy(dom)
				}
			}
			memBefore, _ := mem.VirtualMemory()
			cpu.Percent(0, false)
			t0 := time.Now()
			var wg sync.WaitGroup
			for _, d := range lastClones[:n] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					must(h.Start(ctx, d))
					must(h.WaitAgent(ctx, d, 3*time.Minute))
				}()
			}
			wg.Wait()
			took := time.Since(t0)
			pct, _ := cpu.Percent(0, false)
			memAfter, _ := mem.VirtualMemory()
			fmt.Printf("| %d | %s | %.0f %% | +%s |\n", n, took.Round(100*time.Millisecond), pct[0], human(memAfter.Used-min(memAfter.Used, memBefore.Used)))
			bootTook[n] = took
			for _, d := range lastClones[:n] {
				l, _ := h.Conn(ctx)
				dom, _ := l.DomainLookupByName(d)
				l.DomainDestroy(dom)
			}
		}
		resumeBench(ctx, h, lastProd)
	}
}

var bootTook = map[int]time.Duration{}

// resumeBench measures labs from memory against booting, for 1 and 3 VMs:
// a live memory+disk capture of running production VMs (production's
// pause, the memory image's size), then what a lab build does after it —
// the clones' overlays, their definitions from the images, the restores,
// all at once — until every clone's agent answers.
func resumeBench(ctx context.Context, h *labs.Host, prod []prodVM) {
	fmt.Println()
	fmt.Println("| lab VMs | boot to agent-ready (slowest, from above) | resume: capture (production keeps running) | production's pause (longest) | memory image (each) | capture end → every clone's agent answers | of which restore → agent (slowest) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, n := range []int{1, 3} {
		labID := fmt.Sprintf("sdtestr%d", n)
		reqs := make([]labs.CaptureRequest, n)
		for i := range reqs {
			reqs[i] = labs.CaptureRequest{Domain: prod[i].name, Memory: fmt.Sprintf("sd-lab-%s-%d.mem", labID, i)}
		}
		net, err := h.CreateIsolatedNetwork(ctx, "sd-lab-"+labID)
		must(err)
		t0 := time.Now()
		caps, err := h.Capture(ctx, reqs, labID)
		must(err)
		prodCaps[100+n] = caps
		capture := time.Since(t0)
		end := time.Now()
		var pause time.Duration
		var size uint64
		var slowestRestore time.Duration
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i, c := range caps {
			pause, size = max(pause, c.Memory.Pause), max(size, c.Memory.Bytes)
			wg.Add(1)
			go func() { // as a lab build does: each VM's clone made and started at once
				defer wg.Done()
				name := fmt.Sprintf("sd-lab-%s-%d", labID, i)
				v, err := h.LinkedClone(ctx, name+".qcow2", c.BasePath, c.BaseFormat, c.Capacity)
				must(err)
				saved, err := h.SavedDefinition(ctx, *c.Memory)
				must(err)
				d, err := labs.ResumeDefinition(saved, labs.CloneSpec{Name: name, Meta: labs.Meta{LabID: labID, CI: prod[i].name, Role: "clone"},
					Network: net, Disks: map[string]string{"vda": v.Path}, ConsoleLog: h.ConsoleLog(name)})
				must(err)
				must(h.Define(ctx, d))
				t := time.Now()
				must(h.Resume(ctx, *c.Memory, d))
				must(h.WaitAgent(ctx, name, time.Minute))
				mu.Lock()
				slowestRestore = max(slowestRestore, time.Since(t))
				mu.Unlock()
			}()
		}
		wg.Wait()
		ready := time.Since(end)
		fmt.Printf("| %d | %s | %s | %s | %s | **%s** | %s |\n", n, bootTook[n].Round(10*time.Millisecond), capture.Round(time.Millisecond),
			pause.Round(time.Millisecond), human(size), ready.Round(10*time.Millisecond), slowestRestore.Round(10*time.Millisecond))
		h.Sweep(ctx, func(name string) bool { return strings.HasPrefix(name, "sd-lab-"+labID) })
		for _, c := range caps {
			h.CommitBack(ctx, c)
		}
	}
}

// lastProd is the 1 GiB production (its VMs keep running for the resume bench).
var lastProd []prodVM

var prodCaps = map[int][]labs.Capture{}

type prodVM struct{ name, disk string }

// makeProduction boots 3 production VMs whose disks are gib GiB: the
// guest's root filesystem, and for larger disks the space past it filled
// with data (so that a full copy has that much to copy).
func makeProduction(ctx context.Context, h *labs.Host, g labs.GuestImage, gib int) []prodVM {
	l, err := h.Conn(ctx)
	must(err)
	netName := "sd-lab-sdtestbp"
	if _, err := l.NetworkLookupByName(netName); err != nil {
		_, err := h.CreateIsolatedNetwork(ctx, netName)
		must(err)
	}
	gold := copyGolden(g)
	var out []prodVM
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("%s%dg-web-%d", prefix, gib, i)
		v, err := h.LinkedClone(ctx, name+".qcow2", gold, "qcow2", uint64(gib)<<30)
		must(err)
		// qemu-io writes at most 2 GiB at a time.
		for off := 1; off < gib; off++ {
			run("qemu-io", "-f", "qcow2", "-c", fmt.Sprintf("write -P 0x5a %dG 1G", off), v.Path)
		}
		d := labs.GuestDefinition(g, name, v.Path, netName, fmt.Sprintf("52:54:00:5e:%02x:%02x", gib, i), h.ConsoleLog(name), labs.Meta{CI: name, Role: "production"})
		must(h.DefineAndStart(ctx, d))
		out = append(out, prodVM{name: name, disk: v.Path})
		wg.Add(1)
		go func() { defer wg.Done(); must(h.WaitAgent(ctx, name, 3*time.Minute)) }()
	}
	wg.Wait()
	return out
}

func copyGolden(g labs.GuestImage) string {
	p := "/var/lib/shakedown/pool/" + prefix + "golden.qcow2"
	if _, err := os.Stat(p); err != nil {
		run("cp", g.BaseDisk, p)
	}
	return p
}

func allocated(path string) uint64 {
	out, err := exec.Command("qemu-img", "info", "--output=json", path).Output()
	if err != nil {
		return 0
	}
	var n uint64
	if i := strings.Index(string(out), `"actual-size":`); i >= 0 {
		fmt.Sscan(strings.TrimLeft(string(out)[i+14:], " "), &n)
	}
	return n
}

func cleanup(ctx context.Context, h *labs.Host) {
	for gib, caps := range prodCaps {
		_ = gib
		for _, c := range caps {
			h.CommitBack(ctx, c)
		}
	}
	h.Sweep(ctx, func(name string) bool {
		return strings.HasPrefix(name, prefix) || strings.HasPrefix(name, "sd-lab-sdtestb")
	})
}

func run(name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		must(fmt.Errorf("%s %v: %v\n%s", name, args, err, out))
	}
}

// host is cleaned up on a fatal error too.
var host *labs.Host

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		cleanup(context.Background(), host)
		os.Exit(1)
	}
}

func human(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}
