package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/store"
)

// Teardown removes a lab's VMs, clones and network and merges the
// production overlays back. A build or test period still running is
// cancelled first (a cancelled build undoes itself); the teardown then
// removes whatever is left.
func (s *Service) Teardown(ctx context.Context, by auth.Actor, labID string) (Started, error) {
	s.mu.Lock()
	l, err := s.Get(ctx, labID)
	if err == nil && (l.Status == StatusTornDown || l.Status == StatusTearingDown) {
		err = apperr.Conflict("", "Lab %s is already %s.", labID, l.Status)
	}
	running := ""
	if err == nil && l.OperationID != "" && s.ops.Running(l.OperationID) {
		running = l.OperationID
		if _, cerr := s.ops.Cancel(ctx, by, running); cerr != nil && apperr.KindOf(cerr) != apperr.KindConflict {
			err = cerr
		}
	}
	if err == nil {
		err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE labs SET status = ?, updated_at = ? WHERE id = ?`, string(StatusTearingDown), store.FormatTime(s.now()), labID); err != nil {
				return err
			}
			return s.auditLab(ctx, tx, by.Username, "lab.teardown", l, map[string]any{"was": l.Status, "cancelled_operation": running})
		})
	}
	if err != nil {
		s.mu.Unlock()
		return Started{}, err
	}
	release := s.own(labID)
	s.mu.Unlock()
	s.publish(ctx, labID)
	return s.startOp(ctx, by, labID, KindTeardown, release, func(ctx context.Context, p *ops.Progress) error {
		ctx = context.WithoutCancel(ctx) // teardown runs to the end: half a lab is worse
		if running != "" {
			ops.Report(p, TeardownCancel, 2, "Stopping the lab's running operation "+running)
			wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			s.ops.Wait(wctx, running)
			cancel()
			// The cancelled build wrote "error" as it ended: this is a teardown.
			if err := s.exec(ctx, `UPDATE labs SET status = ? WHERE id = ?`, string(StatusTearingDown), labID); err != nil {
				return err
			}
		}
		if _, err := s.destroy(ctx, p, labID); err != nil {
			return errors.Join(err, s.setStatus(ctx, labID, StatusError, "Teardown failed: "+err.Error()))
		}
		ops.Report(p, TeardownDone, 100, "The lab is gone; production's overlays are merged back")
		return s.setStatus(ctx, labID, StatusTornDown, "")
	})
}

// destroy removes every object of a lab from its host and releases its
// bases. It returns what it removed.
func (s *Service) destroy(ctx context.Context, p *ops.Progress, labID string) ([]string, error) {
	l, err := s.Get(ctx, labID)
	if err != nil {
		return nil, err
	}
	host, err := s.hosts.Get(l.Host)
	if err != nil {
		return nil, err
	}
	update := func(stage TeardownStage, pct float64, msg string) {
		if p != nil {
			ops.Report(p, stage, pct, msg)
		}
	}
	var removed []string
	var errs []error
	note := func(what string, ok bool, err error) {
		if ok {
			removed = append(removed, what)
		}
		errs = append(errs, err)
	}
	for i, vm := range l.VMs {
		update(TeardownRemoveVMs, 80*float64(i)/float64(len(l.VMs)), "Removing "+vm.Domain)
		ok, err := host.RemoveDomain(ctx, vm.Domain)
		note("domain "+vm.Domain, ok, err)
		ok, err = host.DeleteVolume(ctx, volumeName(vm.Domain))
		note("volume "+volumeName(vm.Domain), ok, err)
		ok, err = host.DeleteVolume(ctx, memoryName(vm.Domain))
		note("memory image "+memoryName(vm.Domain), ok, err)
		errs = append(errs, s.setVM(ctx, labID, vm.CIID, VMRemoved, "", 0))
	}
	update(TeardownNetwork, 85, "Removing the lab network")
	ok, err := host.DeleteNetwork(ctx, networkName(labID))
	note("network "+networkName(labID), ok, err)
	update(TeardownBases, 90, "Merging production overlays back")
	bases, err := s.basesInUse(ctx, labID)
	errs = append(errs, err)
	for _, b := range bases {
		if merged, err := s.releaseBase(ctx, host, b); merged {
			removed = append(removed, fmt.Sprintf("overlay of %s (merged back)", b.capture.Domain))
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// releaseBase merges production's overlay back and marks the base unused.
// When the merge fails (the host is down) the base stays in use, so that
// reconciliation tries again later.
func (s *Service) releaseBase(ctx context.Context, host Host, b baseRow) (merged bool, err error) {
	merged, err = host.CommitBack(ctx, b.capture)
	if err != nil {
		s.log.Warn("merge production overlay back; will retry", "domain", b.capture.Domain, "err", err)
		return false, err
	}
	state := BaseReleased
	if merged {
		state = BaseMerged
	}
	if err := s.markBase(ctx, b.id, state); err != nil || !merged {
		return merged, err
	}
	return true, s.mergeUncovered(ctx, host, b.capture.Domain)
}

// mergeUncovered merges back the overlays of labs torn down earlier while
// a later capture of the same production VM sat on top of theirs: each
// merge above uncovers the next one down. (CommitBack acts only on the
// overlay that is production's active layer right over its base.)
func (s *Service) mergeUncovered(ctx context.Context, host Host, domain string) error {
	for {
		waiting, err := s.unmergedBases(ctx, host.Name(), domain)
		if err != nil {
			return err
		}
		merged := false
		for _, b := range waiting {
			ok, err := host.CommitBack(ctx, b.capture)
			if err != nil {
				return err
			}
			if ok {
				if err := s.markBase(ctx, b.id, BaseMerged); err != nil {
					return err
				}
				merged = true
				break
			}
		}
		if !merged {
			return nil
		}
	}
}
