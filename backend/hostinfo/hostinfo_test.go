package hostinfo

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shakedown/shakedown/backend/events"
)

func TestSampleReadsThisMachine(t *testing.T) {
	s := NewSampler(t.TempDir(), events.NewBus(), slog.Default())
	st, err := s.Sample(context.Background(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if st.MemTotal == 0 || st.MemAvailable > st.MemTotal || st.DiskTotal == 0 || st.DiskFree > st.DiskTotal || st.CPUCount < 1 {
		t.Fatalf("implausible sample %+v", st)
	}
	if s.Latest().SampledAt.IsZero() {
		t.Fatal("latest not kept")
	}
}
