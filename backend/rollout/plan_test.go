package rollout

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/apperr"
)

func sizes(t *testing.T, js string) []Size {
	t.Helper()
	var out []Size
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return out
}

// Waves follow Ansible's serial: each size in turn, the last repeating, a
// percentage of all targets and at least one.
func TestWavesLikeAnsibleSerial(t *testing.T) {
	for _, tc := range []struct {
		n     int
		sizes string
		want  []int
	}{
		{10, `[1, 5, "20%", "100%"]`, []int{1, 5, 2, 2}},
		{10, `[1, 5, "20%"]`, []int{1, 5, 2, 2}},
		{3, `["10%"]`, []int{1, 1, 1}}, // 10% of 3 rounds down to 0: at least one
		{1000, `[1, 5, "20%", "100%"]`, []int{1, 5, 200, 794}},
		{1000, `[1, 50]`, append([]int{1}, append(slices.Repeat([]int{50}, 19), 49)...)},
		{4, `[10]`, []int{4}},
		{0, `[1]`, nil},
		{7, `[]`, []int{7}},
		{5, `["100%"]`, []int{5}},
	} {
		got := Waves(tc.n, sizes(t, tc.sizes))
		if !slices.Equal(got, tc.want) {
			t.Errorf("Waves(%d, %s) = %v, want %v", tc.n, tc.sizes, got, tc.want)
		}
		sum := 0
		for _, w := range got {
			sum += w
		}
		if sum != tc.n {
			t.Errorf("Waves(%d, %s) covers %d targets", tc.n, tc.sizes, sum)
		}
	}
	if _, err := ParseSize("120%"); err == nil {
		t.Error("120% was accepted")
	}
	if b, _ := json.Marshal([]Size{{N: 1}, {Percent: 20, Pct: true}}); string(b) != `[1,"20%"]` {
		t.Errorf("sizes encode as %s", b)
	}
}

// "exceeded" allows the limit, "reached" stops at it; a percentage is of the
// wave (per wave) or of all targets (total).
func TestFailurePolicy(t *testing.T) {
	p := FailurePolicy{PerWave: Size{N: 1}, Total: Size{Percent: 10, Pct: true}, Trip: Exceeded, OnBreach: Pause}
	if b := p.Check(2, 1, 5, 1, 100); b != nil {
		t.Fatalf("1 failure with a per-wave limit of 1 exceeded-style: %+v", b)
	}
	if b := p.Check(2, 2, 5, 2, 100); b == nil || b.Scope != "wave" || !strings.Contains(b.Message, "2 of 5 targets failed in wave 2") || !strings.Contains(b.Message, "exceeded") {
		t.Fatalf("2 failures: %+v", b)
	}
	if b := p.Check(5, 1, 20, 11, 100); b == nil || b.Scope != "total" || b.Limit != 10 {
		t.Fatalf("11 of 100 with a total of 10%%: %+v", b)
	}
	r := p
	r.Trip = Reached
	if b := r.Check(2, 1, 5, 1, 100); b == nil {
		t.Fatal("1 failure reaches a limit of 1")
	}
	if b := r.Check(2, 0, 5, 0, 100); b != nil {
		t.Fatalf("no failure trips nothing: %+v", b)
	}
	if d := p.Describe(); !strings.Contains(d, "more than 1 targets of a wave") || !strings.Contains(d, "pauses") {
		t.Fatalf("describe: %q", d)
	}
}

func TestPlanValidation(t *testing.T) {
	ok := DefaultPlan()
	if err := ok.Validate(); err != nil {
		t.Fatalf("the default plan: %v", err)
	}
	for field, mutate := range map[string]func(p *Plan){
		"strategy":                 func(p *Plan) { p.Strategy = "yolo" },
		"waves":                    func(p *Plan) { p.Waves = nil },
		"waves[1]":                 func(p *Plan) { p.Waves = []Size{{N: 1}, {N: 0}} },
		"max_parallel":             func(p *Plan) { p.MaxParallel = 0 },
		"gate.http[0].url":         func(p *Plan) { p.Gate.HTTP = []HTTPCheck{{Name: "home", URL: "ftp://x"}} },
		"gate.rounds":              func(p *Plan) { p.Gate.Rounds = 0 },
		"failure_policy.on_breach": func(p *Plan) { p.Policy.OnBreach = "" },
		"wave_deadline_minutes":    func(p *Plan) { p.WaveDeadlineMinutes = 0 },
	} {
		p := DefaultPlan()
		mutate(&p)
		if err := p.Validate(); apperr.FieldOf(err) != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	bb := DefaultPlan()
	bb.Strategy = BigBang
	if err := bb.Validate(); err != nil || bb.Waves != nil || !slices.Equal(bb.WaveSizes(7), []int{7}) {
		t.Fatalf("big bang: %v %v", err, bb.WaveSizes(7))
	}
}
