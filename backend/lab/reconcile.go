package lab

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
	"github.com/shakedown/shakedown/labs"
)

// HostReport says what reconciliation did on one host.
type HostReport struct {
	Host    string   `json:"host"`
	Adopted []string `json:"adopted"`
	Removed []string `json:"removed"`
	Errors  []string `json:"errors"`
}

// ReconcileReport is the outcome of comparing the database with the hosts.
type ReconcileReport struct {
	At    time.Time    `json:"at"`
	Hosts []HostReport `json:"hosts"`
	// Records lists the records reconciliation changed (labs ended, image deletions finished).
	Records []string `json:"records"`
}

// Report returns the last reconciliation report.
func (s *Service) Report() ReconcileReport {
	s.reportMu.RLock()
	defer s.reportMu.RUnlock()
	return s.report
}

// object is one libvirt object of one of this Shakedown's labs.
type object struct {
	kind, name, labID string
}

func (o object) String() string { return o.kind + " " + o.name }

// Reconcile compares the objects on every host with the labs in the
// database, at start (after ops.Recover) and then periodically:
//   - a lab that an operation of this process works on is never touched;
//   - a lab left half-built or half-removed by a stop has its objects
//     removed, its production overlays merged back and its record ended;
//   - a lab that was testing goes back to ready with its evidence so far;
//   - a live lab's objects are adopted;
//   - an object whose lab is unknown or gone is an orphan and is removed.
//
// It lists the world before it reads the database: a lab's row is written
// before its first object is made, so an object in the listing whose row
// is missing from the later read is truly an orphan.
func (s *Service) Reconcile(ctx context.Context) ReconcileReport {
	s.reconcileMu.Lock()
	defer s.reconcileMu.Unlock()
	rep := ReconcileReport{At: s.now().UTC(), Hosts: []HostReport{}, Records: []string{}}
	s.mu.Lock()
	ownedAtStart := make(map[string]bool, len(s.owned))
	for id := range s.owned {
		ownedAtStart[id] = true
	}
	s.mu.Unlock()
	busy := func(id string) bool { return ownedAtStart[id] || s.isOwned(id) }

	// 1. The world.
	var world []*hostWorld
	for _, host := range s.hosts.List() {
		hw := &hostWorld{host: host, report: HostReport{Host: host.Name(), Adopted: []string{}, Removed: []string{}, Errors: []string{}}}
		objs, err := s.listObjects(ctx, host)
		if err != nil {
			hw.report.Errors = append(hw.report.Errors, err.Error())
		}
		hw.objects = objs
		world = append(world, hw)
	}

	// 2. The database.
	rows, err := s.labRows(ctx, ``)
	if err != nil {
		s.log.Error("lab reconciliation: read labs", "err", err)
		return rep
	}
	status := map[string]Status{}
	for _, r := range rows {
		status[r.id] = r.status
	}

	// 3. Interrupted labs: end their records (their objects go below).
	interrupted := map[string]bool{}
	for _, r := range rows {
		if busy(r.id) || !s.mine(r.id) {
			continue
		}
		switch r.status {
		case StatusCreating, StatusTearingDown:
			interrupted[r.id] = true
		case StatusTesting:
			msg := "The test period was interrupted when Shakedown stopped; its evidence so far is kept."
			if err := s.refreshSummary(ctx, r.id); err == nil {
				err = s.finishStatus(ctx, r.id)
			}
			s.exec(ctx, `UPDATE labs SET error = ? WHERE id = ?`, msg, r.id)
			rep.Records = append(rep.Records, fmt.Sprintf("%s: testing → ready (test period interrupted)", r.id))
		}
	}
	live := func(id string) bool {
		st, ok := status[id]
		return ok && st.Live() && !interrupted[id]
	}

	// 4. Objects: adopt the live, remove the rest.
	for _, hw := range world {
		for _, o := range hw.objects {
			switch {
			case busy(o.labID):
			case live(o.labID):
				hw.report.Adopted = append(hw.report.Adopted, o.String())
			default:
				ok, err := s.removeObject(ctx, hw.host, o)
				if err != nil {
					hw.report.Errors = append(hw.report.Errors, err.Error())
				} else if ok {
					hw.report.Removed = append(hw.report.Removed, o.String())
				}
			}
		}
	}

	// 5. Bases still in use under a lab that is gone: merge them back.
	bases, err := s.basesInUse(ctx, "")
	if err != nil {
		s.log.Error("lab reconciliation: read bases", "err", err)
	}
	for _, b := range bases {
		if busy(b.labID) || live(b.labID) || !s.mine(b.labID) {
			continue
		}
		hw := s.worldOf(world, b.labID, rows)
		if hw == nil {
			continue
		}
		merged, err := s.releaseBase(ctx, hw.host, b)
		switch {
		case err != nil:
			hw.report.Errors = append(hw.report.Errors, fmt.Sprintf("merge the overlay of %s back: %v", b.capture.Domain, err))
		case merged:
			hw.report.Removed = append(hw.report.Removed, fmt.Sprintf("overlay %s of %s (merged back)", b.capture.OverlayPath, b.capture.Domain))
		}
	}

	// 5b. Captures the database never recorded: the server stopped between
	// libvirt's snapshot and the base's row. Production still writes to
	// their overlays: merge them back.
	for _, hw := range world {
		caps, err := hw.host.Captures(ctx)
		if err != nil {
			hw.report.Errors = append(hw.report.Errors, fmt.Sprintf("list production's capture overlays: %v", err))
			continue
		}
		for _, c := range caps {
			if !s.mine(c.ID) || busy(c.ID) || live(c.ID) {
				continue
			}
			merged, err := hw.host.CommitBack(ctx, c.Capture)
			switch {
			case err != nil:
				hw.report.Errors = append(hw.report.Errors, fmt.Sprintf("merge the overlay of %s back: %v", c.Domain, err))
			case merged:
				hw.report.Removed = append(hw.report.Removed, fmt.Sprintf("overlay %s of %s (merged back)", c.OverlayPath, c.Domain))
			}
		}
	}

	// 5c. Overlays made ahead of a capture that never happened.
	for _, hw := range world {
		stale, err := hw.host.StaleOverlays(ctx)
		if err != nil {
			hw.report.Errors = append(hw.report.Errors, fmt.Sprintf("list unused capture overlays: %v", err))
			continue
		}
		for _, o := range stale {
			if !s.mine(o.ID) || busy(o.ID) || live(o.ID) {
				continue
			}
			if ok, err := hw.host.DeleteVolume(ctx, o.Volume); err != nil {
				hw.report.Errors = append(hw.report.Errors, err.Error())
			} else if ok {
				hw.report.Removed = append(hw.report.Removed, "unused capture overlay "+o.Volume)
			}
		}
	}

	// 6. The records of interrupted labs.
	for id := range interrupted {
		final, msg := StatusError, "Shakedown stopped while this lab was being built; what it had made was removed."
		if status[id] == StatusTearingDown {
			final, msg = StatusTornDown, ""
		}
		if err := s.setStatus(ctx, id, final, msg); err != nil {
			s.log.Error("lab reconciliation: record", "lab", id, "err", err)
		}
		rep.Records = append(rep.Records, fmt.Sprintf("%s: %s → %s (interrupted by a stop; cleaned up)", id, status[id], final))
	}

	// 7. Image deletions left half-done.
	for _, img := range s.finishImageDeletes(ctx) {
		rep.Records = append(rep.Records, "finished deleting "+img)
	}
	for _, hw := range world {
		rep.Hosts = append(rep.Hosts, hw.report)
	}
	s.reportMu.Lock()
	s.report = rep
	s.reportMu.Unlock()
	for _, h := range rep.Hosts {
		if len(h.Removed)+len(h.Errors) > 0 {
			s.log.Info("lab reconciliation", "host", h.Host, "adopted", len(h.Adopted), "removed", h.Removed, "errors", h.Errors)
		}
	}
	return rep
}

// hostWorld is what reconciliation found on one host.
type hostWorld struct {
	host    Host
	report  HostReport
	objects []object
}

// worldOf finds the host of a lab among those listed.
func (s *Service) worldOf(world []*hostWorld, labID string, rows []labRow) *hostWorld {
	for _, r := range rows {
		if r.id != labID {
			continue
		}
		for _, hw := range world {
			if hw.host.Name() == r.host {
				return hw
			}
		}
	}
	return nil
}

// listObjects lists this Shakedown's lab objects on a host.
func (s *Service) listObjects(ctx context.Context, host Host) ([]object, error) {
	var out []object
	doms, err := host.Domains(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range doms {
		// Other instances' labs on a shared host are not ours to touch.
		if d.Ours && d.Meta.Role == labs.RoleClone && s.mine(d.Meta.LabID) {
			out = append(out, object{"domain", d.Name, d.Meta.LabID})
		}
	}
	nets, err := host.Networks(ctx)
	if err != nil {
		return out, err
	}
	for _, n := range nets {
		if id, ok := strings.CutPrefix(n, objectPrefix); ok && s.mine(id) {
			out = append(out, object{"network", n, id})
		}
	}
	vols, err := host.Volumes(ctx)
	if err != nil {
		return out, err
	}
	for _, v := range vols {
		if rest, ok := strings.CutPrefix(v.Name, objectPrefix); ok {
			if id, _, _ := strings.Cut(rest, "-"); s.mine(id) {
				out = append(out, object{"volume", v.Name, id})
			}
		}
	}
	return out, nil
}

func (s *Service) removeObject(ctx context.Context, host Host, o object) (bool, error) {
	switch o.kind {
	case "domain":
		return host.RemoveDomain(ctx, o.name)
	case "network":
		return host.DeleteNetwork(ctx, o.name)
	default:
		return host.DeleteVolume(ctx, o.name)
	}
}

// ExpireDue tears down every live lab whose time is up.
func (s *Service) ExpireDue(ctx context.Context) int {
	rows, err := s.labRows(ctx, `WHERE status IN (?, ?, ?) AND expires_at <= ?`,
		string(StatusReady), string(StatusPassed), string(StatusFailed), store.FormatTime(s.now()))
	if err != nil {
		s.log.Error("lab expiry", "err", err)
		return 0
	}
	for _, r := range rows {
		if _, err := s.Teardown(ctx, auth.System, r.id); err != nil {
			s.log.Warn("expire lab", "lab", r.id, "err", err)
		} else {
			s.log.Info("lab expired; tearing it down", "lab", r.id)
		}
	}
	return len(rows)
}

// RunReconcile reconciles every period until ctx ends, so that what a
// failed undo left (a host that was down) goes once the host is back.
func (s *Service) RunReconcile(ctx context.Context, period time.Duration) {
	every(ctx, period, func() { s.Reconcile(ctx) })
}

// RunExpiry checks for expired labs every period until ctx ends.
func (s *Service) RunExpiry(ctx context.Context, period time.Duration) {
	every(ctx, period, func() { s.ExpireDue(ctx) })
}

// every runs fn at each period until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
