package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/labs"
)

// imageMemory is what a lab VM booted from an imported disk image gets.
const imageMemory = 256 << 20

// Create validates the request, chooses the CIs, checks the host's room
// and starts the lab's build as an operation.
func (s *Service) Create(ctx context.Context, by auth.Actor, releaseID int64, in LabInput) (Started, error) {
	if err := in.validate(); err != nil {
		return Started{}, err
	}
	scope, err := s.releases.LabScope(ctx, releaseID)
	if err != nil {
		return Started{}, err
	}
	// Without a word about the package, a lab tests the release's current
	// one, as the lab form does.
	if in.Package == nil && in.PackageDigest == "" && !in.NoPackage {
		in.PackageDigest = scope.PackageDigest
	}
	if in.PackageDigest != "" {
		pkg, err := s.packages.InstallPlan(ctx, in.PackageDigest, maxLabPackage)
		if err != nil {
			return Started{}, err
		}
		in.PackageDigest = pkg.Digest
	}
	chosen, err := s.chooseCIs(ctx, scope, in.CIIDs)
	if err != nil {
		return Started{}, err
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
	if err := s.checkRoom(ctx, host, chosen, in.BootFresh); err != nil {
		return Started{}, err
	}

	now := s.now().UTC().Truncate(time.Millisecond)
	l := Lab{ID: s.newLabID(), ReleaseID: releaseID, Host: hostName, Status: StatusCreating, CreatedBy: by.Username,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Duration(in.TTLMinutes) * time.Minute), Spec: in}
	for _, c := range chosen {
		src := c.LibvirtDomain
		if c.Kind == "host" {
			src = imageSource(c.ID) // booted from the CI's imported disk image
		}
		l.VMs = append(l.VMs, VM{CIID: c.ID, CIName: c.Name, Domain: domainName(l.ID, src), State: VMPending, source: src})
	}
	// The lab is owned from before its row exists until its build has
	// written its final status: reconciliation never sees it half-made.
	s.mu.Lock()
	release := s.own(l.ID)
	s.mu.Unlock()
	if err := s.insertLab(ctx, l, by.Username); err != nil {
		release()
		return Started{}, err
	}
	started, err := s.startOp(ctx, by, l.ID, KindCreate, release, func(ctx context.Context, p *ops.Progress) error {
		return s.build(ctx, p, l.ID)
	})
	if err != nil && started.Operation.ID == "" {
		s.setStatus(ctx, l.ID, StatusError, err.Error())
	}
	return started, err
}

// chooseCIs picks the CIs a lab reproduces: those asked for, or every CI
// of the release that is a libvirt VM or a host with an imported image.
func (s *Service) chooseCIs(ctx context.Context, scope release.LabScope, ids []int64) ([]release.CI, error) {
	var chosen []release.CI
	if len(ids) == 0 {
		for _, c := range scope.CIs {
			if c.Kind == "vm" && c.LibvirtDomain != "" {
				chosen = append(chosen, c)
			} else if img, err := s.latestImage(ctx, c.ID); err == nil && c.Kind == "host" {
				c.LibvirtHost = img.Host
				chosen = append(chosen, c)
			}
		}
		if len(chosen) == 0 {
			return nil, apperr.Invalid("ci_ids", "This release touches no CI that is a libvirt VM: link a CI to its VM (libvirt host and domain) or pick CIs.")
		}
		return chosen, nil
	}
	seen := map[int64]bool{}
	for i, id := range ids {
		field := fmt.Sprintf("ci_ids[%d]", i)
		c, err := s.releases.GetCI(ctx, id)
		if apperr.KindOf(err) == apperr.KindNotFound {
			return nil, apperr.Invalid(field, "Configuration item %d does not exist.", id)
		}
		if err != nil {
			return nil, err
		}
		if c.Kind == "host" {
			img, err := s.latestImage(ctx, c.ID)
			if err != nil {
				return nil, apperr.Invalid(field, "%s is a physical host with no imported disk image: import one first (P2V).", c.Name)
			}
			if s.guest == nil {
				return nil, apperr.Invalid(field, "%s is an imported disk image, and this Shakedown has no boot kernel for those (start it with --guest-dir).", c.Name)
			}
			c.LibvirtHost = img.Host
		} else if c.LibvirtDomain == "" {
			return nil, apperr.Invalid(field, "%s is not linked to a libvirt VM, so a lab cannot clone it.", c.Name)
		}
		if !seen[id] {
			seen[id] = true
			chosen = append(chosen, c)
		}
	}
	return chosen, nil
}

// checkRoom refuses a lab that would not fit in the host's free memory
// or disk, and one whose source VMs are missing. The clones that will
// resume need room on disk for their memory images too.
func (s *Service) checkRoom(ctx context.Context, host Host, chosen []release.CI, bootFresh bool) error {
	var needMem, needImages uint64
	images := 0
	for i, c := range chosen {
		if c.Kind == "host" {
			needMem += imageMemory
			continue
		}
		x, err := host.DomainXML(ctx, c.LibvirtDomain)
		var nsd *labs.NoSuchDomainError
		if errors.As(err, &nsd) {
			return apperr.Invalid(fmt.Sprintf("ci_ids[%d]", i), "%s: %s", c.Name, nsd.Error())
		}
		if err != nil {
			return err
		}
		needMem += memoryBytes(x)
		if start, _ := s.startPlan(ctx, host, c.LibvirtDomain, x, bootFresh); start == StartResume {
			needImages += memoryBytes(x)
			images++
		}
	}
	st := host.Status(ctx)
	if !st.Connected {
		return &labs.HostDownError{Host: host.Name(), URI: host.Config().URI, Err: errors.New(st.Error), Said: st.Error}
	}
	needMem += needMem / 10
	if st.Capacity.MemFree > 0 && needMem > st.Capacity.MemFree {
		return &labs.CapacityError{Host: host.Name(), Need: needMem, Free: st.Capacity.MemFree, Resource: "memory"}
	}
	needDisk := uint64(len(chosen))*(256<<20) + needImages // clones grow as guests write
	if st.Capacity.DiskFree > 0 && needDisk > st.Capacity.DiskFree {
		e := &labs.CapacityError{Host: host.Name(), Need: needDisk, Free: st.Capacity.DiskFree, Resource: "disk"}
		if images > 0 {
			e.What = fmt.Sprintf("the lab (its clones and %d memory image(s) of running production VMs; \"boot fresh\" needs no memory images)", images)
		}
		return e
	}
	return nil
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
