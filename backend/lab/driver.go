package lab

import (
	"context"
	"io"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/shakedown/shakedown/labs"
)

// Host is what the lab service needs of one libvirt host: the narrow port
// to the driver in labs/. *labs.Host implements it against a real
// libvirtd; labs/fakehost implements it in memory for fast tests.
type Host interface {
	Name() string
	Config() labs.HostConfig
	Status(ctx context.Context) labs.HostStatus
	// Lost reports whether the connection dropped (libvirtd restarted).
	Lost() bool
	Close() error

	Domains(ctx context.Context) ([]labs.DomainInfo, error)
	DomainXML(ctx context.Context, name string) (*libvirtxml.Domain, error)
	Define(ctx context.Context, d *libvirtxml.Domain) error
	Start(ctx context.Context, name string) error
	RemoveDomain(ctx context.Context, name string) (bool, error)
	ConsoleLog(domain string) string

	// Capture freezes production disks (and, where asked, saves running
	// memory) at one moment; CommitBack merges an overlay back.
	Capture(ctx context.Context, reqs []labs.CaptureRequest, captureID string) ([]labs.Capture, error)
	CommitBack(ctx context.Context, c labs.Capture) (bool, error)
	// Captures lists the capture overlays production domains write to now.
	Captures(ctx context.Context) ([]labs.ActiveCapture, error)
	// StaleOverlays lists capture overlays no domain uses.
	StaleOverlays(ctx context.Context) ([]labs.StaleOverlay, error)
	// CanResume says why clones on the host cannot resume from memory ("" if they can).
	CanResume() string
	// SavedDefinition is production's definition saved in a memory image.
	SavedDefinition(ctx context.Context, m labs.MemoryImage) (*libvirtxml.Domain, error)
	// Resume restores a defined clone running from a memory image.
	Resume(ctx context.Context, m labs.MemoryImage, d *libvirtxml.Domain) error
	// SyncClock sets a guest's clock to the host's; it says how far off it was.
	SyncClock(ctx context.Context, domain string) (time.Duration, error)

	CreateIsolatedNetwork(ctx context.Context, name string) (string, error)
	Networks(ctx context.Context) ([]string, error)
	DeleteNetwork(ctx context.Context, name string) (bool, error)

	LinkedClone(ctx context.Context, name, basePath, baseFormat string, capacity uint64) (labs.Volume, error)
	Volumes(ctx context.Context) ([]labs.Volume, error)
	DeleteVolume(ctx context.Context, name string) (bool, error)
	ImportImage(ctx context.Context, name string, r io.Reader, size int64, progress func(done int64)) (labs.Imported, error)

	WaitAgent(ctx context.Context, domain string, timeout time.Duration) error
	Exec(ctx context.Context, domain string, argv []string, stdin []byte) (labs.ExecResult, error)
	WriteFile(ctx context.Context, domain, path string, data []byte) error

	IsActive(ctx context.Context, name string) (bool, error)
	// GuestInfo asks the guest agent for OS, host name, uptime, interfaces.
	GuestInfo(ctx context.Context, domain string) (labs.GuestInfo, error)
	// OpenConsole attaches to the domain's serial console (read and type).
	OpenConsole(ctx context.Context, domain string) (io.ReadWriteCloser, error)
}

// Dialer makes a Host from its configuration (labs.NewHost for real hosts).
type Dialer func(cfg labs.HostConfig) Host

// RealHost dials real libvirt hosts.
func RealHost(cfg labs.HostConfig) Host { return labs.NewHost(cfg) }

var _ Host = (*labs.Host)(nil)
