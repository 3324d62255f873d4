package demo

import (
	"context"
	"fmt"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/labs"
)

// Production is the small demo production estate `make run` creates: three
// running tiny guests, each serving its version over HTTP.
var Production = []labs.GuestVM{
	{Name: "prod-web-1", IP: "10.77.0.11/24", MAC: "52:54:00:5d:00:11", Version: "1.0.0"},
	{Name: "prod-web-2", IP: "10.77.0.12/24", MAC: "52:54:00:5d:00:12", Version: "1.0.0"},
	{Name: "prod-db-1", IP: "10.77.0.13/24", MAC: "52:54:00:5d:00:13", Version: "1.0.0"},
}

// ProductionNetwork is the demo production's own isolated network.
const ProductionNetwork = "sd-prod"

// ProductionStage is a stage of the demo.production operation. No route
// starts it (the server does, at start), so the API document does not list it.
type ProductionStage string

// Stages of demo.production, in order.
const (
	ProductionBoot ProductionStage = "boot"
	ProductionDone ProductionStage = "done"
)

// EnumValues lists the stages in order.
func (ProductionStage) EnumValues() []string {
	return []string{string(ProductionBoot), string(ProductionDone)}
}

// OperationKind is demo.production.
func (ProductionStage) OperationKind() string { return "demo.production" }

// StartProduction makes the demo production VMs on host (if they are
// missing) as an operation, so that the UI shows its progress. prefix
// prefixes their names (tests use "sdtest-" so that sweeps find them).
func StartProduction(opsm *ops.Manager, host *labs.Host, g labs.GuestImage, prefix string) (ops.Operation, error) {
	return opsm.Start(context.Background(), auth.System, ops.Spec{Kind: ProductionStage("").OperationKind(), Entity: "host", EntityID: host.Name(),
		Run: func(ctx context.Context, p *ops.Progress) error {
			ops.Report(p, ProductionBoot, 10, "Starting the demo production VMs prod-web-1, prod-web-2, prod-db-1")
			vms := make([]labs.GuestVM, len(Production))
			for i, vm := range Production {
				vm.Name = prefix + vm.Name
				vms[i] = vm
			}
			created, err := host.EnsureGuests(ctx, g, vms, prefix+ProductionNetwork, labs.RoleProduction)
			if err != nil {
				return err
			}
			ops.Report(p, ProductionDone, 100, fmt.Sprintf("Demo production ready (%d VM(s) created)", len(created)))
			return nil
		}})
}
