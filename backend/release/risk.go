package release

import (
	"fmt"
	"sort"
	"strings"
)

// riskInput is everything the risk score depends on.
type riskInput struct {
	Type    Type
	Changes []Change
	CIs     []CI
	// Failures counts, per CI name, the failed or rolled-back releases that
	// touched it in the last year.
	Failures map[string]int
}

var (
	changePoints      = map[string]int{"low": 2, "medium": 6, "high": 12}
	criticalityPoints = map[string]int{"low": 2, "medium": 8, "high": 15, "critical": 25}
)

const (
	maxChangePoints  = 36
	pointsPerFailure = 8
	maxFailurePoints = 24
)

// computeRisk scores a release from 0 to 100 and says why. Levels: below
// 25 low, below 50 medium, else high.
func computeRisk(in riskInput) Risk {
	var reasons []Reason
	add := func(factor string, points int, detail string) {
		if points > 0 {
			reasons = append(reasons, Reason{Factor: factor, Points: points, Detail: detail})
		}
	}

	byRisk := map[string]int{}
	changePts := 0
	for _, c := range in.Changes {
		byRisk[c.Risk]++
		changePts += changePoints[c.Risk]
	}
	if changePts > maxChangePoints {
		changePts = maxChangePoints
	}
	if len(in.Changes) > 0 {
		var parts []string
		for _, r := range []string{"high", "medium", "low"} {
			if byRisk[r] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", byRisk[r], r))
			}
		}
		add("changes", changePts, fmt.Sprintf("%d change%s: %s risk", len(in.Changes), plural(len(in.Changes)), strings.Join(parts, ", ")))
	}

	var top *CI
	for i := range in.CIs {
		if top == nil || criticalityPoints[in.CIs[i].Criticality] > criticalityPoints[top.Criticality] {
			top = &in.CIs[i]
		}
	}
	if top != nil {
		add("criticality", criticalityPoints[top.Criticality], fmt.Sprintf("Touches %s, a %s-criticality configuration item", top.Name, top.Criticality))
	}
	// A CI whose criticality changed says so, whether or not it is the
	// one that scores: a lowered criticality lowers the risk silently otherwise.
	for _, c := range in.CIs {
		if ch := c.CriticalityChange; ch != nil {
			reasons = append(reasons, Reason{Factor: "criticality change", Points: 0,
				Detail: fmt.Sprintf("%s's criticality was changed from %s to %s by %s on %s", c.Name, ch.From, c.Criticality, ch.By, ch.At.Format("2 Jan 2006"))})
		}
	}

	n := len(in.CIs)
	countPts := 0
	switch {
	case n > 10:
		countPts = 15
	case n > 5:
		countPts = 10
	case n > 2:
		countPts = 5
	}
	add("scope", countPts, fmt.Sprintf("Touches %d configuration items", n))

	names := make([]string, 0, len(in.Failures))
	total := 0
	for name, k := range in.Failures {
		if k > 0 {
			names = append(names, name)
			total += k
		}
	}
	sort.Strings(names)
	if total > 0 {
		pts := total * pointsPerFailure
		if pts > maxFailurePoints {
			pts = maxFailurePoints
		}
		var parts []string
		for _, name := range names {
			parts = append(parts, fmt.Sprintf("%s (%d)", name, in.Failures[name]))
		}
		add("history", pts, fmt.Sprintf("%d failed or rolled-back release%s in the last year on %s", total, plural(total), strings.Join(parts, ", ")))
	}

	switch in.Type {
	case TypeEmergency:
		add("type", 10, "Emergency release: less time to build and test")
	case TypeMajor:
		add("type", 5, "Major release")
	}

	score := 0
	for _, r := range reasons {
		score += r.Points
	}
	if score > 100 {
		score = 100
	}
	if reasons == nil {
		reasons = []Reason{}
	}
	return Risk{Score: score, Level: riskLevel(score), Reasons: reasons}
}

func riskLevel(score int) string {
	switch {
	case score >= 50:
		return "high"
	case score >= 25:
		return "medium"
	}
	return "low"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
