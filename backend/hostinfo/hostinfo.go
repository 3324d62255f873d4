// Package hostinfo samples the Shakedown host's CPU, memory, load and the
// free disk of the data directory with gopsutil.
package hostinfo

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"

	"github.com/shakedown/shakedown/backend/events"
)

// Status is one sample.
type Status struct {
	CPUPercent   float64   `json:"cpu_percent"`
	CPUCount     int       `json:"cpu_count"`
	Load1        float64   `json:"load1"`
	MemTotal     uint64    `json:"mem_total"`
	MemUsed      uint64    `json:"mem_used"`
	MemAvailable uint64    `json:"mem_available"`
	DiskPath     string    `json:"disk_path"`
	DiskTotal    uint64    `json:"disk_total"`
	DiskFree     uint64    `json:"disk_free"`
	SampledAt    time.Time `json:"sampled_at"`
}

// Sampler keeps the latest sample and publishes each new one.
type Sampler struct {
	path string
	bus  events.Publisher
	log  *slog.Logger

	mu     sync.RWMutex
	latest Status
}

// NewSampler samples the filesystem holding path.
func NewSampler(path string, bus events.Publisher, log *slog.Logger) *Sampler {
	return &Sampler{path: path, bus: bus, log: log}
}

// Sample takes a fresh reading. CPU percent is measured over interval.
func (s *Sampler) Sample(ctx context.Context, interval time.Duration) (Status, error) {
	st := Status{DiskPath: s.path}
	pct, err := cpu.PercentWithContext(ctx, interval, false)
	if err != nil {
		return st, err
	}
	if len(pct) > 0 {
		st.CPUPercent = pct[0]
	}
	st.CPUCount, _ = cpu.CountsWithContext(ctx, true)
	if l, err := load.AvgWithContext(ctx); err == nil {
		st.Load1 = l.Load1
	}
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return st, err
	}
	st.MemTotal, st.MemAvailable = vm.Total, vm.Available
	st.MemUsed = vm.Total - vm.Available
	du, err := disk.UsageWithContext(ctx, s.path)
	if err != nil {
		return st, err
	}
	st.DiskTotal, st.DiskFree = du.Total, du.Free
	st.SampledAt = time.Now().UTC()
	s.mu.Lock()
	s.latest = st
	s.mu.Unlock()
	return st, nil
}

// Latest returns the last sample (zero before the first).
func (s *Sampler) Latest() Status {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.latest
}

// Run samples every period until ctx ends, publishing each sample.
func (s *Sampler) Run(ctx context.Context, period time.Duration) {
	for {
		st, err := s.Sample(ctx, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("host sample failed", "err", err)
		} else {
			s.bus.Publish(events.HostSample, "host", st)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}
