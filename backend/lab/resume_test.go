package lab_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/labs"
)

// Fast tests of how lab VMs start (resume or boot) on the fake host; the
// real thing is in backend/server's and labs' real-VM tests.

// byStart sorts a lab's VMs by how they started.
func byStart(l lab.Lab) map[lab.VMStart][]lab.VM {
	out := map[lab.VMStart][]lab.VM{}
	for _, vm := range l.VMs {
		out[vm.Start] = append(out[vm.Start], vm)
	}
	return out
}

func TestLabBootsWhereItCannotResumeAndSaysWhy(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env, in *lab.LabInput)
		// want is a phrase of the note of each VM that boots; booted the VMs that boot.
		want   string
		booted []string
	}{
		{"boot fresh chosen", func(e *env, in *lab.LabInput) { in.BootFresh = true },
			"Boot fresh was chosen", []string{"prod-web-1", "prod-web-2"}},
		{"production shut off", func(e *env, in *lab.LabInput) { e.host.SetActive("prod-web-2", false) },
			"shut off", []string{"prod-web-2"}},
		{"host cannot resume", func(e *env, in *lab.LabInput) {
			e.host.NoResume = "resuming from memory needs the host's pool on this server's machine"
		},
			"Resuming from memory needs the host's pool", []string{"prod-web-1", "prod-web-2"}},
		{"restore fails", func(e *env, in *lab.LabInput) { e.host.Fail("Resume", errors.New("qemu: load of migration failed")) },
			"Resuming from production's memory failed (qemu: load of migration failed); it booted from the captured disk instead.", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			in := spec()
			c.setup(e, &in)
			l, op := e.run(in)
			if op.Status != ops.StatusSuccess || l.Status != lab.StatusPassed {
				t.Fatalf("op %s (%s), lab %s (%s)", op.Status, op.Error, l.Status, l.Error)
			}
			got := byStart(l)
			booted := got[lab.StartBoot]
			if c.booted == nil && len(booted) != 1 { // a failed restore: one of the two falls back
				t.Fatalf("booted %v, want one VM that fell back", booted)
			}
			for _, name := range c.booted {
				if !slices.ContainsFunc(booted, func(vm lab.VM) bool { return strings.HasSuffix(vm.Domain, "-"+name) }) {
					t.Fatalf("%s did not boot: %+v", name, l.VMs)
				}
			}
			for _, vm := range booted {
				if !strings.Contains(vm.StartNote, c.want) || e.host.Resumed(vm.Domain) || vm.ClockSkewMS != 0 {
					t.Fatalf("booted VM %s: note %q (want %q), resumed %v, skew %d", vm.Domain, vm.StartNote, c.want, e.host.Resumed(vm.Domain), vm.ClockSkewMS)
				}
			}
			for _, vm := range got[lab.StartResume] {
				if !e.host.Resumed(vm.Domain) || vm.Base.Memory == nil {
					t.Fatalf("resumed VM %s: resumed %v, memory %+v", vm.Domain, e.host.Resumed(vm.Domain), vm.Base.Memory)
				}
			}
			// Memory images only for the clones that took one, and none
			// once the lab is torn down.
			mems := 0
			for _, o := range e.host.Objects(l.ID) {
				if strings.HasSuffix(o, ".mem") {
					mems++
				}
			}
			if want := 2 - len(c.booted); c.booted != nil && mems != want {
				t.Fatalf("%d memory images on the host, want %d: %v", mems, want, e.host.Objects(l.ID))
			}
			st, err := e.labs.Teardown(context.Background(), tess, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, op := e.wait(st); op.Status != ops.StatusSuccess {
				t.Fatalf("teardown %s %s", op.Status, op.Error)
			}
			if left := e.host.Objects(l.ID); len(left) != 0 {
				t.Fatalf("left after teardown: %v", left)
			}
		})
	}
}

// The capacity check counts the memory images of the clones that will
// resume, and says that booting fresh needs none.
func TestCapacityCountsMemoryImages(t *testing.T) {
	e := newEnv(t)
	// Room for two clones (256 MiB each) but not for their two 256 MiB images.
	e.host.DiskFree = 600 << 20
	_, err := e.labs.Create(context.Background(), tess, e.release, spec())
	var ce *labs.CapacityError
	if !errors.As(err, &ce) || apperr.KindOf(err) != apperr.KindConflict || ce.Resource != "disk" ||
		!strings.Contains(err.Error(), "2 memory image(s)") || !strings.Contains(err.Error(), "boot fresh") {
		t.Fatalf("err = %v", err)
	}
	in := spec()
	in.BootFresh = true
	l, op := e.run(in)
	if op.Status != ops.StatusSuccess || len(byStart(l)[lab.StartBoot]) != 2 {
		t.Fatalf("boot fresh: op %s (%s), VMs %+v", op.Status, op.Error, l.VMs)
	}
}

// A capture libvirt finished after the server died (so no base row records
// it) leaves production writing to an overlay: reconciliation finds it on
// the host and merges it back.
func TestReconcileMergesACaptureTheDatabaseNeverRecorded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := spec()
	in.TestPeriod = nil
	l, op := e.run(in)
	if op.Status != ops.StatusSuccess {
		t.Fatalf("op %s %s", op.Status, op.Error)
	}
	st, err := e.labs.Teardown(ctx, tess, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.wait(st)
	// The lab's capture, as libvirt would finish it after a kill -9.
	if _, err := e.host.Capture(ctx, []labs.CaptureRequest{{Domain: "prod-web-1", Memory: "sd-lab-" + l.ID + "-prod-web-1.mem"}}, l.ID); err != nil {
		t.Fatal(err)
	}
	if e.host.Overlay("prod-web-1") == "" {
		t.Fatal("the capture made no overlay")
	}
	rep := e.labs.Reconcile(ctx)
	if o := e.host.Overlay("prod-web-1"); o != "" {
		t.Fatalf("production still writes to %s after reconciliation: %+v", o, rep)
	}
	if left := e.host.Objects(l.ID); len(left) != 0 {
		t.Fatalf("left: %v", left)
	}
	if got := fmt.Sprint(rep.Hosts); !strings.Contains(got, "prod-web-1.sd-"+l.ID+".qcow2 of prod-web-1 (merged back)") {
		t.Fatalf("report: %s", got)
	}
}
