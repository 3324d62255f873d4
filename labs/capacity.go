package labs

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/digitalocean/go-libvirt"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/mem"
)

// Capacity is what a host has room for.
type Capacity struct {
	CPUs       int    `json:"cpus"`
	MemTotal   uint64 `json:"mem_total"`
	MemFree    uint64 `json:"mem_free"`
	DiskFree   uint64 `json:"disk_free"`
	RunningVMs int    `json:"running_vms"`
}

// HostStatus is a host as the UI lists it.
type HostStatus struct {
	HostConfig
	Connected bool     `json:"connected"`
	Error     string   `json:"error"`
	Capacity  Capacity `json:"capacity"`
	// Running names the VMs that run on the host.
	Running []string `json:"running"`
}

// Status connects (if needed) and measures the host. Local hosts are
// measured with gopsutil (available memory, free disk of the pool), remote
// ones through libvirt's node and pool information.
func (h *Host) Status(ctx context.Context) HostStatus {
	st := HostStatus{HostConfig: h.cfg, Running: []string{}}
	l, pool, err := h.Pool(ctx)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Connected = true
	_, memKiB, cpus, _, _, _, _, _, err := l.NodeGetInfo()
	if err == nil {
		st.Capacity.CPUs, st.Capacity.MemTotal = int(cpus), memKiB*1024
	}
	if free, err := l.NodeGetFreeMemory(); err == nil {
		st.Capacity.MemFree = free
	}
	if _, _, _, avail, err := l.StoragePoolGetInfo(pool); err == nil {
		st.Capacity.DiskFree = avail
	}
	if h.isLocal() {
		if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
			st.Capacity.MemTotal, st.Capacity.MemFree = vm.Total, vm.Available
		}
		if du, err := disk.UsageWithContext(ctx, h.cfg.PoolDir); err == nil {
			st.Capacity.DiskFree = du.Free
		}
	}
	if doms, _, err := l.ConnectListAllDomains(1, libvirt.ConnectListDomainsActive); err == nil {
		st.Capacity.RunningVMs = len(doms)
		for _, d := range doms {
			st.Running = append(st.Running, d.Name)
		}
		sort.Strings(st.Running)
	}
	return st
}

func (h *Host) isLocal() bool {
	if !strings.HasPrefix(h.cfg.URI, "qemu:///") {
		return false
	}
	_, err := os.Stat(h.cfg.PoolDir)
	return err == nil
}

// CapacityError refuses a lab that would not fit.
type CapacityError struct {
	Host       string
	Need, Free uint64
	Resource   string
	What       string // "the lab" unless set
}

func (e *CapacityError) Error() string {
	what := "the lab"
	if e.What != "" {
		what = e.What
	}
	return fmt.Sprintf("Lab host %s has %s of %s free; %s needs %s: tear down a lab, free some space or add a host.",
		e.Host, gib(e.Free), e.Resource, what, gib(e.Need))
}

// Conflict makes it a 409 for API callers: the request is fine, the host is full.
func (e *CapacityError) Conflict() bool { return true }

func gib(b uint64) string {
	if b < 1<<30 {
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
}
