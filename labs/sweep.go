package labs

import (
	"context"
	"errors"
)

// Sweep removes every domain, network and volume on the host whose name
// match accepts (test objects, leaked debris). It returns how many it
// removed and what failed.
func (h *Host) Sweep(ctx context.Context, match func(name string) bool) (int, error) {
	doms, err := h.Domains(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	count := func(ok bool, err error) {
		if ok {
			n++
		}
		errs = append(errs, err)
	}
	for _, d := range doms {
		if match(d.Name) {
			count(h.RemoveDomain(ctx, d.Name))
		}
	}
	nets, err := h.Networks(ctx)
	errs = append(errs, err)
	for _, name := range nets {
		if match(name) {
			count(h.DeleteNetwork(ctx, name))
		}
	}
	vols, err := h.Volumes(ctx)
	errs = append(errs, err)
	for _, v := range vols {
		if match(v.Name) {
			count(h.DeleteVolume(ctx, v.Name))
		}
	}
	return n, errors.Join(errs...)
}
