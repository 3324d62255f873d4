package api

import (
	"context"
	"github.com/shakedown/shakedown/backend/events"
	"net/http"
	"strconv"

	"github.com/shakedown/shakedown/backend/apperr"
	"github.com/shakedown/shakedown/backend/lab"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/release"
	"github.com/shakedown/shakedown/labs"
)

// hostDown is the status of a route that talks to a libvirt host.
var hostDown = []int{http.StatusServiceUnavailable}

func (a *API) labRoutes() []route {
	return []route{
		{Method: "GET", Path: "/hosts", Tag: "labs", Summary: "Libvirt hosts labs are placed on, with connection status and capacity", Access: signedIn, Out: labs.HostStatus{}, List: true, Status: 200, Handle: a.listHosts},
		{Method: "POST", Path: "/hosts", Tag: "labs", Summary: "Register a libvirt host (local, qemu+tcp, qemu+tls or qemu+ssh URI); it is connected to at once", Access: signedIn, Roles: admins, Body: labs.HostConfig{}, Out: labs.HostStatus{}, Status: 201, Errors: hostDown, Handle: a.addHost},
		{Method: "DELETE", Path: "/hosts/{name}", Tag: "labs", Summary: "Unregister a host with no live lab", Access: signedIn, Roles: admins, Status: 204, Handle: a.removeHost},
		{Method: "GET", Path: "/hosts/{name}/domains", Tag: "labs", Summary: "The libvirt VMs on a host (to link a CI to one)", Access: signedIn, Out: labs.DomainInfo{}, List: true, Status: 200, Errors: hostDown, Handle: a.hostDomains},
		{Method: "GET", Path: "/labs", Tag: "labs", Summary: "List labs, newest first", Access: signedIn, Out: lab.Lab{}, List: true, Status: 200, Handle: a.listLabs,
			Query: append([]param{{Name: "release_id", Type: "integer"}, {Name: "status", Type: "string"}, {Name: "live", Type: "boolean", Doc: "only labs that are not torn down"}}, pageArgs...)},
		{Method: "GET", Path: "/labs/reconcile", Tag: "labs", Summary: "What the last reconciliation of the database with the hosts adopted and removed", Access: signedIn, Out: lab.ReconcileReport{}, Status: 200, Handle: a.reconcileReport},
		{Method: "GET", Path: "/labs/{id}", Tag: "labs", Summary: "One lab with its VMs and evidence summary", Access: signedIn, TextID: true, Out: lab.Lab{}, Status: 200, Handle: a.getLab},
		{Method: "GET", Path: "/labs/{id}/vms/{domain}", Tag: "labs", Summary: "One lab VM: whether it runs, its addresses and what its guest agent says (OS, host name, uptime, interfaces); a host or guest that does not answer is reported in error", Access: signedIn, TextID: true, Out: lab.VMDetail{}, Status: 200, Handle: a.labVM},
		{Method: "GET", Path: "/labs/{id}/vms/{domain}/console", Tag: "labs", Summary: "WebSocket to a running lab VM's serial console, through the server: binary frames carry what the guest prints; testers and admins may send text or binary frames that are typed into it, others only read", Access: signedIn, TextID: true,
			Query: []param{{Name: "token", Type: "string", Doc: "API token, for clients that cannot send headers"}}, Out: map[string]any{}, Status: 101, Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}, Handle: a.labConsole},
		{Method: "POST", Path: "/releases/{id}/labs", Tag: "labs", Summary: "Build a lab for a release: capture, clone, isolate, boot, apply the package, run the test period (an operation)", Access: signedIn, Roles: testers, Body: lab.LabInput{}, Out: lab.Started{}, Status: 202, Stages: lab.CreateStage(""), Errors: hostDown, Handle: a.createLab},
		{Method: "POST", Path: "/labs/{id}/test-periods", Tag: "labs", Summary: "Run another test period on a ready lab (an operation)", Access: signedIn, Roles: testers, Body: lab.PeriodInput{}, Out: lab.Started{}, Status: 202, Stages: lab.PeriodStage(""), TextID: true, Errors: hostDown, Handle: a.labPeriod},
		{Method: "POST", Path: "/labs/{id}/teardown", Tag: "labs", Summary: "Tear a lab down: VMs, clones, network; production overlays are merged back (an operation)", Access: signedIn, Roles: testers, Out: lab.Started{}, Status: 202, Stages: lab.TeardownStage(""), TextID: true, Errors: hostDown, Handle: a.teardownLab},
		{Method: "POST", Path: "/cis/{id}/images", Tag: "labs", Summary: "P2V: stream a physical machine's disk image (raw, qcow2 or vmdk; Content-Length required) into a libvirt volume; vmdk and qcow2 are converted to a standalone qcow2", Access: signedIn, Roles: testers, RawBody: "application/octet-stream", Out: lab.Image{}, Status: 201, Errors: []int{http.StatusLengthRequired, http.StatusUnsupportedMediaType, http.StatusServiceUnavailable}, Handle: a.importImage,
			Query: []param{{Name: "host", Type: "string", Doc: "libvirt host to import into (default local)"}, {Name: "origin", Type: "string", Doc: "where the image comes from, e.g. the machine and device"}}},
		{Method: "POST", Path: "/cis/{id}/images/ssh/fingerprint", Tag: "labs", Summary: "Read the SSH host key a machine presents (without signing in), to check it on the machine and pin it in an import; the same networks as an import", Access: signedIn, Roles: testers, Body: lab.SSHHostKeyRequest{}, Out: lab.SSHHostKey{}, Status: 200, Handle: byIDBody("configuration item", a.Labs.SSHHostKey)},
		{Method: "POST", Path: "/cis/{id}/images/ssh", Tag: "labs", Summary: "P2V over SSH: stream a physical machine's disk device with dd into a libvirt volume (an operation); the host key must be pinned (skipping the check: admins only) and the machine in the networks imports may reach", Access: signedIn, Roles: testers, Body: lab.SSHSource{}, Out: ops.Operation{}, Status: 202, Stages: lab.ImportStage(""), Errors: hostDown, Handle: byIDBody("configuration item", a.Labs.ImportCIImageSSH)},
		{Method: "DELETE", Path: "/cis/{id}/images/{image}", Tag: "labs", Summary: "Delete an imported disk image (refused while a live lab is built on it)", Access: signedIn, Roles: testers, Status: 204, Errors: hostDown, Handle: a.deleteImage},
		{Method: "GET", Path: "/cis/{id}/images", Tag: "labs", Summary: "A CI's imported disk images, newest first", Access: signedIn, Out: lab.Image{}, List: true, Status: 200, Handle: a.listImages},
		{Method: "GET", Path: "/releases/{id}/evidence", Tag: "labs", Summary: "Test evidence of a release, newest first", Access: signedIn, Out: release.Evidence{}, List: true, Status: 200, Handle: a.listEvidence,
			Query: append([]param{{Name: "lab_id", Type: "string"}, {Name: "vm", Type: "string", Doc: "one lab VM (its domain name)"}, {Name: "passed", Type: "boolean"}}, pageArgs...)},
	}
}

func (a *API) listHosts(c *call) (any, error) {
	hosts := a.Labs.Hosts().List()
	out := make([]labs.HostStatus, len(hosts))
	for i, h := range hosts {
		ctx, cancel := context.WithTimeout(c.ctx(), 10e9)
		out[i] = h.Status(ctx)
		cancel()
	}
	return List[labs.HostStatus]{Items: out, Total: len(out), Limit: len(out)}, nil
}

func (a *API) addHost(c *call) (any, error) {
	var in labs.HostConfig
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	h, err := a.Labs.Hosts().Add(c.ctx(), c.actor, in)
	if err != nil {
		return nil, err
	}
	return h.Status(c.ctx()), nil
}

func (a *API) removeHost(c *call) (any, error) {
	return nil, a.Labs.Hosts().Remove(c.ctx(), c.actor, c.r.PathValue("name"))
}

func (a *API) hostDomains(c *call) (any, error) {
	h, err := a.Labs.Hosts().Get(c.r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	doms, err := h.Domains(c.ctx())
	return List[labs.DomainInfo]{Items: doms, Total: len(doms), Limit: len(doms)}, err
}

func (a *API) listLabs(c *call) (any, error) {
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	f := lab.Filter{Status: lab.Status(c.r.URL.Query().Get("status")), Limit: limit, Offset: offset}
	switch c.r.URL.Query().Get("live") {
	case "", "false":
	case "true":
		f.Live = true
	default:
		return nil, apperr.Invalid("live", "live must be true or false.")
	}
	if v := c.r.URL.Query().Get("release_id"); v != "" {
		if f.ReleaseID, err = strconv.ParseInt(v, 10, 64); err != nil || f.ReleaseID <= 0 {
			return nil, apperr.Invalid("release_id", "release_id must be a release id.")
		}
	}
	items, total, err := a.Labs.List(c.ctx(), f)
	return List[lab.Lab]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}

func (a *API) reconcileReport(c *call) (any, error) { return a.Labs.Report(), nil }

func (a *API) getLab(c *call) (any, error) { return a.Labs.Get(c.ctx(), c.r.PathValue("id")) }

func (a *API) labVM(c *call) (any, error) {
	return a.Labs.VMDetail(c.ctx(), c.actor, c.r.PathValue("id"), c.r.PathValue("domain"))
}

func (a *API) labConsole(c *call) (any, error) {
	con, err := a.Labs.OpenConsole(c.ctx(), c.r.PathValue("id"), c.r.PathValue("domain"))
	if err != nil {
		return nil, err
	}
	events.ServeConsole(c.w, c.r, con, lab.CanTypeConsole(c.actor))
	return handled, nil
}

func (a *API) createLab(c *call) (any, error) {
	id, in, err := idAndBody[lab.LabInput](c, "release")
	if err != nil {
		return nil, err
	}
	return a.Labs.Create(c.ctx(), c.actor, id, in)
}

func (a *API) labPeriod(c *call) (any, error) {
	var in lab.PeriodInput
	if err := decode(c.r, &in); err != nil {
		return nil, err
	}
	return a.Labs.RunPeriod(c.ctx(), c.actor, c.r.PathValue("id"), in)
}

func (a *API) teardownLab(c *call) (any, error) {
	return a.Labs.Teardown(c.ctx(), c.actor, c.r.PathValue("id"))
}

func (a *API) importImage(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" && ct != "application/octet-stream" {
		return nil, &badRequest{status: 415, msg: "Send the image as the raw request body (Content-Type: application/octet-stream)."}
	}
	if c.r.ContentLength <= 0 {
		return nil, &badRequest{status: 411, msg: "Send a Content-Length: Shakedown must know the image's size before it streams it."}
	}
	origin := c.r.URL.Query().Get("origin")
	if origin == "" {
		origin = "upload by " + c.actor.Username
	}
	if len(origin) > 300 {
		return nil, apperr.Invalid("origin", "origin must be at most 300 characters.")
	}
	return a.Labs.ImportCIImage(c.ctx(), c.actor, id, c.r.URL.Query().Get("host"), c.r.Body, c.r.ContentLength, origin)
}

func (a *API) deleteImage(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	img, err := strconv.ParseInt(c.r.PathValue("image"), 10, 64)
	if err != nil || img <= 0 {
		return nil, apperr.NotFound("disk image", strconv.Quote(c.r.PathValue("image")))
	}
	return nil, a.Labs.DeleteImage(c.ctx(), c.actor, id, img)
}

func (a *API) listImages(c *call) (any, error) {
	id, err := pathID(c, "configuration item")
	if err != nil {
		return nil, err
	}
	if _, err := a.Releases.GetCI(c.ctx(), id); err != nil {
		return nil, err
	}
	imgs, err := a.Labs.Images(c.ctx(), id)
	return List[lab.Image]{Items: imgs, Total: len(imgs), Limit: len(imgs)}, err
}

func (a *API) listEvidence(c *call) (any, error) {
	id, err := pathID(c, "release")
	if err != nil {
		return nil, err
	}
	if _, err := a.Releases.Get(c.ctx(), c.actor, id); err != nil {
		return nil, err
	}
	limit, offset, err := page(c)
	if err != nil {
		return nil, err
	}
	f := release.EvidenceFilter{ReleaseID: id, LabID: c.r.URL.Query().Get("lab_id"), VM: c.r.URL.Query().Get("vm"), Limit: limit, Offset: offset}
	switch c.r.URL.Query().Get("passed") {
	case "":
	case "true":
		t := true
		f.Passed = &t
	case "false":
		f2 := false
		f.Passed = &f2
	default:
		return nil, apperr.Invalid("passed", "passed must be true or false.")
	}
	items, total, err := a.Releases.ListEvidence(c.ctx(), f)
	return List[release.Evidence]{Items: items, Total: total, Limit: limit, Offset: offset}, err
}
