package labs

import (
	"context"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/store"
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
}

// Report returns the last reconciliation report.
func (s *Service) Report() ReconcileReport {
	s.reportMu.RLock()
	defer s.reportMu.RUnlock()
	return s.report
}

// Reconcile compares the labs in the database with the objects on every
// host, at start (after ops.Recover has marked interrupted operations):
//   - a lab still being created or torn down when Shakedown stopped has its
//     objects removed and its production overlays merged back;
//   - a lab that was testing goes back to ready with its evidence so far;
//   - a live lab's objects are adopted;
//   - an object whose lab is unknown or gone is an orphan and is removed.
func (s *Service) Reconcile(ctx context.Context) ReconcileReport {
	rep := ReconcileReport{At: s.now().UTC()}
	labs := map[string]string{} // id → status
	busy := map[string]bool{}   // labs whose operation runs in this process
	rows, err := s.db.QueryContext(ctx, `SELECT id, status, operation_id FROM labs`)
	if err == nil {
		for rows.Next() {
			var id, st, op string
			rows.Scan(&id, &st, &op)
			labs[id] = st
			busy[id] = op != "" && s.ops.Running(op)
		}
		rows.Close()
	}
	for id, st := range labs {
		if busy[id] {
			continue // being built, tested or removed right now: not interrupted
		}
		switch st {
		case StatusCreating, StatusTearingDown:
			err := s.destroy(ctx, nil, id)
			msg := "Shakedown stopped while this lab was being built or removed; what it had made was removed."
			final := StatusError
			if st == StatusTearingDown {
				msg, final = "", StatusTornDown
			}
			if err != nil {
				msg = "Cleanup after a restart failed: " + err.Error()
				final = StatusError
			}
			s.setStatus(ctx, id, final, msg)
			labs[id] = final
		case StatusTesting:
			s.finishStatus(ctx, id)
			s.exec(ctx, `UPDATE labs SET error = ? WHERE id = ?`, "The test period was interrupted when Shakedown stopped; its evidence so far is kept.", id)
			labs[id] = StatusReady
		}
	}
	live := func(id string) bool {
		st, ok := labs[id]
		return busy[id] || ok && st != StatusTornDown && st != StatusError
	}
	for _, host := range s.hosts.List() {
		hr := HostReport{Host: host.Name(), Adopted: []string{}, Removed: []string{}, Errors: []string{}}
		fail := func(err error) {
			if err != nil {
				hr.Errors = append(hr.Errors, err.Error())
			}
		}
		doms, err := host.Domains(ctx)
		if err != nil {
			fail(err)
			rep.Hosts = append(rep.Hosts, hr)
			continue
		}
		for _, d := range doms {
			// Other instances' labs on a shared host are not ours to touch.
			if !d.Ours || d.Meta.Role != "clone" || !s.mine(d.Meta.LabID) {
				continue
			}
			if live(d.Meta.LabID) {
				hr.Adopted = append(hr.Adopted, "domain "+d.Name)
				continue
			}
			fail(host.RemoveDomain(ctx, d.Name))
			hr.Removed = append(hr.Removed, "domain "+d.Name)
		}
		if l, err := host.Conn(ctx); err == nil {
			nets, _, _ := l.ConnectListAllNetworks(1, 0)
			for _, n := range nets {
				id, ok := strings.CutPrefix(n.Name, "sd-lab-")
				if !ok || !s.mine(id) {
					continue
				}
				if live(id) {
					hr.Adopted = append(hr.Adopted, "network "+n.Name)
					continue
				}
				fail(host.DeleteNetwork(ctx, n.Name))
				hr.Removed = append(hr.Removed, "network "+n.Name)
			}
		}
		vols, err := host.Volumes(ctx)
		fail(err)
		for _, v := range vols {
			rest, ok := strings.CutPrefix(v.Name, "sd-lab-")
			if !ok {
				continue
			}
			id, _, _ := strings.Cut(rest, "-")
			if !s.mine(id) {
				continue
			}
			if live(id) {
				hr.Adopted = append(hr.Adopted, "volume "+v.Name)
				continue
			}
			fail(host.DeleteVolume(ctx, v.Name))
			hr.Removed = append(hr.Removed, "volume "+v.Name)
		}
		rep.Hosts = append(rep.Hosts, hr)
	}
	// Bases still marked in use by a lab that is gone are merged back.
	{
		for _, id := range s.queryStrings(ctx, `SELECT DISTINCT lab_id FROM lab_bases WHERE state = 'in-use'`) {
			if live(id) {
				continue
			}
			host, err := s.hostOf(ctx, id)
			if err != nil {
				continue
			}
			for _, b := range s.basesOf(ctx, id) {
				s.releaseBase(ctx, host, b.id, b.capture)
			}
		}
	}
	s.reportMu.Lock()
	s.report = rep
	s.reportMu.Unlock()
	for _, h := range rep.Hosts {
		s.log.Info("lab reconciliation", "host", h.Host, "adopted", len(h.Adopted), "removed", h.Removed, "errors", h.Errors)
	}
	return rep
}

func (s *Service) hostOf(ctx context.Context, labID string) (*Host, error) {
	var name string
	if err := s.db.QueryRowContext(ctx, `SELECT host FROM labs WHERE id = ?`, labID).Scan(&name); err != nil {
		return nil, err
	}
	return s.hosts.Get(name)
}

// ExpireDue tears down every live lab whose time is up.
func (s *Service) ExpireDue(ctx context.Context) int {
	ids := s.queryStrings(ctx, `SELECT id FROM labs WHERE status IN (?, ?, ?) AND expires_at <= ?`,
		StatusReady, StatusPassed, StatusFailed, store.FormatTime(s.now()))
	for _, id := range ids {
		if _, err := s.Teardown(ctx, auth.System, id); err != nil {
			s.log.Warn("expire lab", "lab", id, "err", err)
		} else {
			s.log.Info("lab expired; tearing it down", "lab", id)
		}
	}
	return len(ids)
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
