// Command sweep removes every libvirt object a test run made: domains,
// networks and volumes whose names start with sdtest- (test production
// VMs, demo VMs of e2e servers) and the labs built on them. make test runs
// it at the end so that no VM outlives the run.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/shakedown/shakedown/labs"
)

func main() {
	ctx := context.Background()
	h := labs.NewHost(labs.HostConfig{Name: "local", URI: "qemu:///system", PoolDir: "/var/lib/shakedown/pool"})
	defer h.Close()
	doms, err := h.Domains(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		return
	}
	// Labs whose source VMs are test VMs are test labs too.
	testLab := map[string]bool{}
	for _, d := range doms {
		if d.Meta.Role == "clone" && strings.HasSuffix(d.Name, "-"+d.Meta.CI) && strings.Contains(d.Name, "-sdtest-") {
			testLab[d.Meta.LabID] = true
		}
	}
	ours := func(name string) bool {
		if strings.HasPrefix(name, "sdtest-") || strings.HasPrefix(name, "sd-lab-sdtest") || strings.Contains(name, "-sdtest-") {
			return true
		}
		for id := range testLab {
			if strings.HasPrefix(name, "sd-lab-"+id) {
				return true
			}
		}
		return false
	}
	n, err := h.Sweep(ctx, ours)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
	}
	fmt.Printf("sweep: removed %d test object(s)\n", n)
}
