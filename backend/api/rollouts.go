package api

import (
	"net/http"
	"strconv"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/rollout"
)

// RolloutList lists rollouts.
type RolloutList struct {
	Items []*rollout.Rollout `json:"items"`
}

// RolloutLogs is a page of a rollout's log.
type RolloutLogs struct {
	Items []rollout.Log `json:"items"`
}

// TargetInstalls is what runs where on one target: what Shakedown's
// rollouts installed on it and rolled back, newest first.
type TargetInstalls struct {
	Items []rollout.Install `json:"items"`
}

// WavePreview is which targets a plan puts in which wave.
type WavePreview struct {
	Waves [][]rollout.Target `json:"waves"`
	// Policy is the plan's failure policy in one sentence.
	Policy string `json:"policy"`
}

func (a *API) rolloutRoutes() []route {
	notFound := []int{http.StatusNotFound}
	return []route{
		{Method: "POST", Path: "/releases/{id}/rollouts", Tag: "rollouts", Summary: "Start a rollout of the release's approved package to its targets (admins; the exact approved digest; one rollout per target)",
			Access: signedIn, Roles: admins, Body: rollout.StartInput{}, Out: rollout.Rollout{}, Status: 201, Errors: notFound, Handle: byIDBody("release", a.Rollouts.Start)},
		{Method: "POST", Path: "/releases/{id}/rollouts/preview", Tag: "rollouts", Summary: "Which targets a plan puts in which wave, and its failure policy in a sentence",
			Access: signedIn, Body: rollout.StartInput{}, Out: WavePreview{}, Status: 200, Errors: notFound, Handle: a.previewRollout},
		{Method: "GET", Path: "/releases/{id}/rollouts", Tag: "rollouts", Summary: "A release's rollouts, newest first", Access: signedIn, Out: RolloutList{}, Status: 200, Handle: a.releaseRollouts},
		{Method: "GET", Path: "/rollouts/{id}", Tag: "rollouts", Summary: "A rollout with its waves and targets", Access: signedIn, TextID: true, Out: rollout.Rollout{}, Status: 200, Errors: notFound,
			Handle: func(c *call) (any, error) { return a.Rollouts.Get(c.ctx(), c.r.PathValue("id")) }},
		{Method: "POST", Path: "/rollouts/{id}/actions", Tag: "rollouts", Summary: "Decide on a rollout: pause, claim, continue, retry, exclude a target, roll back or abort (admins; a paused rollout is decided by whoever claimed it)",
			Access: signedIn, Roles: admins, TextID: true, Body: rollout.ActionInput{}, Out: rollout.Rollout{}, Status: 200, Errors: notFound, Handle: a.rolloutAction},
		{Method: "POST", Path: "/rollouts/{id}/targets/{ci}/step", Tag: "rollouts", Summary: "Mark a manual target's install or rollback done or failed, with a note (the person who did it)",
			Access: signedIn, Roles: testers, TextID: true, Body: rollout.StepInput{}, Out: rollout.Rollout{}, Status: 200, Errors: notFound, Handle: a.markStep},
		{Method: "GET", Path: "/rollouts/{id}/logs", Tag: "rollouts", Summary: "A rollout's log, oldest first, after a line id; of one target with ci_id",
			Access: signedIn, TextID: true, Query: []param{{Name: "ci_id", Type: "integer"}, {Name: "after", Type: "integer"}, {Name: "limit", Type: "integer"}},
			Out: RolloutLogs{}, Status: 200, Errors: notFound, Handle: a.rolloutLogs},
		{Method: "GET", Path: "/cis/{id}/installs", Tag: "rollouts", Summary: "What runs where: the packages rollouts installed on this target and rolled back, newest first",
			Access: signedIn, Query: []param{{Name: "limit", Type: "integer", Doc: "at most this many lines (default 100, at most 1000)"}}, Out: TargetInstalls{}, Status: 200, Errors: notFound, Handle: a.ciInstalls},
	}
}

func (a *API) releaseRollouts(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	if _, err := a.Releases.Get(c.ctx(), c.actor, id); err != nil {
		return nil, err
	}
	items, err := a.Rollouts.List(c.ctx(), id)
	return RolloutList{Items: items}, err
}

func (a *API) previewRollout(c *call) (any, error) {
	id, in, err := idAndBody[rollout.StartInput](c, "release")
	if err != nil {
		return nil, err
	}
	waves, err := a.Rollouts.Preview(c.ctx(), c.actor, id, in)
	if err != nil {
		return nil, err
	}
	return WavePreview{Waves: waves, Policy: in.Plan.Policy.Describe()}, nil
}

func (a *API) rolloutAction(c *call) (any, error) {
	var in rollout.ActionInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Rollouts.Act(c.ctx(), c.actor, c.r.PathValue("id"), in)
}

func (a *API) markStep(c *call) (any, error) {
	ci, err := strconv.ParseInt(c.r.PathValue("ci"), 10, 64)
	if err != nil || ci <= 0 {
		return nil, apperr.Invalid("ci", "ci is a configuration item's id.")
	}
	var in rollout.StepInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Rollouts.MarkStep(c.ctx(), c.actor, c.r.PathValue("id"), ci, in)
}

func (a *API) rolloutLogs(c *call) (any, error) {
	q := c.r.URL.Query()
	num := func(name string, def int64) (int64, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, apperr.Invalid(name, "%s is a whole number, 0 or more.", name)
		}
		return n, nil
	}
	ci, err := num("ci_id", 0)
	if err != nil {
		return nil, err
	}
	after, err := num("after", 0)
	if err != nil {
		return nil, err
	}
	limit, err := num("limit", 500)
	if err != nil {
		return nil, err
	}
	if _, err := a.Rollouts.Get(c.ctx(), c.r.PathValue("id")); err != nil {
		return nil, err
	}
	items, err := a.Rollouts.Logs(c.ctx(), c.r.PathValue("id"), ci, after, int(min(max(limit, 1), 5000)))
	return RolloutLogs{Items: items}, err
}

func (a *API) ciInstalls(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	limit := int64(100)
	if v := c.r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, apperr.Invalid("limit", "limit is a whole number, 1 or more.")
		}
		limit = min(n, 1000)
	}
	if _, err := a.Releases.GetCI(c.ctx(), id); err != nil {
		return nil, err
	}
	items, err := a.Rollouts.Installs(c.ctx(), id, int(limit))
	return TargetInstalls{Items: items}, err
}
