package desktop

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrAlreadyRunning says another desktop app uses the same data directory;
// it was asked to bring its window forward.
var ErrAlreadyRunning = errors.New("Shakedown is already running with this data directory: its window was brought forward")

// Instance is the single-instance lock of a data directory: a Unix socket
// that later starts connect to, to ask this one to show its window. (Wails'
// own lock needs a D-Bus session, which a desktop without one lacks.)
type Instance struct {
	ln     net.Listener
	mu     sync.Mutex
	onShow func()
}

func socketPath(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, fmt.Sprintf("shakedown-desktop-%d-%s.sock", os.Getuid(), hex.EncodeToString(sum[:6])))
}

// AcquireInstance takes the lock for dataDir, or returns ErrAlreadyRunning
// after asking the running instance to show its window.
func AcquireInstance(dataDir string) (*Instance, error) {
	path := socketPath(dataDir)
	for attempt := 0; attempt < 2; attempt++ {
		ln, err := net.Listen("unix", path)
		if err == nil {
			in := &Instance{ln: ln}
			go in.serve()
			return in, nil
		}
		conn, derr := net.DialTimeout("unix", path, time.Second)
		if derr == nil {
			fmt.Fprintln(conn, "show")
			conn.Close()
			return nil, ErrAlreadyRunning
		}
		// A socket left by a crash: nobody answers, take it over.
		os.Remove(path)
	}
	return nil, fmt.Errorf("cannot take the single-instance lock %s", path)
}

// OnShow sets what a later start's request does (bring the window forward).
func (in *Instance) OnShow(fn func()) {
	in.mu.Lock()
	in.onShow = fn
	in.mu.Unlock()
}

func (in *Instance) serve() {
	for {
		conn, err := in.ln.Accept()
		if err != nil {
			return
		}
		line, _ := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		in.mu.Lock()
		fn := in.onShow
		in.mu.Unlock()
		if line == "show\n" && fn != nil {
			fn()
		}
	}
}

// Release gives the lock up (the socket file goes with it).
func (in *Instance) Release() { in.ln.Close() }
