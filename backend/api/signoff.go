package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/changes"
	"github.com/shakedown/shakedown/backend/kpi"
	"github.com/shakedown/shakedown/backend/packages"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/backend/store"
)

var (
	managers   = []auth.Role{auth.RoleManager}
	reviewers  = []auth.Role{auth.RoleManager, auth.RoleAdmin}
	kpiArgs    = []param{{Name: "from", Type: "string", Doc: "first day, YYYY-MM-DD (default 90 days ago)"}, {Name: "to", Type: "string", Doc: "last day, YYYY-MM-DD (default today)"}, {Name: "environment", Type: "string", Doc: "one environment (default all)"}, {Name: "bucket", Type: "string", Enum: []string{"day", "week", "month"}}}
	policyArgs = []param{{Name: "environment", Type: "string"}, {Name: "type", Of: release.Type("")}}
)

// AttachRequest attaches a stored package to a release.
type AttachRequest struct {
	Digest string `json:"digest"`
}

// EvidenceList is the answer to attaching a test run.
type EvidenceList struct {
	Items []release.Evidence `json:"items"`
}

// AttachedList lists the packages a release has had.
type AttachedList struct {
	Items []release.AttachedPackage `json:"items"`
}

// PolicyList lists the approval policies.
type PolicyList struct {
	Items []release.Policy `json:"items"`
}

// DutyPolicyList lists the separation-of-duties rules per environment.
type DutyPolicyList struct {
	Items []release.DutyPolicy `json:"items"`
}

func (a *API) signOffRoutes() []route {
	return []route{
		{Method: "POST", Path: "/packages", Tag: "packages", Summary: "Upload a release package (.tar.gz or .zip with a shakedown.yaml/.json manifest) as the raw body; stored by sha256 digest, idempotent; with release_id also attached to that release", Access: signedIn, Roles: testers, RawBody: "application/octet-stream", Out: packages.Package{}, Status: 201, AlsoStatus: 200, Errors: []int{http.StatusNotFound, http.StatusRequestEntityTooLarge}, Handle: a.uploadPackage,
			Query: []param{{Name: "filename", Type: "string"}, {Name: "release_id", Type: "integer", Doc: "attach the package to this release"}}},
		{Method: "POST", Path: "/packages/assemble", Tag: "packages", Summary: "Build a package from a manifest and files (a deterministic .tar.gz: the same input gives the same digest)", Access: signedIn, Roles: testers, Body: packages.AssembleInput{}, Out: packages.Package{}, Status: 201, AlsoStatus: 200, Errors: []int{http.StatusNotFound}, Handle: a.assemblePackage},
		{Method: "GET", Path: "/packages", Tag: "packages", Summary: "Stored packages, newest first (entries omitted)", Access: signedIn, Out: packages.Package{}, List: true, Status: 200, Handle: a.listPackages,
			Query: append([]param{{Name: "q", Type: "string", Doc: "name or digest prefix"}}, pageArgs...)},
		{Method: "GET", Path: "/packages/{digest}", Tag: "packages", Summary: "One package with its manifest and entries", Access: signedIn, Out: packages.Package{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, Handle: a.getPackage},
		{Method: "GET", Path: "/packages/{digest}/download", Tag: "packages", Summary: "The package archive, its digest checked on the way out (503 when the stored bytes no longer match it)", Access: signedIn, Out: map[string]any{}, Produces: "application/octet-stream", Status: 200, Errors: []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable}, Handle: a.downloadPackage},
		{Method: "GET", Path: "/packages/{digest}/files", Tag: "packages", Summary: "A package's files: text inline (up to 64 KiB each), binaries and longer files as size and sha256, with what the manifest does with each", Access: signedIn, Out: packages.FileList{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable}, Handle: a.packageFiles},
		{Method: "GET", Path: "/packages/{digest}/diff", Tag: "packages", Summary: "What changed from a base package to this one: files added, removed and changed, with a unified line diff of text files", Access: signedIn, Query: []param{{Name: "base", Type: "string", Required: true, Doc: "the digest of the package to compare with"}}, Out: packages.Diff{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable}, Handle: a.packageDiff},
		{Method: "GET", Path: "/releases/{id}/changes", Tag: "sign-off", Summary: "What the release's package holds and changes: its files, and its diff against the release's previous package and against the packages running on its targets now", Access: signedIn, Out: changes.Changes{}, Status: 200, Errors: []int{http.StatusNotFound}, Handle: byID("release", a.changes().Of)},
		{Method: "GET", Path: "/releases/{id}/evidence/grid", Tag: "sign-off", Summary: "The release's evidence per package (the current one first) as checks × VMs with rounds folded, its testing summary and the labs it came from", Access: signedIn, Out: changes.Testing{}, Status: 200, Errors: []int{http.StatusNotFound}, Handle: byID("release", a.changes().Testing)},
		{Method: "PUT", Path: "/releases/{id}/package", Tag: "packages", Summary: "Make a stored package the release's package (voids an approval for another digest)", Access: signedIn, Roles: testers, Body: AttachRequest{}, Out: release.Release{}, Status: 200, Handle: a.attachPackage},
		{Method: "GET", Path: "/releases/{id}/packages", Tag: "packages", Summary: "The packages a release has had, newest (current) first", Access: signedIn, Out: AttachedList{}, Status: 200, Handle: a.releasePackages},
		{Method: "POST", Path: "/releases/{id}/evidence", Tag: "sign-off", Summary: "Attach a test run done outside a lab (one evidence record per check)", Access: signedIn, Roles: testers, Body: release.EvidenceInput{}, Out: EvidenceList{}, Status: 201, Handle: a.addEvidence},
		{Method: "GET", Path: "/releases/{id}/signoff", Tag: "sign-off", Summary: "Approval status: policy, digest and evidence bound, decisions with void reasons, whether you may decide", Access: signedIn, Out: release.SignOff{}, Status: 200, Handle: byID("release", a.Releases.SignOff)},
		{Method: "POST", Path: "/releases/{id}/approvals", Tag: "sign-off", Summary: "Approve or reject (managers; a rejection needs a reason and returns the release to testing)", Access: signedIn, Roles: managers, Body: release.DecisionInput{}, Out: release.SignOff{}, Status: 200, Handle: byIDBody("release", a.Releases.Decide)},
		{Method: "GET", Path: "/approvals/inbox", Tag: "sign-off", Summary: "Releases awaiting approval, with counts", Access: signedIn, Out: release.Inbox{}, Status: 200, Handle: a.inbox},
		{Method: "GET", Path: "/approval-policies", Tag: "sign-off", Summary: "Approvals required per environment and release type (* is the default)", Access: signedIn, Out: PolicyList{}, Status: 200, Handle: a.listPolicies},
		{Method: "PUT", Path: "/approval-policies", Tag: "sign-off", Summary: "Set the approvals required for a release type in an environment", Access: signedIn, Roles: admins, Body: release.Policy{}, Out: release.Policy{}, Status: 200, Handle: a.putPolicy},
		{Method: "DELETE", Path: "/approval-policies", Tag: "sign-off", Summary: "Remove an environment's own policy (the default applies again)", Access: signedIn, Roles: admins, Query: policyArgs, Status: 204, Errors: []int{http.StatusNotFound}, Handle: a.deletePolicy},
		{Method: "GET", Path: "/duty-policies", Tag: "sign-off", Summary: "Separation of duties per environment (* is the default): may a requester approve, may an approver deploy", Access: signedIn, Out: DutyPolicyList{}, Status: 200, Handle: a.listDutyPolicies},
		{Method: "PUT", Path: "/duty-policies", Tag: "sign-off", Summary: "Set an environment's separation-of-duties rules (admins; audited)", Access: signedIn, Roles: admins, Body: release.DutyPolicy{}, Out: release.DutyPolicy{}, Status: 200, Handle: a.putDutyPolicy},
		{Method: "DELETE", Path: "/duty-policies", Tag: "sign-off", Summary: "Remove an environment's own separation-of-duties rules (the default applies again)", Access: signedIn, Roles: admins, Query: []param{{Name: "environment", Type: "string", Required: true}}, Status: 204, Errors: []int{http.StatusNotFound}, Handle: a.deleteDutyPolicy},
		{Method: "GET", Path: "/releases/{id}/notes", Tag: "review", Summary: "Release notes (generated Markdown until edited) with their HTML", Access: signedIn, Out: release.Notes{}, Status: 200, Handle: a.getNotes},
		{Method: "PUT", Path: "/releases/{id}/notes", Tag: "review", Summary: "Edit the release notes before they are published", Access: signedIn, Roles: auth.AllRoles, Body: release.NotesInput{}, Out: release.Notes{}, Status: 200, Handle: byIDBody("release", a.Releases.PutNotes)},
		{Method: "POST", Path: "/releases/{id}/notes/publish", Tag: "review", Summary: "Publish the release notes (they no longer change)", Access: signedIn, Roles: reviewers, Out: release.Notes{}, Status: 200, Handle: byID("release", a.Releases.PublishNotes)},
		{Method: "PUT", Path: "/releases/{id}/review", Tag: "review", Summary: "Post-implementation review of a deployed, failed or rolled-back release (moves it to reviewed)", Access: signedIn, Roles: reviewers, Body: release.ReviewInput{}, Out: release.Release{}, Status: 200, Handle: byIDBody("release", a.Releases.PutReview)},
		{Method: "GET", Path: "/releases/{id}/report", Tag: "review", Summary: "The release report: a printable HTML page", Access: signedIn, Out: map[string]any{}, Produces: "text/html", Status: 200, Handle: a.report},
		{Method: "GET", Path: "/kpis", Tag: "kpis", Summary: "KPIs (DORA four, success, on-time, lab pass rate, approvals waiting) with definitions and trends", Access: signedIn, Query: kpiArgs, Out: kpi.Report{}, Status: 200, Handle: a.kpis},
		{Method: "GET", Path: "/kpis.csv", Tag: "kpis", Summary: "The same KPIs as CSV", Access: signedIn, Query: kpiArgs, Out: map[string]any{}, Produces: "text/csv", Status: 200, Handle: a.kpisCSV},
	}
}

func (a *API) uploadPackage(c *call) (any, error) {
	q := c.r.URL.Query()
	var releaseID int64
	if s := q.Get("release_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, apperr.Invalid("release_id", "release_id must be a release id.")
		}
		// Refuse before streaming gigabytes for a release that cannot take them.
		if err := a.Releases.CheckTestable(c.ctx(), id); err != nil {
			return nil, err
		}
		releaseID = id
	}
	if c.r.ContentLength > a.Packages.MaxBytes {
		return nil, &apperr.TooLargeError{Message: fmt.Sprintf("The package is %d bytes, over the %d-byte limit.", c.r.ContentLength, a.Packages.MaxBytes)}
	}
	p, err := a.Packages.Put(c.ctx(), c.actor, c.r.Body, q.Get("filename"))
	if err != nil {
		return nil, err
	}
	return a.attachAfter(c, p, releaseID)
}

// attachAfter attaches a just-stored package when asked and answers 201
// for new bytes, 200 for bytes stored before.
func (a *API) attachAfter(c *call, p *packages.Package, releaseID int64) (any, error) {
	if releaseID > 0 {
		if _, err := a.Releases.AttachPackage(c.ctx(), c.actor, releaseID, p.Digest); err != nil {
			return nil, err
		}
	}
	status := http.StatusCreated
	if p.Existed {
		status = http.StatusOK
	}
	writeJSON(c.w, status, p)
	return handled, nil
}

func (a *API) assemblePackage(c *call) (any, error) {
	var in packages.AssembleInput
	if err := decodeMax(c.r, &in, packages.MaxAssembleBytes*4/3+1<<20); err != nil {
		return nil, err
	}
	if in.ReleaseID != 0 {
		if err := a.Releases.CheckTestable(c.ctx(), in.ReleaseID); err != nil {
			return nil, err
		}
	}
	p, err := a.Packages.Assemble(c.ctx(), c.actor, in)
	if err != nil {
		return nil, err
	}
	return a.attachAfter(c, p, in.ReleaseID)
}

func (a *API) listPackages(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	items, total, err := a.Packages.List(c.ctx(), packages.Filter{Query: c.r.URL.Query().Get("q"), Limit: limit, Offset: offset})
	return List[packages.Package]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

// changes composes what a release's package changes from the services.
func (a *API) changes() *changes.Service {
	s := &changes.Service{Releases: a.Releases, Packages: a.Packages}
	if a.Rollouts != nil {
		s.Installs = a.Rollouts
	}
	if a.Labs != nil {
		s.Labs = a.Labs
	}
	return s
}

func (a *API) packageFiles(c *call) (any, error) {
	return a.Packages.Files(c.ctx(), c.r.PathValue("digest"))
}

func (a *API) packageDiff(c *call) (any, error) {
	head, err := packages.ParseDigest("digest", c.r.PathValue("digest"))
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query().Get("base")
	if q == "" {
		return nil, apperr.Invalid("base", "Say which package to compare with: base is its digest.")
	}
	base, err := packages.ParseDigest("base", q)
	if err != nil {
		return nil, err
	}
	if _, err := a.Packages.Get(c.ctx(), base); err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return nil, &apperr.NotFoundError{Entity: "package", ID: base, Field: "base"}
		}
		return nil, err
	}
	return a.Packages.Diff(c.ctx(), base, head)
}

func (a *API) getPackage(c *call) (any, error) {
	return a.Packages.Get(c.ctx(), c.r.PathValue("digest"))
}

func (a *API) downloadPackage(c *call) (any, error) {
	f, p, err := a.Packages.Open(c.ctx(), c.r.PathValue("digest"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Named from the manifest and the format the scan checked, never from
	// the uploader's file name.
	name := fmt.Sprintf("%s-%s.%s", strings.ReplaceAll(p.Name, " ", "-"), p.Version, p.Format)
	c.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(name, `"`, "")))
	c.w.Header().Set("Content-Type", "application/octet-stream")
	c.w.Header().Set("ETag", `"`+p.Digest+`"`)
	http.ServeContent(c.w, c.r, "", parseTimeOrZero(p.CreatedAt), f)
	return handled, nil
}

func (a *API) attachPackage(c *call) (any, error) {
	id, in, err := idAndBody[AttachRequest](c, "release")
	if err != nil {
		return nil, err
	}
	d, err := packages.ParseDigest("digest", in.Digest)
	if err != nil {
		return nil, err
	}
	return a.Releases.AttachPackage(c.ctx(), c.actor, id, d)
}

func (a *API) releasePackages(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	items, err := a.Releases.Packages(c.ctx(), id)
	return AttachedList{Items: items}, err
}

func (a *API) addEvidence(c *call) (any, error) {
	id, in, err := idAndBody[release.EvidenceInput](c, "release")
	if err != nil {
		return nil, err
	}
	items, err := a.Releases.AddEvidence(c.ctx(), c.actor, id, in)
	return EvidenceList{Items: items}, err
}

func (a *API) inbox(c *call) (any, error) { return a.Releases.Inbox(c.ctx(), c.actor) }

func (a *API) listDutyPolicies(c *call) (any, error) {
	items, err := a.Releases.ListDutyPolicies(c.ctx())
	return DutyPolicyList{Items: items}, err
}

func (a *API) putDutyPolicy(c *call) (any, error) {
	var in release.DutyPolicy
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Releases.PutDutyPolicy(c.ctx(), c.actor, in)
}

func (a *API) deleteDutyPolicy(c *call) (any, error) {
	return nil, a.Releases.DeleteDutyPolicy(c.ctx(), c.actor, c.r.URL.Query().Get("environment"))
}

func (a *API) listPolicies(c *call) (any, error) {
	items, err := a.Releases.ListPolicies(c.ctx())
	return PolicyList{Items: items}, err
}

func (a *API) putPolicy(c *call) (any, error) {
	var in release.Policy
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Releases.PutPolicy(c.ctx(), c.actor, in)
}

func (a *API) deletePolicy(c *call) (any, error) {
	q := c.r.URL.Query()
	return nil, a.Releases.DeletePolicy(c.ctx(), c.actor, q.Get("environment"), release.Type(q.Get("type")))
}

func (a *API) getNotes(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	return a.Releases.Notes(c.ctx(), id)
}

func (a *API) report(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	page, err := a.Releases.Report(c.ctx(), c.actor, id)
	if err != nil {
		return nil, err
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(page)
	return handled, nil
}

func (a *API) kpiReport(c *call) (*kpi.Report, error) {
	q := c.r.URL.Query()
	now := a.Releases.Now()
	query, err := kpi.ParseQuery(q.Get("from"), q.Get("to"), q.Get("environment"), q.Get("bucket"), now)
	if err != nil {
		return nil, err
	}
	return a.KPIs.Report(c.ctx(), query, now)
}

func (a *API) kpis(c *call) (any, error) { return a.kpiReport(c) }

func (a *API) kpisCSV(c *call) (any, error) {
	rep, err := a.kpiReport(c)
	if err != nil {
		return nil, err
	}
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"shakedown-kpis-%s-%s.csv\"", rep.From, rep.To))
	w := csv.NewWriter(c.w)
	_ = w.WriteAll(rep.CSV())
	return handled, nil
}

func parseTimeOrZero(s string) time.Time {
	t, _ := store.ParseTime(s)
	return t
}
