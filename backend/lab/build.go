package lab

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/revert"
	"github.com/shakedown/shakedown/labs"
)

// maxLabPackage bounds the unpacked size of a package copied into lab
// guests through the guest agent.
const maxLabPackage = 64 << 20

// builder carries one lab build through its stages. Each stage adds the
// undo of what it made to the reverter, so that a failure or a cancel at
// any stage removes everything the earlier ones made.
type builder struct {
	s    *Service
	host Host
	lab  Lab
	p    *ops.Progress
	r    *revert.Reverter
	net  string
}

// build is the lab.create operation: capture (with the network made
// alongside) → clone → boot → apply → test period.
func (s *Service) build(ctx context.Context, p *ops.Progress, labID string) (err error) {
	l, err := s.Get(ctx, labID)
	if err != nil {
		return err
	}
	host, err := s.hosts.Get(l.Host)
	if err != nil {
		return err
	}
	b := &builder{s: s, host: host, lab: l, p: p, r: revert.New()}
	defer func() {
		if err == nil {
			return
		}
		if host.Lost() {
			var down *labs.HostDownError
			if !errors.As(err, &down) {
				err = &labs.HostDownError{Host: host.Name(), URI: host.Config().URI, Err: fmt.Errorf("the connection dropped while building the lab (%v); what the lab had made is removed as soon as the host answers again", err)}
			}
		}
		b.r.Fail()
		msg := err.Error()
		if errors.Is(err, context.Canceled) {
			msg = "Cancelled; everything the lab had made was removed."
		}
		if serr := s.setStatus(ctx, labID, StatusError, msg); serr != nil {
			err = errors.Join(err, serr)
		}
	}()

	network := b.startNetwork(ctx)
	err = b.capture(ctx)
	if nerr := network(); err == nil {
		err = nerr
	}
	if err != nil {
		return err
	}
	for _, stage := range []func(context.Context) error{b.clone, b.boot} {
		if err := stage(ctx); err != nil {
			return err
		}
	}
	if err := s.setStatus(ctx, labID, StatusReady, ""); err != nil {
		return err
	}
	if err := b.apply(ctx); err != nil {
		return err
	}
	if l.Spec.TestPeriod != nil {
		report := func(pct float64, msg string) { ops.Report(p, CreateTestPeriod, pct, msg) }
		if err := s.period(ctx, report, host, b.lab, auth.Actor{Username: l.CreatedBy}, *l.Spec.TestPeriod, 70); err != nil {
			return err
		}
	} else {
		if err := s.finishStatus(ctx, labID); err != nil {
			return err
		}
		ops.Report(p, CreateApply, 100, fmt.Sprintf("Lab ready with %d VM(s); no test period was asked for", len(b.lab.VMs)))
	}
	b.r.Success()
	return nil
}

// startNetwork makes the lab's isolated network alongside the captures (it
// depends on nothing). The returned func waits for it and registers its
// undo; it must be called whatever happens, so that the undo is known.
func (b *builder) startNetwork(ctx context.Context) func() error {
	type result struct {
		name string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		name, err := b.host.CreateIsolatedNetwork(ctx, networkName(b.lab.ID))
		done <- result{name, err}
	}()
	return func() error {
		res := <-done
		if res.err != nil {
			return res.err
		}
		b.net = res.name
		b.r.Add(func(ctx context.Context) { b.host.DeleteNetwork(ctx, res.name) })
		return b.s.setNetwork(ctx, b.lab.ID, res.name)
	}
}

// capture freezes each production VM's disk — and the running memory of
// those whose clones resume — in live external snapshots, all at once, so
// that the lab is production at one moment; imported (P2V) images serve
// as bases as they are.
func (b *builder) capture(ctx context.Context) error {
	var reqs []labs.CaptureRequest
	var names []string
	for i := range b.lab.VMs {
		vm := &b.lab.VMs[i]
		ciID, ok := imageCI(vm.source)
		if !ok {
			start, note := b.s.startPlan(ctx, b.host, vm.source, nil, b.lab.Spec.BootFresh)
			req := labs.CaptureRequest{Domain: vm.source}
			if start == StartResume {
				req.Memory = memoryName(vm.Domain)
			}
			reqs, names = append(reqs, req), append(names, vm.source)
			vm.Start, vm.StartNote = start, note
			if err := b.s.setStart(ctx, b.lab.ID, vm.CIID, start, note); err != nil {
				return err
			}
			continue
		}
		img, err := b.s.latestImage(ctx, ciID)
		if err != nil {
			return fmt.Errorf("%s has no imported image any more", vm.CIName)
		}
		vm.Start, vm.StartNote = StartBoot, "It is an imported (P2V) disk image: there is no running memory to resume."
		if err := b.s.setStart(ctx, b.lab.ID, vm.CIID, vm.Start, vm.StartNote); err != nil {
			return err
		}
		c := labs.Capture{Domain: vm.source, Disk: "vda", BasePath: img.Path, BaseFormat: img.Format, Capacity: img.Capacity}
		if err := b.addBase(ctx, vm, BaseImport, img.Origin, c); err != nil {
			return err
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	what := "live external snapshots of their disks"
	if slices.ContainsFunc(reqs, func(r labs.CaptureRequest) bool { return r.Memory != "" }) {
		what = "live snapshots of their running memory and disks; production keeps running"
	}
	ops.Report(b.p, CreateCapture, 5, fmt.Sprintf("Capturing %s (%s)", strings.Join(names, ", "), what))
	caps, err := b.host.Capture(ctx, reqs, b.lab.ID)
	if err != nil {
		return err
	}
	byDomain := map[string]labs.Capture{}
	for _, c := range caps {
		byDomain[c.Domain] = c
	}
	var errs []error
	var pauses []string
	for i := range b.lab.VMs {
		vm := &b.lab.VMs[i]
		c, ok := byDomain[vm.source]
		if !ok {
			continue
		}
		if c.Memory != nil {
			pauses = append(pauses, fmt.Sprintf("%s %s", vm.source, pauseText(c.Memory.Pause, !c.Memory.PauseKnown)))
		}
		if err := b.addBase(ctx, vm, BaseSnapshot, "", c); err != nil {
			// Not recorded, so not undone by the reverter: undo it here.
			undo := context.WithoutCancel(ctx)
			b.host.CommitBack(undo, c)
			if c.Memory != nil {
				b.host.DeleteVolume(undo, c.Memory.Volume)
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	msg := fmt.Sprintf("Captured %d VM(s)", len(caps))
	if len(pauses) > 0 {
		msg += "; production paused " + strings.Join(pauses, ", ")
	}
	ops.Report(b.p, CreateCapture, 25, msg)
	return nil
}

// pauseText says a pause for people ("140 ms", "at most 1.2 s").
func pauseText(d time.Duration, bound bool) string {
	s := fmt.Sprintf("%d ms", d.Milliseconds())
	if d >= time.Second {
		s = fmt.Sprintf("%.1f s", d.Seconds())
	}
	if bound {
		s = "at most " + s
	}
	return s
}

// startPlan decides whether a production VM's clone resumes from its
// memory or boots, and says why it boots. x is the VM's definition when
// the caller has read it already (nil: it is read here).
func (s *Service) startPlan(ctx context.Context, host Host, domain string, x *libvirtxml.Domain, bootFresh bool) (VMStart, string) {
	if bootFresh {
		return StartBoot, "Boot fresh was chosen for this lab."
	}
	if reason := host.CanResume(); reason != "" {
		return StartBoot, upperFirst(reason) + "."
	}
	if active, err := host.IsActive(ctx, domain); err != nil || !active {
		return StartBoot, "The production VM is shut off: there is no running memory to resume."
	}
	if x == nil {
		var err error
		if x, err = host.DomainXML(ctx, domain); err != nil {
			return StartBoot, "Its definition could not be read: " + err.Error()
		}
	}
	if reason := labs.ResumeBlocker(x); reason != "" {
		return StartBoot, "It cannot resume: " + reason + "."
	}
	return StartResume, ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// addBase records a VM's base and registers merging it back as its undo.
func (b *builder) addBase(ctx context.Context, vm *VM, kind BaseKind, origin string, c labs.Capture) error {
	id, err := b.s.insertBase(ctx, b.lab.ID, kind, origin, c)
	if err != nil {
		return err
	}
	b.r.Add(func(ctx context.Context) {
		b.s.releaseBase(ctx, b.host, baseRow{id: id, labID: b.lab.ID, capture: c})
		if c.Memory != nil {
			b.host.DeleteVolume(ctx, c.Memory.Volume)
		}
	})
	vm.Base = &Base{ID: id, Kind: kind, Path: c.BasePath, Format: c.BaseFormat, State: BaseInUse}
	vm.capacity, vm.memory = c.Capacity, c.Memory
	return b.s.setVM(ctx, b.lab.ID, vm.CIID, VMCaptured, "", id)
}

// clone makes each VM's linked clone and its domain definition: the same
// machine as production, its disk swapped, its NICs on the lab network.
func (b *builder) clone(ctx context.Context) error {
	ops.Report(b.p, CreateNetwork, 27, "Created the lab's isolated network "+b.net)
	// The VMs' clones are made at once: between the capture and the
	// clones' start, every moment is time a resumed lab is behind.
	n := len(b.lab.VMs)
	errs := make([]error, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for i := range b.lab.VMs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vm := &b.lab.VMs[i]
			if errs[i] = b.cloneVM(ctx, vm); errs[i] == nil {
				mu.Lock()
				made++
				ops.Report(b.p, CreateClone, 30+10*float64(made)/float64(n), fmt.Sprintf("Linked clone of %s defined (%d of %d)", vm.source, made, n))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// cloneVM makes one VM's linked clone and its domain definition, each
// with its undo.
func (b *builder) cloneVM(ctx context.Context, vm *VM) error {
	vol, err := b.host.LinkedClone(ctx, volumeName(vm.Domain), vm.Base.Path, vm.Base.Format, vm.capacity)
	if err != nil {
		return err
	}
	b.r.Add(func(ctx context.Context) { b.host.DeleteVolume(ctx, vol.Name) })
	vm.Volume = vol.Name
	meta := labs.Meta{LabID: b.lab.ID, CI: vm.CIName, Role: labs.RoleClone}
	var d *libvirtxml.Domain
	if _, ok := imageCI(vm.source); ok {
		// A physical machine has no definition to copy: it boots on the
		// lab kernel with its imported disk as root.
		d = labs.GuestDefinition(*b.s.guest, vm.Domain, vol.Path, b.net, "", b.host.ConsoleLog(vm.Domain), meta)
		d.Devices.Interfaces[0].MAC = nil
	} else if vm.memory != nil {
		// Resumed: the definition the memory knows, from the image.
		saved, err := b.host.SavedDefinition(ctx, *vm.memory)
		if err != nil {
			return err
		}
		if d, err = labs.ResumeDefinition(saved, labs.CloneSpec{Name: vm.Domain, Meta: meta, Network: b.net,
			Disks: map[string]string{labs.FirstDiskTarget(saved): vol.Path}, ConsoleLog: b.host.ConsoleLog(vm.Domain)}); err != nil {
			return err
		}
		vm.def = d
	} else {
		x, err := b.host.DomainXML(ctx, vm.source)
		if err != nil {
			return err
		}
		if d, err = labs.CloneDefinition(x, labs.CloneSpec{Name: vm.Domain, Meta: meta, Network: b.net,
			Disks: map[string]string{labs.FirstDiskTarget(x): vol.Path}, ConsoleLog: b.host.ConsoleLog(vm.Domain)}); err != nil {
			return err
		}
	}
	if err := b.host.Define(ctx, d); err != nil {
		return err
	}
	domain := vm.Domain
	b.r.Add(func(ctx context.Context) { b.host.RemoveDomain(ctx, domain) })
	return b.s.setVM(ctx, b.lab.ID, vm.CIID, VMDefined, vol.Name, 0)
}

// boot starts the clones — restoring those that resume from their
// memory image, booting the others — at most MaxBooting at a time, and
// waits for each guest agent (the domains' undo is already registered by
// clone). A resumed guest's clock is set right through its agent.
func (b *builder) boot(ctx context.Context) error {
	n := len(b.lab.VMs)
	resuming := 0
	for _, vm := range b.lab.VMs {
		if vm.def != nil {
			resuming++
		}
	}
	msg := fmt.Sprintf("Booting %d VM(s)", n)
	if resuming > 0 {
		msg = fmt.Sprintf("Resuming %d VM(s) from production's memory, booting %d", resuming, n-resuming)
	}
	ops.Report(b.p, CreateBoot, 40, msg)
	sem := make(chan struct{}, max(1, b.s.MaxBooting))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	ready := 0
	for i := range b.lab.VMs {
		vm := &b.lab.VMs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			err := b.startVM(ctx, vm)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ready++
			ops.Report(b.p, CreateBoot, 40+20*float64(ready)/float64(n), fmt.Sprintf("%d of %d VMs answer through their guest agent", ready, n))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// resume restores a clone from its memory image. When libvirtd drops the
// connection mid-restore (a restart), it waits up to a minute for the host
// to answer again, then finds the clone running (the restore finished) or
// restores it once more: rewriting the image's header is idempotent.
func (b *builder) resume(ctx context.Context, vm *VM) error {
	err := b.host.Resume(ctx, *vm.memory, vm.def)
	if err == nil || !b.host.Lost() {
		return err
	}
	b.s.log.Warn("libvirtd dropped the connection while a lab VM resumed; waiting for it", "lab", b.lab.ID, "vm", vm.Domain, "err", err)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		active, aerr := b.host.IsActive(ctx, vm.Domain)
		var down *labs.HostDownError
		switch {
		case errors.As(aerr, &down):
			continue
		case aerr != nil:
			return aerr
		case active:
			return nil
		}
		return b.host.Resume(ctx, *vm.memory, vm.def)
	}
	return err
}

// startVM restores or boots one clone and waits for its agent. A restore
// that fails falls back to booting the clone from the same captured disk,
// and the VM's note says so.
func (b *builder) startVM(ctx context.Context, vm *VM) error {
	start := time.Now()
	resumed := false
	var err error
	if vm.def != nil {
		if err = b.resume(ctx, vm); err == nil {
			resumed = true
		} else if ctx.Err() == nil && !b.host.Lost() {
			b.s.log.Warn("resume a lab VM; booting it instead", "lab", b.lab.ID, "vm", vm.Domain, "err", err)
			vm.Start, vm.StartNote = StartBoot, "Resuming from production's memory failed ("+err.Error()+"); it booted from the captured disk instead."
			if err = b.s.setStart(ctx, b.lab.ID, vm.CIID, vm.Start, vm.StartNote); err != nil {
				return err
			}
			start = time.Now()
			err = b.host.Start(ctx, vm.Domain)
		}
	} else {
		err = b.host.Start(ctx, vm.Domain)
	}
	if err != nil {
		return err
	}
	b.s.setVM(ctx, b.lab.ID, vm.CIID, VMBooting, "", 0)
	if err := b.host.WaitAgent(ctx, vm.Domain, b.s.AgentTimeout); err != nil {
		return err
	}
	took := time.Since(start)
	var skew time.Duration
	if resumed {
		var cerr error
		if skew, cerr = b.host.SyncClock(ctx, vm.Domain); cerr != nil {
			vm.StartNote = "Its clock could not be corrected after the resume: " + cerr.Error()
			b.s.setStart(ctx, b.lab.ID, vm.CIID, vm.Start, vm.StartNote)
		}
	}
	vm.ReadyMS, vm.ClockSkewMS = took.Milliseconds(), skew.Milliseconds()
	err = b.s.setReady(ctx, b.lab.ID, vm.CIID, took, skew)
	b.s.publish(ctx, b.lab.ID)
	return err
}

// apply installs the lab's package in every VM; each install is evidence.
func (b *builder) apply(ctx context.Context) error {
	pkg, err := b.s.packageOf(ctx, b.lab)
	if err != nil || pkg == nil {
		return err
	}
	n := float64(len(b.lab.VMs))
	for i, vm := range b.lab.VMs {
		ops.Report(b.p, CreateApply, 60+10*float64(i)/n, fmt.Sprintf("Installing %s in %s", pkg.Name, vm.Domain))
		res, err := install(ctx, b.host, vm.Domain, pkg)
		if err != nil {
			return err
		}
		if err := b.s.record(ctx, auth.Actor{Username: b.lab.CreatedBy}, b.lab, []release.LabResult{{At: b.s.now(), VM: vm.CIName,
			Kind: release.EvidenceInstall, Name: "install " + pkg.Name, Passed: res.ExitCode == 0, ExitCode: res.ExitCode,
			Stdout: res.Stdout, Stderr: res.Stderr, Took: res.Took}}); err != nil {
			return err
		}
	}
	return nil
}

// install copies a package's files into a guest and runs its install
// command. A failed install is a result (evidence), not an error.
func install(ctx context.Context, host Host, domain string, pkg *PackageInput) (labs.ExecResult, error) {
	for _, f := range pkg.Files {
		path := PackageDir + "/" + f.Path
		dir := path[:strings.LastIndex(path, "/")]
		if res, err := host.Exec(ctx, domain, []string{"/bin/mkdir", "-p", dir}, nil); err != nil || res.ExitCode != 0 {
			return labs.ExecResult{}, fmt.Errorf("prepare %s in %s: %v %s", dir, domain, err, res.Stderr)
		}
		if err := host.WriteFile(ctx, domain, path, []byte(f.Content)); err != nil {
			return labs.ExecResult{}, err
		}
		if _, err := host.Exec(ctx, domain, []string{"/bin/chmod", f.Mode, path}, nil); err != nil {
			return labs.ExecResult{}, err
		}
	}
	res, err := host.Exec(ctx, domain, shell(pkg.Install), nil)
	if err != nil {
		return res, fmt.Errorf("install in %s: %w", domain, err)
	}
	return res, nil
}

// packageOf is the package a lab installs: a stored package by digest, or
// one given inline (nil when none).
func (s *Service) packageOf(ctx context.Context, l Lab) (*PackageInput, error) {
	if l.Spec.PackageDigest == "" {
		return l.Spec.Package, nil
	}
	plan, err := s.packages.InstallPlan(ctx, l.Spec.PackageDigest, maxLabPackage)
	if err != nil {
		return nil, err
	}
	in := &PackageInput{Name: plan.Name, Digest: plan.Digest, Install: plan.Install, Verify: plan.Verify, Rollback: plan.Rollback}
	for _, f := range plan.Files {
		in.Files = append(in.Files, PackageFile{Path: f.Path, Content: string(f.Content), Mode: f.Mode})
	}
	for _, c := range plan.Checks {
		in.Checks = append(in.Checks, CheckInput{Name: c.Name, Command: c.Command})
	}
	return in, nil
}

// record stores a batch of the lab's results through the release service
// (the owner of evidence), then the lab's own summary.
func (s *Service) record(ctx context.Context, by auth.Actor, l Lab, results []release.LabResult) error {
	if err := s.releases.RecordLabEvidence(ctx, by, l.ReleaseID, l.ID, l.Spec.PackageDigest, results); err != nil {
		return err
	}
	return s.refreshSummary(ctx, l.ID)
}

// refreshSummary recounts a lab's evidence into its record.
func (s *Service) refreshSummary(ctx context.Context, labID string) error {
	counts, err := s.releases.LabEvidence(context.WithoutCancel(ctx), labID)
	if err != nil {
		return err
	}
	c := counts[labID]
	err = s.setSummary(ctx, labID, Summary{InstallsPassed: c.InstallsPassed, InstallsFailed: c.InstallsFailed,
		ChecksPassed: c.ChecksPassed, ChecksFailed: c.ChecksFailed, Rounds: c.Rounds})
	s.publish(ctx, labID)
	return err
}

// finishStatus sets passed or failed from the lab's evidence (ready when
// there is none).
func (s *Service) finishStatus(ctx context.Context, labID string) error {
	l, err := s.Get(context.WithoutCancel(ctx), labID)
	if err != nil {
		return err
	}
	status := StatusReady
	switch {
	case l.Summary.failed():
		status = StatusFailed
	case l.Summary.any():
		status = StatusPassed
	}
	return s.setStatus(ctx, labID, status, "")
}

// imageSource names the source of a VM booted from a CI's imported image.
func imageSource(ciID int64) string { return fmt.Sprintf("image-%d", ciID) }

// imageCI tells a VM built from a CI's imported image by its source name.
func imageCI(source string) (int64, bool) {
	rest, ok := strings.CutPrefix(source, "image-")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}
