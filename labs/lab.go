package labs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/audit"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/events"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/store"
)

// Lab statuses.
const (
	StatusCreating    = "creating"
	StatusReady       = "ready"
	StatusTesting     = "testing"
	StatusPassed      = "passed"
	StatusFailed      = "failed"
	StatusTearingDown = "tearing-down"
	StatusTornDown    = "torn-down"
	StatusError       = "error"
)

// CIRef is what labs need to know of a configuration item.
type CIRef struct {
	ID            int64
	Name          string
	Kind          string
	LibvirtHost   string
	LibvirtDomain string
}

// Catalog is the narrow view of releases and CIs labs read through.
type Catalog interface {
	// ReleaseCIs returns a release's CIs; an unknown release is a NotFound.
	ReleaseCIs(ctx context.Context, releaseID int64) ([]CIRef, error)
	CI(ctx context.Context, id int64) (CIRef, error)
	// Package resolves a stored release package into files and commands.
	Package(ctx context.Context, digest string) (*PackageInput, error)
	// EvidenceRecorded tells the release side that a lab added evidence
	// (an approval bound to the old evidence set is void).
	EvidenceRecorded(ctx context.Context, releaseID int64)
}

// Service runs labs.
type Service struct {
	db      *store.DB
	ops     *ops.Manager
	bus     events.Publisher
	log     *slog.Logger
	hosts   *Registry
	catalog Catalog
	now     func() time.Time
	// MaxBooting bounds how many guests boot at once on a host (TCG boot
	// is CPU-bound).
	MaxBooting int

	// instance prefixes every lab id of this Shakedown (its database), so
	// that reconciliation never touches another instance's labs on a
	// shared libvirtd.
	instance string
	// guest boots labs of imported (P2V) disk images; nil: none can be made.
	guest *GuestImage

	reportMu sync.RWMutex
	report   ReconcileReport
}

// NewService returns the lab service.
func NewService(ctx context.Context, db *store.DB, opsm *ops.Manager, bus events.Publisher, log *slog.Logger, hosts *Registry, catalog Catalog) (*Service, error) {
	s := &Service{db: db, ops: opsm, bus: bus, log: log, hosts: hosts, catalog: catalog, now: time.Now, MaxBooting: 3}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'lab_instance'`).Scan(&s.instance)
		if errors.Is(err, sql.ErrNoRows) {
			s.instance = randomHex(2)
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('lab_instance', ?)`, s.instance)
		}
		return err
	})
	return s, err
}

// Instance is the prefix of this Shakedown's lab ids.
func (s *Service) Instance() string { return s.instance }

// mine reports whether a lab id was made by this Shakedown.
func (s *Service) mine(labID string) bool { return strings.HasPrefix(labID, s.instance) }

// Hosts is the host registry.
func (s *Service) Hosts() *Registry { return s.hosts }

// Base is the captured image a lab VM is cloned from.
type Base struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Path     string `json:"path"`
	Format   string `json:"format"`
	Live     bool   `json:"live"`
	Quiesced bool   `json:"quiesced"`
	State    string `json:"state"`
	Origin   string `json:"origin,omitempty"`
}

// VM is one lab VM.
type VM struct {
	CIID   int64  `json:"ci_id"`
	CIName string `json:"ci_name"`
	Domain string `json:"domain"`
	Volume string `json:"volume"`
	State  string `json:"state"`
	Base   *Base  `json:"base"`
	source string // the production domain
}

// Summary counts a lab's evidence.
type Summary struct {
	InstallsPassed int  `json:"installs_passed"`
	InstallsFailed int  `json:"installs_failed"`
	ChecksPassed   int  `json:"checks_passed"`
	ChecksFailed   int  `json:"checks_failed"`
	Rounds         int  `json:"rounds"`
	Cancelled      bool `json:"cancelled,omitempty"`
}

// Lab is a lab record.
type Lab struct {
	ID          string    `json:"id"`
	ReleaseID   int64     `json:"release_id"`
	Host        string    `json:"host"`
	Network     string    `json:"network"`
	Status      string    `json:"status"`
	ExpiresAt   time.Time `json:"expires_at"`
	OperationID string    `json:"operation_id"`
	Error       string    `json:"error"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	VMs         []VM      `json:"vms"`
	Summary     Summary   `json:"summary"`
	Spec        LabInput  `json:"spec"`
}

// Started is the answer to a request that started an operation.
type Started struct {
	Lab       Lab           `json:"lab"`
	Operation ops.Operation `json:"operation"`
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newLabID is the instance prefix and 6 random hex digits: 10 characters,
// which keeps bridge names ("sdl" + id) within Linux's 15.
func (s *Service) newLabID() string { return s.instance + randomHex(3) }

// Create validates the request, checks the host's room and starts the
// lab's build as an operation.
func (s *Service) Create(ctx context.Context, by auth.Actor, releaseID int64, in LabInput) (Started, error) {
	if err := in.validate(); err != nil {
		return Started{}, err
	}
	cis, err := s.catalog.ReleaseCIs(ctx, releaseID)
	if err != nil {
		return Started{}, err
	}
	if in.PackageDigest != "" {
		pkg, err := s.catalog.Package(ctx, in.PackageDigest)
		if err != nil {
			return Started{}, err
		}
		in.PackageDigest = pkg.Digest
	}
	var chosen []CIRef
	if len(in.CIIDs) == 0 {
		for _, c := range cis {
			if c.Kind == "vm" && c.LibvirtDomain != "" {
				chosen = append(chosen, c)
			} else if img, err := s.latestImage(ctx, c.ID); err == nil && c.Kind == "host" {
				c.LibvirtHost = img.Host
				chosen = append(chosen, c)
			}
		}
		if len(chosen) == 0 {
			return Started{}, apperr.Invalid("ci_ids", "This release touches no CI that is a libvirt VM: link a CI to its VM (libvirt host and domain) or pick CIs.")
		}
	} else {
		seen := map[int64]bool{}
		for i, id := range in.CIIDs {
			c, err := s.catalog.CI(ctx, id)
			field := fmt.Sprintf("ci_ids[%d]", i)
			if apperr.KindOf(err) == apperr.KindNotFound {
				return Started{}, apperr.Invalid(field, "Configuration item %d does not exist.", id)
			}
			if err != nil {
				return Started{}, err
			}
			if c.Kind == "host" {
				img, err := s.latestImage(ctx, c.ID)
				if err != nil {
					return Started{}, apperr.Invalid(field, "%s is a physical host with no imported disk image: import one first (P2V).", c.Name)
				}
				c.LibvirtHost = img.Host
			} else if c.LibvirtDomain == "" {
				return Started{}, apperr.Invalid(field, "%s is not linked to a libvirt VM, so a lab cannot clone it.", c.Name)
			}
			if !seen[id] {
				seen[id] = true
				chosen = append(chosen, c)
			}
		}
	}
	hostName := chosen[0].LibvirtHost
	for i, c := range chosen {
		if c.LibvirtHost != hostName {
			return Started{}, apperr.Invalid(fmt.Sprintf("ci_ids[%d]", i), "%s lives on host %s and %s on %s: a lab's clones must sit on the host of their bases.", chosen[0].Name, hostName, c.Name, c.LibvirtHost)
		}
	}
	if in.Host != "" && in.Host != hostName {
		return Started{}, apperr.Invalid("host", "The chosen CIs live on host %s, not %s.", hostName, in.Host)
	}
	host, err := s.hosts.Get(hostName)
	if err != nil {
		return Started{}, apperr.Invalid("host", "Host %s is not registered: add it under Admin → Hosts.", hostName)
	}
	// Every source VM must exist; sum their memory for the capacity check.
	var needMem uint64
	for i, c := range chosen {
		if c.Kind == "host" {
			if s.guest == nil {
				return Started{}, apperr.Invalid(fmt.Sprintf("ci_ids[%d]", i), "%s is an imported disk image, and this Shakedown has no boot kernel for those (start it with --guest-dir).", c.Name)
			}
			needMem += 256 << 20
			continue
		}
		x, err := host.DomainXML(ctx, c.LibvirtDomain)
		var nsd *NoSuchDomainError
		if errors.As(err, &nsd) {
			return Started{}, apperr.Invalid(fmt.Sprintf("ci_ids[%d]", i), "%s: %s", c.Name, nsd.Error())
		}
		if err != nil {
			return Started{}, err
		}
		needMem += memoryBytes(x)
	}
	st := host.Status(ctx)
	if !st.Connected {
		return Started{}, &HostDownError{Host: hostName, Err: errors.New(st.Error)}
	}
	needMem += needMem / 10
	if st.Capacity.MemFree > 0 && needMem > st.Capacity.MemFree {
		return Started{}, &CapacityError{Host: hostName, Need: needMem, Free: st.Capacity.MemFree, Resource: "memory"}
	}
	needDisk := uint64(len(chosen)) * (256 << 20) // clones grow as guests write
	if st.Capacity.DiskFree > 0 && needDisk > st.Capacity.DiskFree {
		return Started{}, &CapacityError{Host: hostName, Need: needDisk, Free: st.Capacity.DiskFree, Resource: "disk"}
	}

	now := s.now().UTC().Truncate(time.Millisecond)
	lab := Lab{ID: s.newLabID(), ReleaseID: releaseID, Host: hostName, Status: StatusCreating, CreatedBy: by.Username,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Duration(in.TTLMinutes) * time.Minute), Spec: in}
	for _, c := range chosen {
		src := c.LibvirtDomain
		if c.Kind == "host" {
			src = fmt.Sprintf("image-%d", c.ID) // booted from the CI's imported disk image
		}
		lab.VMs = append(lab.VMs, VM{CIID: c.ID, CIName: c.Name, Domain: "sd-lab-" + lab.ID + "-" + src, State: "pending", source: src})
	}
	spec, _ := json.Marshal(in)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO labs (id, release_id, host, status, spec, expires_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, lab.ID, releaseID, hostName, lab.Status, string(spec), store.FormatTime(lab.ExpiresAt),
			by.Username, store.FormatTime(now), store.FormatTime(now)); err != nil {
			return err
		}
		for _, vm := range lab.VMs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO lab_vms (lab_id, ci_id, ci_name, domain, state) VALUES (?, ?, ?, ?, ?)`,
				lab.ID, vm.CIID, vm.CIName, vm.Domain, vm.State); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: by.Username, Action: "lab.create", Entity: "release",
			EntityID: strconv.FormatInt(releaseID, 10), After: map[string]any{"lab": lab.ID, "host": hostName, "cis": len(chosen), "ttl_minutes": in.TTLMinutes}})
	})
	if err != nil {
		return Started{}, err
	}
	started, err := s.startOp(ctx, by, lab.ID, "lab.create", func(ctx context.Context, p *ops.Progress) error { return s.build(ctx, p, lab.ID) })
	if err != nil && started.Operation.ID == "" {
		s.setStatus(context.Background(), lab.ID, StatusError, err.Error())
	}
	return started, err
}

func memoryBytes(x *libvirtxml.Domain) uint64 {
	if x.Memory == nil {
		return 256 << 20
	}
	v := uint64(x.Memory.Value)
	switch strings.ToLower(x.Memory.Unit) {
	case "b", "bytes":
		return v
	case "m", "mib":
		return v << 20
	case "g", "gib":
		return v << 30
	case "mb":
		return v * 1000 * 1000
	}
	return v << 10 // KiB is libvirt's default unit
}

// build is the lab.create operation: capture → network → clone → boot →
// apply → test period. Any failure or a cancel undoes what was made.
func (s *Service) build(ctx context.Context, p *ops.Progress, labID string) (err error) {
	lab, err := s.Get(ctx, labID)
	if err != nil {
		return err
	}
	host, err := s.hosts.Get(lab.Host)
	if err != nil {
		return err
	}
	r := &reverter{}
	defer func() {
		if err != nil && host.Lost() {
			var down *HostDownError
			if !errors.As(err, &down) {
				err = &HostDownError{Host: host.Name(), Err: fmt.Errorf("the connection dropped while building the lab (%v); what the lab had made is removed as soon as the host answers again", err)}
			}
		}
		if err != nil {
			r.Fail()
			msg := err.Error()
			if errors.Is(err, context.Canceled) {
				msg = "Cancelled; everything the lab had made was removed."
			}
			s.setStatus(context.Background(), labID, StatusError, msg)
		}
	}()
	n := float64(len(lab.VMs))

	// The isolated network depends on nothing: it is made while the
	// captures run.
	type netResult struct {
		name string
		err  error
	}
	netc := make(chan netResult, 1)
	go func() {
		name, err := host.CreateIsolatedNetwork(ctx, labID)
		netc <- netResult{name, err}
	}()
	netDone := false
	var netName string
	waitNet := func() error {
		if netDone {
			return nil
		}
		res := <-netc
		netDone = true
		if res.err != nil {
			return res.err
		}
		netName = res.name
		r.Add(func(ctx context.Context) { host.DeleteNetwork(ctx, res.name) })
		s.exec(ctx, `UPDATE labs SET network = ?, updated_at = ? WHERE id = ?`, res.name, store.FormatTime(s.now()), labID)
		return nil
	}
	// Whatever happens below, the network's outcome is collected so that
	// its undo is registered.
	defer func() {
		if !netDone {
			if werr := waitNet(); werr != nil && err == nil {
				err = werr
			}
			if err != nil {
				r.Fail()
			}
		}
	}()

	// Imported (P2V) images serve as bases as they are; running VMs are
	// captured, all at once.
	var live []string
	for i := range lab.VMs {
		vm := &lab.VMs[i]
		ciID, ok := imageCI(vm.source)
		if !ok {
			live = append(live, vm.source)
			continue
		}
		img, err := s.latestImage(ctx, ciID)
		if err != nil {
			return fmt.Errorf("%s has no imported image any more", vm.CIName)
		}
		c := Capture{Domain: vm.source, Disk: "vda", BasePath: img.Path, BaseFormat: img.Format, Capacity: img.Capacity}
		baseID, err := s.insertBase(ctx, labID, host.Name(), c)
		if err != nil {
			return err
		}
		s.exec(ctx, `UPDATE lab_bases SET kind = 'import', origin = ? WHERE id = ?`, img.Origin, baseID)
		r.Add(func(ctx context.Context) { s.releaseBase(ctx, host, baseID, c) })
		vm.Base = &Base{ID: baseID, Path: c.BasePath, Format: c.BaseFormat}
		s.setVM(ctx, labID, vm.CIID, "captured", "", baseID)
	}
	if len(live) > 0 {
		p.Update("capture", 5, fmt.Sprintf("Capturing %s (live external snapshots)", strings.Join(live, ", ")))
		caps, err := host.CaptureDisks(ctx, live, labID)
		if err != nil {
			return err
		}
		byDomain := map[string]Capture{}
		for _, c := range caps {
			byDomain[c.Domain] = c
		}
		for i := range lab.VMs {
			vm := &lab.VMs[i]
			c, ok := byDomain[vm.source]
			if !ok {
				continue
			}
			baseID, err := s.insertBase(ctx, labID, host.Name(), c)
			if err != nil {
				host.CommitBack(context.WithoutCancel(ctx), c)
				return err
			}
			r.Add(func(ctx context.Context) { s.releaseBase(ctx, host, baseID, c) })
			vm.Base = &Base{ID: baseID, Path: c.BasePath, Format: c.BaseFormat}
			s.setVM(ctx, labID, vm.CIID, "captured", "", baseID)
		}
		p.Update("capture", 25, fmt.Sprintf("Captured %d VM(s)", len(caps)))
	}

	p.Update("network", 27, "Creating the lab's isolated network")
	if err := waitNet(); err != nil {
		return err
	}

	for i := range lab.VMs {
		vm := &lab.VMs[i]
		p.Update("clone", 30+10*float64(i)/n, fmt.Sprintf("Linked clone of %s", vm.source))
		var capacity uint64
		s.db.QueryRowContext(ctx, `SELECT capacity FROM lab_bases WHERE id = ?`, vm.Base.ID).Scan(&capacity)
		vol, err := host.LinkedClone(ctx, vm.Domain+".qcow2", vm.Base.Path, vm.Base.Format, capacity)
		if err != nil {
			return err
		}
		r.Add(func(ctx context.Context) { host.DeleteVolume(ctx, vol.Name) })
		vm.Volume = vol.Name
		var d *libvirtxml.Domain
		if _, ok := imageCI(vm.source); ok {
			// A physical machine has no definition to copy: it boots on the
			// lab kernel with its imported disk as root.
			d = GuestDefinition(*s.guest, vm.Domain, vol.Path, netName, "", host.ConsoleLog(vm.Domain), Meta{LabID: labID, CI: vm.CIName, Role: "clone"})
			d.Devices.Interfaces[0].MAC = nil
		} else {
			x, err := host.DomainXML(ctx, vm.source)
			if err != nil {
				return err
			}
			if d, err = CloneDefinition(x, CloneSpec{Name: vm.Domain, Meta: Meta{LabID: labID, CI: vm.CIName, Role: "clone"}, Network: netName,
				Disks: map[string]string{firstDiskTarget(x): vol.Path}, ConsoleLog: host.ConsoleLog(vm.Domain)}); err != nil {
				return err
			}
		}
		if err := host.Define(ctx, d); err != nil {
			return err
		}
		domain := vm.Domain
		r.Add(func(ctx context.Context) { host.RemoveDomain(ctx, domain) })
		s.setVM(ctx, labID, vm.CIID, "defined", vol.Name, 0)
	}

	// Boot, at most MaxBooting guests at a time, waiting for each agent.
	p.Update("boot", 40, fmt.Sprintf("Booting %d VM(s)", len(lab.VMs)))
	sem := make(chan struct{}, max(1, s.MaxBooting))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bootErr error
	booted := 0
	for i := range lab.VMs {
		vm := lab.VMs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			err := host.Start(ctx, vm.Domain)
			if err == nil {
				s.setVM(ctx, labID, vm.CIID, "booting", "", 0)
				err = host.WaitAgent(ctx, vm.Domain, 3*time.Minute)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if bootErr == nil {
					bootErr = err
				}
				return
			}
			booted++
			s.setVM(ctx, labID, vm.CIID, "running", "", 0)
			p.Update("boot", 40+20*float64(booted)/n, fmt.Sprintf("%d of %d VMs answer through their guest agent", booted, len(lab.VMs)))
		}()
	}
	wg.Wait()
	if bootErr != nil {
		return bootErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.setStatus(ctx, labID, StatusReady, "")

	pkg, err := s.packageOf(ctx, lab)
	if err != nil {
		return err
	}
	if pkg != nil {
		defer s.catalog.EvidenceRecorded(context.WithoutCancel(ctx), lab.ReleaseID)
		for i, vm := range lab.VMs {
			p.Update("apply", 60+10*float64(i)/n, fmt.Sprintf("Installing %s in %s", pkg.Name, vm.Domain))
			if err := s.apply(ctx, host, lab, vm, pkg); err != nil {
				return err
			}
		}
	}
	if lab.Spec.TestPeriod != nil {
		if err := s.period(ctx, p, host, lab, lab.CreatedBy, *lab.Spec.TestPeriod, 70); err != nil {
			return err
		}
	} else {
		s.finishStatus(ctx, labID)
	}
	r.Success()
	return nil
}

// imageCI tells a VM built from a CI's imported image by its source name.
func imageCI(source string) (int64, bool) {
	rest, ok := strings.CutPrefix(source, "image-")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}

func firstDiskTarget(x *libvirtxml.Domain) string {
	if d, err := primaryDisk(x); err == nil {
		return d.Target.Dev
	}
	return "vda"
}

// apply copies the package into the guest and runs its install command;
// the outcome is evidence. A failed install is a test result, not an error.
func (s *Service) apply(ctx context.Context, host *Host, lab Lab, vm VM, pkg *PackageInput) error {
	for _, f := range pkg.Files {
		path := PackageDir + "/" + f.Path
		dir := path[:strings.LastIndex(path, "/")]
		if res, err := host.Exec(ctx, vm.Domain, []string{"/bin/mkdir", "-p", dir}, nil); err != nil || res.ExitCode != 0 {
			return fmt.Errorf("prepare %s in %s: %v %s", dir, vm.Domain, err, res.Stderr)
		}
		if err := host.WriteFile(ctx, vm.Domain, path, []byte(f.Content)); err != nil {
			return err
		}
		if _, err := host.Exec(ctx, vm.Domain, []string{"/bin/chmod", f.Mode, path}, nil); err != nil {
			return err
		}
	}
	res, err := host.Exec(ctx, vm.Domain, shell(pkg.Install), nil)
	if err != nil {
		return fmt.Errorf("install in %s: %w", vm.Domain, err)
	}
	return s.addEvidence(ctx, lab, lab.CreatedBy, CheckResult{At: s.now().UTC(), VM: vm.CIName, Check: "install " + pkg.Name, Passed: res.ExitCode == 0, Result: res}, "install")
}

// period runs a test period on every VM of the lab, recording evidence.
func (s *Service) period(ctx context.Context, p *ops.Progress, host *Host, lab Lab, actor string, in PeriodInput, from float64) error {
	pkg, err := s.packageOf(ctx, lab)
	if err != nil {
		return err
	}
	defer s.catalog.EvidenceRecorded(context.WithoutCancel(ctx), lab.ReleaseID)
	s.setStatus(ctx, lab.ID, StatusTesting, "")
	domains := make([]string, len(lab.VMs))
	names := map[string]string{}
	for i, vm := range lab.VMs {
		domains[i] = vm.Domain
		names[vm.Domain] = vm.CIName
	}
	var recErr error
	spec := in.spec(pkg)
	p.Update("test-period", from, fmt.Sprintf("Checking every %s for %s", spec.Interval, spec.Duration))
	outcome, err := host.RunPeriod(ctx, domains, spec, func(r CheckResult) {
		r.VM = names[r.VM]
		if err := s.addEvidence(ctx, lab, actor, r, "check"); err != nil && recErr == nil {
			recErr = err
		}
	}, func(done float64, o PeriodOutcome) {
		p.Update("test-period", from+(100-from)*done, fmt.Sprintf("Round %d: %d checks passed, %d failed", o.Rounds, o.Passed, o.Failed))
	})
	if err != nil {
		return err
	}
	if recErr != nil {
		return recErr
	}
	s.log.Info("test period ended", "lab", lab.ID, "rounds", outcome.Rounds, "passed", outcome.Passed, "failed", outcome.Failed)
	s.finishStatus(ctx, lab.ID)
	return nil
}

// finishStatus sets passed or failed from the lab's evidence (ready when
// there is none).
func (s *Service) finishStatus(ctx context.Context, labID string) {
	sum := s.summary(ctx, labID)
	status := StatusReady
	switch {
	case sum.InstallsFailed+sum.ChecksFailed > 0:
		status = StatusFailed
	case sum.InstallsPassed+sum.ChecksPassed > 0:
		status = StatusPassed
	}
	s.setStatus(ctx, labID, status, "")
}

// RunPeriod starts another test period on a ready lab.
func (s *Service) RunPeriod(ctx context.Context, by auth.Actor, labID string, in PeriodInput) (Started, error) {
	if err := in.validate(""); err != nil {
		return Started{}, err
	}
	lab, err := s.Get(ctx, labID)
	if err != nil {
		return Started{}, err
	}
	// A closed or cancelled release takes no more evidence.
	if _, err := s.catalog.ReleaseCIs(ctx, lab.ReleaseID); err != nil {
		return Started{}, err
	}
	switch lab.Status {
	case StatusReady, StatusPassed, StatusFailed:
	default:
		return Started{}, apperr.Conflict("", "Lab %s is %s: a test period needs a ready lab.", labID, lab.Status)
	}
	host, err := s.hosts.Get(lab.Host)
	if err != nil {
		return Started{}, err
	}
	return s.startOp(ctx, by, labID, "lab.test-period", func(ctx context.Context, p *ops.Progress) error {
		err := s.period(ctx, p, host, lab, by.Username, in, 0)
		if errors.Is(err, context.Canceled) {
			s.finishStatus(context.Background(), labID)
		}
		return err
	})
}

// startOp runs fn as an operation of the lab and answers with both.
func (s *Service) startOp(ctx context.Context, by auth.Actor, labID, kind string, fn ops.Func) (Started, error) {
	op, err := s.ops.Start(ctx, by, ops.Spec{Kind: kind, Entity: "lab", EntityID: labID, Run: fn})
	if err != nil {
		return Started{}, err
	}
	s.setOperation(ctx, labID, op.ID)
	got, err := s.Get(ctx, labID)
	return Started{Lab: got, Operation: op}, err
}

// Teardown removes a lab's VMs, clones and network and merges the
// production overlays back.
func (s *Service) Teardown(ctx context.Context, by auth.Actor, labID string) (Started, error) {
	lab, err := s.Get(ctx, labID)
	if err != nil {
		return Started{}, err
	}
	switch lab.Status {
	case StatusTornDown, StatusTearingDown:
		return Started{}, apperr.Conflict("", "Lab %s is already %s.", labID, lab.Status)
	}
	// A build or test period still running is cancelled first (a cancelled
	// build undoes itself); the teardown then removes whatever is left.
	running := ""
	if lab.OperationID != "" && s.ops.Running(lab.OperationID) {
		running = lab.OperationID
		if _, err := s.ops.Cancel(ctx, by, running); err != nil && apperr.KindOf(err) != apperr.KindConflict {
			return Started{}, err
		}
	}
	s.setStatus(ctx, labID, StatusTearingDown, "")
	return s.startOp(ctx, by, labID, "lab.teardown", func(ctx context.Context, p *ops.Progress) error {
		ctx = context.WithoutCancel(ctx) // teardown runs to the end: half a lab is worse
		if running != "" {
			p.Update("cancel", 2, "Stopping the lab's running operation "+running)
			wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			s.ops.Wait(wctx, running)
			cancel()
			s.exec(ctx, `UPDATE labs SET status = ? WHERE id = ?`, StatusTearingDown, labID)
		}
		if err := s.destroy(ctx, p, labID); err != nil {
			s.setStatus(context.Background(), labID, StatusError, err.Error())
			return err
		}
		s.setStatus(context.Background(), labID, StatusTornDown, "")
		return nil
	})
}

// destroy removes every object of a lab from its host.
func (s *Service) destroy(ctx context.Context, p *ops.Progress, labID string) error {
	lab, err := s.Get(ctx, labID)
	if err != nil {
		return err
	}
	host, err := s.hosts.Get(lab.Host)
	if err != nil {
		return err
	}
	var errs []error
	for i, vm := range lab.VMs {
		if p != nil {
			p.Update("remove-vms", 80*float64(i)/float64(len(lab.VMs)), "Removing "+vm.Domain)
		}
		errs = append(errs, host.RemoveDomain(ctx, vm.Domain))
		errs = append(errs, host.DeleteVolume(ctx, vm.Domain+".qcow2"))
		s.setVM(ctx, labID, vm.CIID, "removed", "", 0)
	}
	if p != nil {
		p.Update("network", 85, "Removing the lab network")
	}
	errs = append(errs, host.DeleteNetwork(ctx, networkName(labID)))
	if p != nil {
		p.Update("bases", 90, "Merging production overlays back")
	}
	for _, b := range s.basesOf(ctx, labID) {
		s.releaseBase(ctx, host, b.id, b.capture)
	}
	return errors.Join(errs...)
}

type baseRow struct {
	id      int64
	capture Capture
}

func (s *Service) basesOf(ctx context.Context, labID string) []baseRow {
	rows, err := s.db.QueryContext(ctx, `SELECT id, domain, disk, base_path, base_format, capacity, overlay_path FROM lab_bases WHERE lab_id = ? AND state = 'in-use'`, labID)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []baseRow
	for rows.Next() {
		var b baseRow
		if rows.Scan(&b.id, &b.capture.Domain, &b.capture.Disk, &b.capture.BasePath, &b.capture.BaseFormat, &b.capture.Capacity, &b.capture.OverlayPath) == nil {
			out = append(out, b)
		}
	}
	return out
}

// releaseBase marks a base unused and merges production's overlay back.
// When the merge fails (the host is down) the base stays in use, so that
// reconciliation tries again later.
func (s *Service) releaseBase(ctx context.Context, host *Host, id int64, c Capture) {
	state := "released"
	if merged, err := host.CommitBack(ctx, c); err != nil {
		s.log.Warn("merge production overlay back; will retry", "domain", c.Domain, "err", err)
		return
	} else if merged {
		state = "merged"
	}
	s.exec(ctx, `UPDATE lab_bases SET state = ?, released_at = ? WHERE id = ?`, state, store.FormatTime(s.now()), id)
}

func (s *Service) insertBase(ctx context.Context, labID, host string, c Capture) (int64, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO lab_bases (lab_id, host, domain, disk, kind, base_path, base_format, capacity, overlay_path, live, quiesced, state, created_at)
			VALUES (?, ?, ?, ?, 'snapshot', ?, ?, ?, ?, ?, ?, 'in-use', ?)`, labID, host, c.Domain, c.Disk, c.BasePath, c.BaseFormat, c.Capacity,
			c.OverlayPath, c.Live, c.Quiesced, store.FormatTime(s.now()))
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		return nil
	})
	return id, err
}

// packageOf is the package a lab installs: a stored package by digest, or
// one given inline (nil when none).
func (s *Service) packageOf(ctx context.Context, lab Lab) (*PackageInput, error) {
	if lab.Spec.PackageDigest != "" {
		return s.catalog.Package(ctx, lab.Spec.PackageDigest)
	}
	return lab.Spec.Package, nil
}

// addEvidence stores one result against the release and tells clients.
func (s *Service) addEvidence(ctx context.Context, lab Lab, actor string, r CheckResult, kind string) error {
	err := s.db.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO evidence (release_id, lab_id, at, vm, kind, name, round, passed, exit_code, stdout, stderr, took_ms, package_digest, added_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, lab.ReleaseID, lab.ID, store.FormatTime(r.At), r.VM, kind, r.Check, r.Round, r.Passed,
			r.Result.ExitCode, clip(r.Result.Stdout+r.Error), clip(r.Result.Stderr), r.Result.Took.Milliseconds(), lab.Spec.PackageDigest, actor)
		return err
	})
	if err == nil {
		s.publish(context.WithoutCancel(ctx), lab.ID)
	}
	return err
}

func clip(s string) string {
	if len(s) > 64<<10 {
		return s[:64<<10] + "\n… (cut at 64 KiB)"
	}
	return s
}

func (s *Service) exec(ctx context.Context, q string, args ...any) {
	err := s.db.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		s.log.Error("lab record", "err", err)
	}
}

func (s *Service) setStatus(ctx context.Context, labID, status, msg string) {
	s.exec(context.WithoutCancel(ctx), `UPDATE labs SET status = ?, error = ?, summary = ?, updated_at = ? WHERE id = ?`, status, msg,
		mustJSON(s.summary(ctx, labID)), store.FormatTime(s.now()), labID)
	s.publish(ctx, labID)
}

func (s *Service) setOperation(ctx context.Context, labID, opID string) {
	s.exec(ctx, `UPDATE labs SET operation_id = ?, updated_at = ? WHERE id = ?`, opID, store.FormatTime(s.now()), labID)
}

func (s *Service) setVM(ctx context.Context, labID string, ciID int64, state, volume string, baseID int64) {
	s.exec(ctx, `UPDATE lab_vms SET state = ?, volume = CASE WHEN ? = '' THEN volume ELSE ? END,
		base_id = CASE WHEN ? = 0 THEN base_id ELSE ? END WHERE lab_id = ? AND ci_id = ?`, state, volume, volume, baseID, baseID, labID, ciID)
	s.publish(ctx, labID)
}

func (s *Service) publish(ctx context.Context, labID string) {
	if lab, err := s.Get(context.WithoutCancel(ctx), labID); err == nil {
		s.bus.Publish(events.LabUpdated, labID, lab)
	}
}

// queryStrings returns the first column of a query's rows.
func (s *Service) queryStrings(ctx context.Context, q string, args ...any) []string {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if rows.Scan(&v) == nil {
			out = append(out, v)
		}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (s *Service) summary(ctx context.Context, labID string) Summary {
	var sum Summary
	s.db.QueryRowContext(context.WithoutCancel(ctx), `SELECT
		coalesce(sum(kind = 'install' AND passed), 0), coalesce(sum(kind = 'install' AND NOT passed), 0),
		coalesce(sum(kind = 'check' AND passed), 0), coalesce(sum(kind = 'check' AND NOT passed), 0),
		coalesce(max(round), 0) FROM evidence WHERE lab_id = ?`, labID).
		Scan(&sum.InstallsPassed, &sum.InstallsFailed, &sum.ChecksPassed, &sum.ChecksFailed, &sum.Rounds)
	return sum
}

const labColumns = `id, release_id, host, network, status, spec, expires_at, operation_id, error, created_by, created_at, updated_at`

func (s *Service) scanLab(ctx context.Context, sc interface{ Scan(...any) error }) (Lab, error) {
	var l Lab
	var spec, exp, ca, ua string
	if err := sc.Scan(&l.ID, &l.ReleaseID, &l.Host, &l.Network, &l.Status, &spec, &exp, &l.OperationID, &l.Error, &l.CreatedBy, &ca, &ua); err != nil {
		return l, err
	}
	json.Unmarshal([]byte(spec), &l.Spec)
	l.ExpiresAt, _ = store.ParseTime(exp)
	l.CreatedAt, _ = store.ParseTime(ca)
	l.UpdatedAt, _ = store.ParseTime(ua)
	return l, nil
}

// Get returns a lab with its VMs and summary.
func (s *Service) Get(ctx context.Context, id string) (Lab, error) {
	l, err := s.scanLab(ctx, s.db.QueryRowContext(ctx, `SELECT `+labColumns+` FROM labs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, apperr.NotFound("lab", id)
	}
	if err != nil {
		return l, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT v.ci_id, v.ci_name, v.domain, v.volume, v.state,
			b.id, b.kind, b.base_path, b.base_format, b.live, b.quiesced, b.state
		FROM lab_vms v LEFT JOIN lab_bases b ON b.id = v.base_id WHERE v.lab_id = ? ORDER BY v.ci_name`, id)
	if err != nil {
		return l, err
	}
	defer rows.Close()
	l.VMs = []VM{}
	for rows.Next() {
		var vm VM
		var bid sql.NullInt64
		var kind, path, format, state sql.NullString
		var live, quiesced sql.NullBool
		if err := rows.Scan(&vm.CIID, &vm.CIName, &vm.Domain, &vm.Volume, &vm.State, &bid, &kind, &path, &format, &live, &quiesced, &state); err != nil {
			return l, err
		}
		vm.source = strings.TrimPrefix(vm.Domain, "sd-lab-"+id+"-")
		if bid.Valid {
			vm.Base = &Base{ID: bid.Int64, Kind: kind.String, Path: path.String, Format: format.String, Live: live.Bool, Quiesced: quiesced.Bool, State: state.String}
		}
		l.VMs = append(l.VMs, vm)
	}
	l.Summary = s.summary(ctx, id)
	return l, rows.Err()
}

// Filter narrows a list of labs.
type Filter struct {
	ReleaseID int64
	Status    string
	Limit     int
	Offset    int
}

// List returns labs newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Lab, int, error) {
	var w store.Where
	if f.ReleaseID != 0 {
		w.Add("release_id = ?", f.ReleaseID)
	}
	w.Equal("status", f.Status)
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM labs`+w.SQL(), w.Args()...).Scan(&total); err != nil {
		return nil, 0, err
	}
	ids := s.queryStrings(ctx, `SELECT id FROM labs`+w.SQL()+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, append(w.Args(), f.Limit, f.Offset)...)
	out := []Lab{}
	for _, id := range ids {
		l, err := s.Get(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, nil
}

// Evidence is one recorded result.
type Evidence struct {
	ID        int64     `json:"id"`
	ReleaseID int64     `json:"release_id"`
	LabID     string    `json:"lab_id"`
	At        time.Time `json:"at"`
	VM        string    `json:"vm"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Round     int       `json:"round"`
	Passed    bool      `json:"passed"`
	ExitCode  int       `json:"exit_code"`
	Stdout    string    `json:"stdout"`
	Stderr    string    `json:"stderr"`
	TookMS    int64     `json:"took_ms"`
	// PackageDigest is the package installed when the evidence was taken.
	PackageDigest string `json:"package_digest"`
	AddedBy       string `json:"added_by"`
}

// EvidenceFilter narrows a listing of evidence.
type EvidenceFilter struct {
	ReleaseID int64
	LabID     string
	Passed    *bool
	Limit     int
	Offset    int
}

// ListEvidence returns evidence newest first.
func (s *Service) ListEvidence(ctx context.Context, f EvidenceFilter) ([]Evidence, int, error) {
	var w store.Where
	w.Add("release_id = ?", f.ReleaseID)
	w.Equal("lab_id", f.LabID)
	if f.Passed != nil {
		w.Add("passed = ?", *f.Passed)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM evidence`+w.SQL(), w.Args()...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, release_id, lab_id, at, vm, kind, name, round, passed, exit_code, stdout, stderr, took_ms, package_digest, added_by
		FROM evidence`+w.SQL()+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(w.Args(), f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Evidence{}
	for rows.Next() {
		var e Evidence
		var at string
		if err := rows.Scan(&e.ID, &e.ReleaseID, &e.LabID, &at, &e.VM, &e.Kind, &e.Name, &e.Round, &e.Passed, &e.ExitCode, &e.Stdout, &e.Stderr, &e.TookMS, &e.PackageDigest, &e.AddedBy); err != nil {
			return nil, 0, err
		}
		e.At, _ = store.ParseTime(at)
		out = append(out, e)
	}
	return out, total, rows.Err()
}
