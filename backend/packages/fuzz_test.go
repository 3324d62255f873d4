package packages

import (
	"bytes"
	"testing"
)

// FuzzManifest: any bytes either parse into a manifest that passes its own
// validation, or are refused with a typed error; never a panic.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(goodManifest))
	f.Add([]byte(`{"name":"a","version":"1","install":"i","verify":"v","rollback":"r","files":[{"src":"a","dest":"/a"}]}`))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("health_checks:\n  - name: x\n    interval_seconds: 1e9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if m != nil {
				t.Fatal("a manifest and an error")
			}
			return
		}
		if m.Install == "" || m.Verify == "" || m.Rollback == "" || !nameRE.MatchString(m.Name) {
			t.Fatalf("accepted an invalid manifest: %+v", m)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("a parsed manifest fails validation: %v", err)
		}
	})
}

// FuzzScan: any bytes as a .tar.gz or .zip are refused or give entries that
// are all safe relative paths; never a panic, never past the limits.
func FuzzScan(f *testing.F) {
	f.Add(tarGz(f, goodMembers()...))
	f.Add(zipOf(f, goodMembers()...))
	f.Add(tarGz(f, member{name: "../x", body: "y"}))
	lim := Limits{MaxEntries: 50, MaxUnpacked: 1 << 20, MaxRatio: 100, RatioFloor: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Scan(bytes.NewReader(data), int64(len(data)), lim, true)
		if err != nil {
			return
		}
		var total int64
		for _, e := range c.Entries {
			if checkEntryName(e.Path) != nil {
				t.Fatalf("accepted unsafe entry %q", e.Path)
			}
			total += e.Size
		}
		if total > lim.MaxUnpacked || len(c.Entries) > lim.MaxEntries || c.Manifest == nil {
			t.Fatalf("past the limits: %d bytes, %d entries", total, len(c.Entries))
		}
	})
}
