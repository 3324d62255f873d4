package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/inventory"
)

// maxImportBody bounds an import's body (CSV or JSON): 5,000 rows of a
// few hundred bytes.
const maxImportBody = 8 << 20

// The target inventory is controlled data, like a CI's libvirt link: every
// signed-in user reads it (never a secret), only admins change it.
func (a *API) targetRoutes() []route {
	return []route{
		{Method: "GET", Path: "/targets", Tag: "targets", Summary: "Every CI as a rollout target (vm, ssh or manual) with its tags, by name; secrets are never answered, only whether there is one", Access: signedIn, Out: inventory.Target{}, List: true, Status: 200, Handle: a.listTargets,
			Query: append([]param{
				{Name: "tag", Type: "string", List: true, Doc: "targets carrying every tag given"},
				{Name: "environment", Type: "string"},
				{Name: "kind", Of: inventory.Kind(""), List: true, Doc: "one kind or a comma-separated list"},
				{Name: "q", Type: "string", Doc: "text in the name, address or description"},
			}, pageArgs...)},
		{Method: "POST", Path: "/targets/import", Tag: "targets", Summary: "Import targets from CSV (Content-Type text/csv; header row name,address,port,user,tags,environment,criticality[,password]; tags separated by ;) or the same rows as JSON: missing CIs are created (kind host), every row's target and tags set. Every row is checked first: one bad row answers 422 with every row's errors (error.rows) and writes nothing. dry_run=true checks and answers the plan without writing", Access: signedIn, Roles: admins,
			Body: inventory.ImportRequest{}, RawBody: "text/csv", Out: inventory.ImportResult{}, Status: 200, Handle: a.importTargets,
			Query: []param{{Name: "dry_run", Type: "boolean", Doc: "check the rows and answer what the import would do, writing nothing"}}},
		{Method: "GET", Path: "/cis/{id}/target", Tag: "targets", Summary: "One CI as a rollout target (no secrets: has_credential, auth_kind and the pinned host key's fingerprint)", Access: signedIn, Out: inventory.Target{}, Status: 200, Handle: a.getTarget},
		{Method: "PUT", Path: "/cis/{id}/target", Tag: "targets", Summary: "Set how a CI is reached: address, port, user, auth_kind and credential (write-only; absent: unchanged), sudo and sudo_password (write-only). A new address or port forgets the pinned host key", Access: signedIn, Roles: admins, Body: inventory.TargetInput{}, Out: inventory.Target{}, Status: 200, Handle: byIDBody("configuration item", a.Targets.Put)},
		{Method: "DELETE", Path: "/cis/{id}/target", Tag: "targets", Summary: "Forget how a CI is reached (address, credential, sudo, pinned host key); its tags stay", Access: signedIn, Roles: admins, Status: 204, Handle: a.deleteTarget},
		{Method: "PUT", Path: "/cis/{id}/tags", Tag: "targets", Summary: "Replace a CI's tags (lower-cased; [] removes them all)", Access: signedIn, Roles: admins, Body: inventory.TagsInput{}, Out: inventory.Target{}, Status: 200, Handle: byIDBody("configuration item", a.Targets.PutTags)},
		{Method: "POST", Path: "/cis/{id}/target/host-key/fetch", Tag: "targets", Summary: "Read the SSH host key the target presents now (without signing in), for an admin to check on the machine before trusting it; says whether it is the pinned one", Access: signedIn, Roles: admins, Out: inventory.HostKeyScan{}, Status: 200, Handle: byID("configuration item", a.Targets.ScanHostKey)},
		{Method: "POST", Path: "/cis/{id}/target/host-key/trust", Tag: "targets", Summary: "Pin the host key whose fingerprint the admin was shown; refused (409) if the target now presents another key", Access: signedIn, Roles: admins, Body: inventory.TrustRequest{}, Out: inventory.Target{}, Status: 200, Handle: byIDBody("configuration item", a.Targets.TrustHostKey)},
	}
}

func (a *API) listTargets(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	f := inventory.Filter{Selector: inventory.Selector{Tags: commaList(q.Get("tag")), Environment: q.Get("environment")},
		Q: q.Get("q"), Limit: limit, Offset: offset}
	for _, k := range commaList(q.Get("kind")) {
		f.Kinds = append(f.Kinds, inventory.Kind(k))
	}
	items, total, err := a.Targets.List(c.ctx(), f)
	return List[inventory.Target]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

func commaList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (a *API) importTargets(c *call) (any, error) {
	dry := false
	switch v := c.r.URL.Query().Get("dry_run"); v {
	case "", "false":
	case "true":
		dry = true
	default:
		return nil, apperr.Invalid("dry_run", "dry_run must be true or false.")
	}
	var rows []inventory.ImportRow
	if mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type")); mt == "text/csv" {
		var err error
		rows, err = inventory.ParseCSV(http.MaxBytesReader(nil, c.r.Body, maxImportBody))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("The import is larger than %d MiB.", maxImportBody>>20)}
		}
		if err != nil {
			return nil, err
		}
	} else {
		var in inventory.ImportRequest
		if err := decodeMax(c.r, &in, maxImportBody); err != nil {
			var br *badRequest
			if errors.As(err, &br) && br.status == http.StatusUnsupportedMediaType {
				br.msg = "Send the import as CSV (Content-Type: text/csv) or JSON (Content-Type: application/json)."
			}
			return nil, err
		}
		rows = in.Rows
	}
	return a.Targets.Import(c.ctx(), c.actor, rows, dry)
}

func (a *API) deleteTarget(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	return nil, a.Targets.Delete(c.ctx(), c.actor, id)
}

func (a *API) getTarget(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	return a.Targets.Get(c.ctx(), id)
}
