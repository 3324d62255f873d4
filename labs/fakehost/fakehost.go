// Package fakehost is an in-memory libvirt host for fast tests of the lab
// service: it keeps domains, networks, volumes, capture overlays and guest
// files as libvirtd would, refuses what libvirtd refuses (a name taken, an
// object that is not there), and lets a test inject faults or run code at
// any step. It is never used in place of the real-VM tests.
package fakehost

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/shakedown/shakedown/labs"
)

// Host is a fake libvirt host. The zero value is not usable: call New.
type Host struct {
	cfg labs.HostConfig

	mu       sync.Mutex
	domains  map[string]*domain
	networks map[string]bool
	volumes  map[string]labs.Volume
	overlays map[string]string     // production domain → overlay path of a capture
	saved    map[string]savedState // memory image path → what it holds
	bases    map[string]string     // production domain → the base under its capture overlay
	faults   map[string]error
	hooks    map[string]func()
	down     bool

	// OnExec runs a command in a guest; by default every command exits 0.
	OnExec func(domain string, argv []string) (labs.ExecResult, error)
	// MemFree and DiskFree are what Status reports (0: plenty).
	MemFree, DiskFree uint64
	// NoResume is what CanResume says ("": clones may resume).
	NoResume string
}

type domain struct {
	x         *libvirtxml.Domain
	active    bool
	meta      labs.Meta
	files     map[string][]byte
	snapshots map[string]snapshot
	resumed   bool
}

// snapshot is a domain's guest files and run state when it was taken.
type snapshot struct {
	files  map[string][]byte
	active bool
}

// New returns an empty fake host.
func New(cfg labs.HostConfig) *Host {
	if cfg.PoolDir == "" {
		cfg.PoolDir = "/fake/pool"
	}
	return &Host{cfg: cfg, domains: map[string]*domain{}, networks: map[string]bool{}, volumes: map[string]labs.Volume{},
		overlays: map[string]string{}, saved: map[string]savedState{}, bases: map[string]string{}, faults: map[string]error{}, hooks: map[string]func(){}}
}

// Fail makes the next call of method (e.g. "LinkedClone") fail with err.
func (h *Host) Fail(method string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults[method] = err
}

// Before runs fn (once) at the start of the next call of method, outside
// the host's lock: a test's way to race something against a step.
func (h *Host) Before(method string, fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hooks[method] = fn
}

// SetDown makes the host unreachable (libvirtd stopped) or back.
func (h *Host) SetDown(down bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = down
}

// enter runs the hook and returns the fault of method, then takes the lock.
func (h *Host) enter(method string) error {
	h.mu.Lock()
	hook := h.hooks[method]
	delete(h.hooks, method)
	h.mu.Unlock()
	if hook != nil {
		hook()
	}
	h.mu.Lock()
	if h.down {
		return &labs.HostDownError{Host: h.cfg.Name, Err: fmt.Errorf("fake host is down")}
	}
	if err := h.faults[method]; err != nil {
		delete(h.faults, method)
		return err
	}
	return nil
}

// AddProduction defines a running production VM with one qcow2 disk in
// the pool, as the demo production is.
func (h *Host) AddProduction(name string, memMiB uint) {
	h.mu.Lock()
	defer h.mu.Unlock()
	disk := path.Join(h.cfg.PoolDir, name+".qcow2")
	h.volumes[name+".qcow2"] = labs.Volume{Name: name + ".qcow2", Path: disk, Capacity: 1 << 30}
	x := &libvirtxml.Domain{Type: "qemu", Name: name, Memory: &libvirtxml.DomainMemory{Value: memMiB, Unit: "MiB"},
		Devices: &libvirtxml.DomainDeviceList{
			Disks: []libvirtxml.DomainDisk{{Device: "disk", Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
				Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: disk}},
				Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"}}},
			Interfaces: []libvirtxml.DomainInterface{{MAC: &libvirtxml.DomainInterfaceMAC{Address: "52:54:00:00:00:01"},
				Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: "sd-prod"}}}},
		}}
	h.domains[name] = &domain{x: x, active: true, meta: labs.Meta{CI: name, Role: labs.RoleProduction}, files: map[string][]byte{}}
}

// Overlay returns the capture overlay production domain writes to now ("" when none).
func (h *Host) Overlay(domain string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.overlays[domain]
}

// File returns a file written into a guest.
func (h *Host) File(domain, p string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.domains[domain]
	if !ok {
		return nil, false
	}
	b, ok := d.files[p]
	return b, ok
}

// Objects lists every domain, network and volume whose name contains s,
// as "domain x" / "network x" / "volume x", sorted.
func (h *Host) Objects(s string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for n := range h.domains {
		if strings.Contains(n, s) {
			out = append(out, "domain "+n)
		}
	}
	for n := range h.networks {
		if strings.Contains(n, s) {
			out = append(out, "network "+n)
		}
	}
	for n := range h.volumes {
		if strings.Contains(n, s) {
			out = append(out, "volume "+n)
		}
	}
	sort.Strings(out)
	return out
}

func (h *Host) Name() string            { return h.cfg.Name }
func (h *Host) Config() labs.HostConfig { return h.cfg }
func (h *Host) Lost() bool              { h.mu.Lock(); defer h.mu.Unlock(); return h.down }
func (h *Host) Close() error            { return nil }

func (h *Host) ConsoleLog(domain string) string { return "/fake/console/" + domain + ".log" }

func (h *Host) Status(ctx context.Context) labs.HostStatus {
	st := labs.HostStatus{HostConfig: h.cfg, Running: []string{}}
	if err := h.enter("Status"); err != nil {
		h.mu.Unlock()
		st.Error = err.Error()
		return st
	}
	defer h.mu.Unlock()
	st.Connected = true
	st.Capacity = labs.Capacity{CPUs: 2, MemTotal: 24 << 30, MemFree: h.MemFree, DiskFree: h.DiskFree}
	if st.Capacity.MemFree == 0 {
		st.Capacity.MemFree = 16 << 30
	}
	if st.Capacity.DiskFree == 0 {
		st.Capacity.DiskFree = 100 << 30
	}
	for n, d := range h.domains {
		if d.active {
			st.Capacity.RunningVMs++
			st.Running = append(st.Running, n)
		}
	}
	sort.Strings(st.Running)
	return st
}

func (h *Host) noSuch(name string) error {
	return &labs.NoSuchDomainError{Host: h.cfg.Name, Domain: name}
}

func (h *Host) Domains(ctx context.Context) ([]labs.DomainInfo, error) {
	if err := h.enter("Domains"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	var out []labs.DomainInfo
	for n, d := range h.domains {
		out = append(out, labs.DomainInfo{Name: n, Active: d.active, Meta: d.meta, Ours: d.meta.Role != ""})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (h *Host) DomainXML(ctx context.Context, name string) (*libvirtxml.Domain, error) {
	if err := h.enter("DomainXML"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	if !ok {
		return nil, h.noSuch(name)
	}
	raw, _ := d.x.Marshal()
	var x libvirtxml.Domain
	return &x, x.Unmarshal(raw)
}

func (h *Host) Define(ctx context.Context, x *libvirtxml.Domain) error {
	if err := h.enter("Define"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	if _, taken := h.domains[x.Name]; taken {
		return fmt.Errorf("define %s: domain already exists", x.Name)
	}
	for _, disk := range x.Devices.Disks {
		if disk.Source != nil && disk.Source.File != nil && !h.pathExists(disk.Source.File.File) {
			return fmt.Errorf("define %s: disk %s does not exist", x.Name, disk.Source.File.File)
		}
	}
	for _, nic := range x.Devices.Interfaces {
		if n := nic.Source.Network.Network; n != "sd-prod" && !h.networks[n] {
			return fmt.Errorf("define %s: network %s does not exist", x.Name, n)
		}
	}
	var meta labs.Meta
	if x.Metadata != nil {
		meta = parseMeta(x.Metadata.XML)
	}
	h.domains[x.Name] = &domain{x: x, meta: meta, files: map[string][]byte{}}
	return nil
}

func (h *Host) pathExists(p string) bool {
	for _, v := range h.volumes {
		if v.Path == p {
			return true
		}
	}
	return false
}

func (h *Host) Start(ctx context.Context, name string) error {
	if err := h.enter("Start"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	if !ok {
		return h.noSuch(name)
	}
	if d.active {
		return fmt.Errorf("start %s: domain is already running", name)
	}
	d.active = true
	return nil
}

func (h *Host) RemoveDomain(ctx context.Context, name string) (bool, error) {
	if err := h.enter("RemoveDomain"); err != nil {
		h.mu.Unlock()
		return false, err
	}
	defer h.mu.Unlock()
	_, ok := h.domains[name]
	delete(h.domains, name)
	return ok, nil
}

func (h *Host) Capture(ctx context.Context, reqs []labs.CaptureRequest, captureID string) ([]labs.Capture, error) {
	if err := h.enter("Capture"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	var out []labs.Capture
	undo := func() { // as the driver does: undo the others
		for _, c := range out {
			h.commit(c)
			if c.Memory != nil {
				delete(h.volumes, c.Memory.Volume)
			}
		}
	}
	for _, r := range reqs {
		d, ok := h.domains[r.Domain]
		if !ok {
			undo()
			return nil, fmt.Errorf("capture %s: %w", r.Domain, h.noSuch(r.Domain))
		}
		base := d.x.Devices.Disks[0].Source.File.File
		c := labs.Capture{Domain: r.Domain, Disk: "vda", BasePath: base, BaseFormat: "qcow2", Capacity: 1 << 30, Live: d.active, Quiesced: d.active && r.Memory == ""}
		if r.Memory != "" {
			if !d.active {
				undo()
				return nil, fmt.Errorf("capture %s: it is not running, so it has no memory to capture", r.Domain)
			}
			v := labs.Volume{Name: r.Memory, Path: path.Join(h.cfg.PoolDir, r.Memory), Capacity: 64 << 20, Allocation: 64 << 20}
			h.volumes[r.Memory] = v
			c.Memory = &labs.MemoryImage{Volume: v.Name, Path: v.Path, Bytes: v.Allocation, At: time.Now().UTC(),
				Pause: 42 * time.Millisecond, PauseKnown: true}
			h.saved[v.Path] = savedState{x: d.x, files: maps.Clone(d.files)}
		}
		if d.active {
			c.OverlayPath = path.Join(h.cfg.PoolDir, fmt.Sprintf("%s.sd-%s.qcow2", r.Domain, captureID))
			h.overlays[r.Domain], h.bases[r.Domain] = c.OverlayPath, base
			d.x.Devices.Disks[0].Source.File.File = c.OverlayPath
		}
		out = append(out, c)
	}
	return out, nil
}

// savedState is what a fake memory image holds: the definition and the
// guest's files (its running state) at the capture.
type savedState struct {
	x     *libvirtxml.Domain
	files map[string][]byte
}

func (h *Host) CanResume() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.NoResume
}

func (h *Host) SavedDefinition(ctx context.Context, m labs.MemoryImage) (*libvirtxml.Domain, error) {
	if err := h.enter("SavedDefinition"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	st, ok := h.saved[m.Path]
	if _, vol := h.volumes[m.Volume]; !ok || !vol {
		return nil, fmt.Errorf("read the definition in the memory image %s: no such file", m.Path)
	}
	raw, _ := st.x.Marshal()
	var x libvirtxml.Domain
	return &x, x.Unmarshal(raw)
}

// Resume starts a defined clone with the guest files of its memory image
// (the running state the capture saw).
func (h *Host) Resume(ctx context.Context, m labs.MemoryImage, x *libvirtxml.Domain) error {
	if err := h.enter("Resume"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[x.Name]
	if !ok {
		return h.noSuch(x.Name)
	}
	st, ok := h.saved[m.Path]
	if _, vol := h.volumes[m.Volume]; !ok || !vol {
		return fmt.Errorf("resume %s from the memory image %s: no such file", x.Name, m.Volume)
	}
	if d.active {
		return fmt.Errorf("resume %s: domain is already running", x.Name)
	}
	d.active, d.files, d.resumed = true, maps.Clone(st.files), true
	return nil
}

func (h *Host) SyncClock(ctx context.Context, name string) (time.Duration, error) {
	if err := h.enter("SyncClock"); err != nil {
		h.mu.Unlock()
		return 0, err
	}
	defer h.mu.Unlock()
	if _, ok := h.domains[name]; !ok {
		return 0, h.noSuch(name)
	}
	return 1500 * time.Millisecond, nil
}

// Resumed reports whether a domain was started by Resume.
func (h *Host) Resumed(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	return ok && d.resumed
}

func (h *Host) commit(c labs.Capture) bool {
	d, ok := h.domains[c.Domain]
	if !ok || !d.active || c.OverlayPath == "" || h.overlays[c.Domain] != c.OverlayPath {
		return false
	}
	delete(h.overlays, c.Domain)
	d.x.Devices.Disks[0].Source.File.File = c.BasePath
	return true
}

func (h *Host) CommitBack(ctx context.Context, c labs.Capture) (bool, error) {
	if err := h.enter("CommitBack"); err != nil {
		h.mu.Unlock()
		return false, err
	}
	defer h.mu.Unlock()
	return h.commit(c), nil
}

func (h *Host) CreateIsolatedNetwork(ctx context.Context, name string) (string, error) {
	if err := h.enter("CreateIsolatedNetwork"); err != nil {
		h.mu.Unlock()
		return "", err
	}
	defer h.mu.Unlock()
	if h.networks[name] {
		return "", fmt.Errorf("create lab network %s: network already exists", name)
	}
	h.networks[name] = true
	return name, nil
}

func (h *Host) Networks(ctx context.Context) ([]string, error) {
	if err := h.enter("Networks"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	var out []string
	for n := range h.networks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (h *Host) DeleteNetwork(ctx context.Context, name string) (bool, error) {
	if err := h.enter("DeleteNetwork"); err != nil {
		h.mu.Unlock()
		return false, err
	}
	defer h.mu.Unlock()
	ok := h.networks[name]
	delete(h.networks, name)
	return ok, nil
}

func (h *Host) LinkedClone(ctx context.Context, name, basePath, baseFormat string, capacity uint64) (labs.Volume, error) {
	if err := h.enter("LinkedClone"); err != nil {
		h.mu.Unlock()
		return labs.Volume{}, err
	}
	defer h.mu.Unlock()
	if _, taken := h.volumes[name]; taken {
		return labs.Volume{}, fmt.Errorf("linked clone %s: volume already exists", name)
	}
	if !h.pathExists(basePath) {
		return labs.Volume{}, fmt.Errorf("linked clone %s: base %s does not exist", name, basePath)
	}
	v := labs.Volume{Name: name, Path: path.Join(h.cfg.PoolDir, name), Capacity: capacity, Allocation: 196 << 10}
	h.volumes[name] = v
	return v, nil
}

func (h *Host) Volumes(ctx context.Context) ([]labs.Volume, error) {
	if err := h.enter("Volumes"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	var out []labs.Volume
	for _, v := range h.volumes {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (h *Host) DeleteVolume(ctx context.Context, name string) (bool, error) {
	if err := h.enter("DeleteVolume"); err != nil {
		h.mu.Unlock()
		return false, err
	}
	defer h.mu.Unlock()
	_, ok := h.volumes[name]
	delete(h.volumes, name)
	return ok, nil
}

func (h *Host) ImportImage(ctx context.Context, name string, r io.Reader, size int64, progress func(int64)) (labs.Imported, error) {
	if err := h.enter("ImportImage"); err != nil {
		h.mu.Unlock()
		return labs.Imported{}, err
	}
	h.mu.Unlock()
	n, err := io.Copy(io.Discard, io.LimitReader(r, size))
	if err != nil {
		return labs.Imported{}, err
	}
	if n != size {
		return labs.Imported{}, &labs.ShortStreamError{Got: n, Want: size}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v := labs.Volume{Name: name, Path: path.Join(h.cfg.PoolDir, name), Capacity: uint64(size), Allocation: uint64(size)}
	h.volumes[name] = v
	return labs.Imported{Volume: v, Format: "raw", SourceFormat: "raw", Bytes: size}, nil
}

func (h *Host) WaitAgent(ctx context.Context, name string, timeout time.Duration) error {
	if err := h.enter("WaitAgent"); err != nil {
		h.mu.Unlock()
		return err
	}
	d, ok := h.domains[name]
	h.mu.Unlock()
	if !ok {
		return h.noSuch(name)
	}
	if !d.active {
		return &labs.AgentTimeoutError{Domain: name, After: timeout}
	}
	return ctx.Err()
}

func (h *Host) exec(name string, argv []string) (labs.ExecResult, error) {
	d, ok := h.domains[name]
	if !ok {
		return labs.ExecResult{}, h.noSuch(name)
	}
	if !d.active {
		return labs.ExecResult{}, fmt.Errorf("run %q in %s: domain is not running", argv[0], name)
	}
	return labs.ExecResult{}, nil
}

// Exec runs argv in a running guest through OnExec.
func (h *Host) Exec(ctx context.Context, name string, argv []string, stdin []byte) (labs.ExecResult, error) {
	if err := h.enter("Exec"); err != nil {
		h.mu.Unlock()
		return labs.ExecResult{}, err
	}
	_, err := h.exec(name, argv)
	fn := h.OnExec
	h.mu.Unlock()
	if err != nil {
		return labs.ExecResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return labs.ExecResult{}, err
	}
	if fn != nil {
		return fn(name, argv)
	}
	return labs.ExecResult{Took: time.Millisecond}, nil
}

func (h *Host) WriteFile(ctx context.Context, name, p string, data []byte) error {
	if err := h.enter("WriteFile"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	if _, err := h.exec(name, []string{"write"}); err != nil {
		return err
	}
	h.domains[name].files[p] = append([]byte(nil), data...)
	return nil
}

func parseMeta(inner string) labs.Meta {
	var m labs.Meta
	get := func(attr string) string {
		i := strings.Index(inner, " "+attr+`="`)
		if i < 0 {
			return ""
		}
		rest := inner[i+len(attr)+3:]
		return rest[:strings.Index(rest, `"`)]
	}
	m.LabID, m.CI, m.Role = get("id"), get("ci"), get("role")
	return m
}

// ReadFile reads a guest file, up to limit bytes.
func (h *Host) ReadFile(ctx context.Context, name, p string, limit int) ([]byte, error) {
	if err := h.enter("ReadFile"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	if _, err := h.exec(name, []string{"read"}); err != nil {
		return nil, err
	}
	b, ok := h.domains[name].files[p]
	if !ok {
		return nil, fmt.Errorf("open %s in %s: No such file or directory", p, name)
	}
	return append([]byte(nil), b[:min(len(b), limit)]...), nil
}

// Snapshot keeps the domain's guest files and run state under name.
func (h *Host) Snapshot(ctx context.Context, name, snap, description string) error {
	if err := h.enter("Snapshot"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	if !ok {
		return h.noSuch(name)
	}
	if d.snapshots == nil {
		d.snapshots = map[string]snapshot{}
	}
	if _, taken := d.snapshots[snap]; taken {
		return fmt.Errorf("snapshot %s of %s: a snapshot of that name exists", snap, name)
	}
	files := map[string][]byte{}
	for k, v := range d.files {
		files[k] = append([]byte(nil), v...)
	}
	d.snapshots[snap] = snapshot{files: files, active: d.active}
	return nil
}

// Revert puts the domain back as it was at the snapshot.
func (h *Host) Revert(ctx context.Context, name, snap string) error {
	if err := h.enter("Revert"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	d, ok := h.domains[name]
	if !ok {
		return h.noSuch(name)
	}
	sn, ok := d.snapshots[snap]
	if !ok {
		return fmt.Errorf("snapshot %s of %s: no such snapshot", snap, name)
	}
	d.files = map[string][]byte{}
	for k, v := range sn.files {
		d.files[k] = append([]byte(nil), v...)
	}
	d.active = sn.active
	return nil
}

// DeleteSnapshot removes a snapshot; a missing one is not an error.
func (h *Host) DeleteSnapshot(ctx context.Context, name, snap string) error {
	if err := h.enter("DeleteSnapshot"); err != nil {
		h.mu.Unlock()
		return err
	}
	defer h.mu.Unlock()
	if d, ok := h.domains[name]; ok {
		delete(d.snapshots, snap)
	}
	return nil
}

// Snapshots lists a domain's snapshots.
func (h *Host) Snapshots(name string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	if d, ok := h.domains[name]; ok {
		for k := range d.snapshots {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// SetActive starts or stops a domain as if someone did it outside Shakedown.
func (h *Host) SetActive(name string, active bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d, ok := h.domains[name]; ok {
		d.active = active
	}
}

func (h *Host) Captures(ctx context.Context) ([]labs.ActiveCapture, error) {
	if err := h.enter("Captures"); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	defer h.mu.Unlock()
	var out []labs.ActiveCapture
	for dom, overlay := range h.overlays {
		id := strings.TrimSuffix(strings.TrimPrefix(path.Base(overlay), dom+".sd-"), ".qcow2")
		out = append(out, labs.ActiveCapture{ID: id, Capture: labs.Capture{Domain: dom, Disk: "vda", OverlayPath: overlay,
			BasePath: h.bases[dom], Live: true}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OverlayPath < out[j].OverlayPath })
	return out, nil
}

// StaleOverlays: the fake host makes no overlay ahead of a capture.
func (h *Host) StaleOverlays(ctx context.Context) ([]labs.StaleOverlay, error) { return nil, nil }
