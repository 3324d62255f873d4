package sshtarget

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors tell their kind by behaviour (NotFound, Unavailable, Invalid,
// Conflict), as the libvirt driver's do, so that backend/apperr maps them
// to HTTP statuses without this package importing it.

// ErrClosed is returned by a Conn that its owner closed.
var ErrClosed = errors.New("the SSH connection is closed")

// ConfigError is a target configuration that cannot work (no address, an
// unreadable key, a malformed host key pin); nothing was dialled.
type ConfigError struct {
	Field   string // the Config field at fault
	Message string
}

func (e *ConfigError) Error() string { return e.Message }

// Invalid makes a bad configuration a 422 for API callers.
func (e *ConfigError) Invalid() bool { return true }

// UnreachableError says the target could not be reached or stopped
// answering before the SSH handshake finished: refused, no route, DNS,
// a timeout, or an sshd that closed the connection (overloaded, or not
// sshd at all).
type UnreachableError struct {
	Addr    string
	Timeout time.Duration // set when it did not answer in time
	Err     error
}

func (e *UnreachableError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("The SSH target %s did not answer within %s. Check that the machine is up and that Shakedown may reach it on that port.", e.Addr, e.Timeout.Round(time.Millisecond))
	}
	return fmt.Sprintf("The SSH target %s cannot be reached: %v. Check the address, that sshd runs there and that Shakedown may reach it.", e.Addr, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// Unavailable makes an unreachable target a 503 for API callers.
func (e *UnreachableError) Unavailable() bool { return true }

// LostError says an established connection broke (the network, a reboot,
// keepalives unanswered) while or before a command ran.
type LostError struct {
	Addr string
	Err  error
}

func (e *LostError) Error() string {
	return fmt.Sprintf("The SSH connection to %s was lost: %v. The command may or may not have run to its end; check the machine before retrying.", e.Addr, e.Err)
}
func (e *LostError) Unwrap() error { return e.Err }

// Unavailable makes a lost connection a 503 for API callers.
func (e *LostError) Unavailable() bool { return true }

// HostKeyMismatchError says the target presented another host key than
// the pinned one: the connection was refused before any credential was
// sent.
type HostKeyMismatchError struct {
	Addr    string
	Got     string // fingerprint the target presented, SHA256:…
	GotType string // e.g. ssh-ed25519
	Want    string // fingerprint of the pinned key, SHA256:…
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("The SSH host key of %s does not match the pinned key: the target presented %s (%s), the pin is %s. "+
		"Someone may be intercepting the connection, or the machine was reinstalled: check the key on the machine (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) before pinning the new one.",
		e.Addr, e.Got, e.GotType, e.Want)
}

// Conflict makes a mismatch a 409 for API callers: the pin is well formed
// but the target's state contradicts it.
func (e *HostKeyMismatchError) Conflict() bool { return true }

// AuthError says the target refused the credentials.
type AuthError struct {
	Addr    string
	User    string
	Methods []string // what was offered: publickey, password
	Err     error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("The SSH target %s refused to sign in user %q with %s. Check the user, key or password in the target's settings.",
		e.Addr, e.User, strings.Join(e.Methods, " and "))
}
func (e *AuthError) Unwrap() error { return e.Err }

// Invalid makes refused credentials a 422 for API callers (never a 401 or
// 403, which are about the Shakedown user, not the target's account).
func (e *AuthError) Invalid() bool { return true }

// SudoError says sudo refused to run a command: not installed, no rule
// for the user, a password required or refused.
type SudoError struct {
	Addr   string
	User   string
	Reason string // what sudo said, or what went wrong
}

func (e *SudoError) Error() string {
	return fmt.Sprintf("sudo on %s did not run the command as root for user %q: %s. Check the sudo password in the target's settings and that the user may use sudo there.",
		e.Addr, e.User, e.Reason)
}

// Invalid makes a sudo refusal a 422 for API callers.
func (e *SudoError) Invalid() bool { return true }

// PermissionError says the target's account may not write where it was
// asked to.
type PermissionError struct {
	Addr string
	User string
	Path string
	Err  error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("User %q may not write %s on %s (%v). Use sudo for this target or a path the user owns.", e.User, e.Path, e.Addr, e.Err)
}
func (e *PermissionError) Unwrap() error { return e.Err }

// Invalid makes a refused write a 422 for API callers.
func (e *PermissionError) Invalid() bool { return true }

// FileNotFoundError says a remote file does not exist.
type FileNotFoundError struct{ Addr, Path string }

func (e *FileNotFoundError) Error() string {
	return fmt.Sprintf("There is no file %s on %s.", e.Path, e.Addr)
}

// NotFound makes a missing remote file a 404 for API callers.
func (e *FileNotFoundError) NotFound() bool { return true }

// ExitError is a command that ended with a non-zero status, for callers
// that treat that as a failure (Result.Err).
type ExitError struct {
	Addr   string
	Cmd    string
	Code   int
	Stderr string // its last line, if any
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s on %s exited with status %d", short(e.Cmd), e.Addr, e.Code)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// short cuts a command for messages.
func short(cmd string) string {
	cmd = strings.Join(strings.Fields(cmd), " ")
	if len(cmd) > 80 {
		return cmd[:77] + "..."
	}
	return cmd
}
