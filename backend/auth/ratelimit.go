package auth

import (
	"net/netip"
	"sync"
	"time"
)

// throttle slows password guessing down without giving anyone a way to lock
// a real user out.
//
//   - Failures are counted per username and client address. The first
//     FreeFailures cost nothing; from then on each failure makes that pair
//     wait before its next attempt, the wait doubling from BaseDelay up to
//     MaxDelay. The wait holds for a correct password too (else it would
//     tell a guesser when they are right), but only at that address: the
//     user signs in from anywhere else as usual.
//   - Failures are also counted per address, in fixed windows, against a high
//     cap (AddrMax per AddrWindow) that a spray over many usernames reaches
//     and a few typos behind a shared NAT do not.
//
// An IPv6 address counts by its /64, which one host usually owns whole. A
// pair is forgotten Forget after its last failure, and both maps are swept
// when they pass MaxKeys.
type throttle struct {
	cfg throttleConfig

	mu    sync.Mutex
	pairs map[string]*pairState
	addrs map[string]*addrState

	// audit budget for failure entries: a token bucket (see auditFailure).
	budget     float64
	budgetAt   time.Time
	suppressed int
}

type throttleConfig struct {
	FreeFailures        int
	BaseDelay, MaxDelay time.Duration
	Forget              time.Duration
	AddrMax             int
	AddrWindow          time.Duration
	MaxKeys             int
	// AuditBurst failure entries may be written at once, then AuditPerSecond.
	AuditBurst     float64
	AuditPerSecond float64
}

var defaultThrottle = throttleConfig{
	FreeFailures: 5, BaseDelay: 2 * time.Second, MaxDelay: 15 * time.Minute, Forget: 24 * time.Hour,
	AddrMax: 100, AddrWindow: 10 * time.Minute, MaxKeys: 100_000,
	AuditBurst: 60, AuditPerSecond: 1,
}

type pairState struct {
	failures int
	last     time.Time
	until    time.Time // no attempt before
}

type addrState struct {
	count int
	start time.Time // of the window
}

func newThrottle(cfg throttleConfig) *throttle {
	return &throttle{cfg: cfg, pairs: map[string]*pairState{}, addrs: map[string]*addrState{}, budget: cfg.AuditBurst}
}

// addrKey is the unit an address is counted by: itself, or its /64 for IPv6.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func pairKey(username, addr string) string { return username + "\x00" + addrKey(addr) }

// attempt is an admitted attempt, counted as a failure until succeed.
type attempt struct {
	failures int           // of the pair in a row, this one included
	delay    time.Duration // the wait this one imposes if it fails
}

// begin admits an attempt of username from addr, or returns how long it
// must wait instead. An admitted attempt counts as a failure at once (and
// succeed takes it back), so that attempts sent together cannot all slip in
// before the first of them fails.
func (t *throttle) begin(username, addr string, now time.Time) (attempt, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pk, ak := pairKey(username, addr), addrKey(addr)
	p, a := t.pair(pk, now), t.addr(ak, now)
	var wait time.Duration
	if p != nil && p.until.After(now) {
		wait = p.until.Sub(now)
	}
	if a != nil && a.count >= t.cfg.AddrMax {
		wait = max(wait, a.start.Add(t.cfg.AddrWindow).Sub(now))
	}
	if wait > 0 {
		return attempt{}, wait
	}
	if p == nil {
		p = &pairState{}
		t.pairs[pk] = p
	}
	p.failures++
	p.last = now
	at := attempt{failures: p.failures}
	if n := p.failures - t.cfg.FreeFailures; n >= 0 {
		at.delay = t.cfg.MaxDelay
		if n < 30 {
			at.delay = min(t.cfg.BaseDelay<<n, t.cfg.MaxDelay)
		}
		p.until = now.Add(at.delay)
	}
	if a == nil {
		a = &addrState{start: now}
		t.addrs[ak] = a
	}
	a.count++
	if len(t.pairs) > t.cfg.MaxKeys || len(t.addrs) > t.cfg.MaxKeys {
		t.sweep(now)
	}
	return at, 0
}

// succeed takes back an admitted attempt that turned out right: the pair's
// failures are forgotten and the address's count loses that one.
func (t *throttle) succeed(username, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pairs, pairKey(username, addr))
	if a := t.addr(addrKey(addr), now); a != nil && a.count > 0 {
		a.count--
	}
}

// pair returns the live state of a pair, dropping a stale one.
func (t *throttle) pair(key string, now time.Time) *pairState {
	p := t.pairs[key]
	if p != nil && now.Sub(p.last) >= t.cfg.Forget && !p.until.After(now) {
		delete(t.pairs, key)
		return nil
	}
	return p
}

// addr returns the address's state in the current window, dropping an old one.
func (t *throttle) addr(key string, now time.Time) *addrState {
	a := t.addrs[key]
	if a != nil && now.Sub(a.start) >= t.cfg.AddrWindow {
		delete(t.addrs, key)
		return nil
	}
	return a
}

// sweep drops stale entries and, if that is not enough, the pairs that
// make nobody wait (an attacker flooding the maps gains nothing from it).
func (t *throttle) sweep(now time.Time) {
	for k := range t.pairs {
		t.pair(k, now)
	}
	for k := range t.addrs {
		t.addr(k, now)
	}
	if len(t.pairs) > t.cfg.MaxKeys {
		for k, p := range t.pairs {
			if !p.until.After(now) {
				delete(t.pairs, k)
			}
		}
	}
	if len(t.addrs) > t.cfg.MaxKeys {
		for k, a := range t.addrs {
			if a.count < t.cfg.AddrMax {
				delete(t.addrs, k)
			}
		}
	}
}

// auditFailure says whether a failure may be written to the audit trail
// now, and how many were left out since the last one written. Failures are
// written up to AuditBurst at once and AuditPerSecond after that, so that a
// flood of failures from many addresses cannot grow the trail without bound.
func (t *throttle) auditFailure(now time.Time) (bool, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.budgetAt.IsZero() {
		t.budget = min(t.cfg.AuditBurst, t.budget+now.Sub(t.budgetAt).Seconds()*t.cfg.AuditPerSecond)
	}
	t.budgetAt = now
	if t.budget < 1 {
		t.suppressed++
		return false, 0
	}
	t.budget--
	n := t.suppressed
	t.suppressed = 0
	return true, n
}
