package api

import (
	"net/netip"
	"testing"
)

// X-Forwarded-For is read from the nearest hop back; the first address that
// is not a trusted proxy is the client, and nothing before it is believed.
func TestForwardedClient(t *testing.T) {
	peer := netip.MustParseAddr("10.0.0.2")
	trusted := []string{"10.0.0.0/24", "fd00::/8"}
	for _, tc := range []struct {
		xff  []string
		want string
	}{
		{nil, "10.0.0.2"},
		{[]string{"198.51.100.7"}, "198.51.100.7"},
		{[]string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{[]string{"6.6.6.6", "198.51.100.7, 10.0.0.9"}, "198.51.100.7"},
		{[]string{"198.51.100.7:5123"}, "198.51.100.7"},
		{[]string{"[2001:db8::1]:443, fd00::3"}, "2001:db8::1"},
		{[]string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{[]string{"6.6.6.6, not-an-address, 10.0.0.9"}, "10.0.0.9"},
		{[]string{"10.0.0.8, 10.0.0.9"}, "10.0.0.8"},
	} {
		if got := forwardedClient(tc.xff, trusted, peer); got != tc.want {
			t.Errorf("X-Forwarded-For %q: %s, want %s", tc.xff, got, tc.want)
		}
	}
}
