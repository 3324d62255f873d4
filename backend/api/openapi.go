package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
)

// The OpenAPI document is generated from the route table and the Go types
// the handlers decode and encode, so that it cannot drift from the code. It
// is committed as docs/openapi.json (written by `go run ./scripts/openapi`;
// a test fails when the committed copy is stale) and the frontend's client
// types are generated from that file.
//
// How Go types become schemas:
//   - a struct is a named schema under components; its name is the Go type's
//     (schemaRenames gives clearer ones), and two Go types that would share
//     a name are an error, never merged;
//   - a field without omitempty is required; a pointer is nullable. In a type
//     only ever read from requests (never answered), a pointer field is
//     optional as well: absent and null both mean "leave it alone";
//   - a slice is an array, never null (jsonenc.EmptyLists at the encoder);
//   - a type whose values are a closed set implements Enum and becomes a
//     named string enum, wherever it is used; the api package needs no list.

// Enum is implemented (with a value receiver) by a string type whose values
// are a closed set, e.g. release.State. Its values, in order, are the enum.
type Enum interface {
	EnumValues() []string
}

// OwnSchema is a type whose JSON is not its Go shape (it marshals itself):
// it says its own schema.
type OwnSchema interface {
	JSONSchema() map[string]any
}

// OperationStages is the Enum of the stages an operation kind reports in
// ops.Progress.Update, in the order it runs them. A route that starts such an
// operation names it (route.Stages); the document lists, per kind, its stages.
type OperationStages interface {
	Enum
	// OperationKind is the kind of operation (ops.Spec.Kind), e.g. "lab.create".
	OperationKind() string
}

// APIVersion is the version of the contract (info.version of the document).
const APIVersion = "1"

var (
	timeType      = reflect.TypeFor[time.Time]()
	ownSchemaType = reflect.TypeFor[OwnSchema]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	enumType      = reflect.TypeFor[Enum]()
)

// schemaRenames gives types whose bare name would be vague a clearer one.
// labs/ is being split into lab (the service) and labs (the libvirt driver):
// both spellings map to one schema name so that the document stays the same.
var schemaRenames = func() map[string]string {
	m := map[string]string{
		"audit.Entry": "AuditEntry", "audit.Verification": "AuditVerification", "hostinfo.Status": "HostStatus",
		"release.Input": "ReleaseInput", "release.Summary": "ReleaseSummary", "release.Ref": "ReleaseRef",
		"release.State": "ReleaseState", "release.Type": "ReleaseType", "release.Risk": "RiskSummary", "release.Reason": "RiskReason",
		"release.Policy": "ApprovalPolicy", "release.Decision": "SignOffDecision",
		"release.CIInput": "CIInput", "release.ChangeInput": "ChangeInput",
		"auth.Role": "Role", "auth.UserInput": "UserInput",
		"ops.Operation": "Operation", "ops.Status": "OperationStatus",
		"packages.Entry": "PackageEntry", "packages.PackageRef": "PackageIdentity", "packages.File": "PackageFile", "packages.FileList": "PackageFiles", "packages.Diff": "PackageDiff", "packages.FileChange": "PackageFileChange", "packages.FileKind": "PackageFileKind", "packages.FileChangeKind": "PackageFileChangeKind",
		"linediff.Hunk": "DiffHunk", "linediff.Line": "DiffLine", "linediff.Op": "DiffOp", "changes.Changes": "ReleaseChanges", "changes.Base": "ChangeBase", "changes.BaseKind": "ChangeBaseKind", "changes.Testing": "ReleaseTesting", "changes.LabRef": "EvidenceLab", "release.GridRow": "EvidenceGridRow", "release.GridCell": "EvidenceGridCell", "packages.SourceFile": "AssembleFile", "packages.FilePlace": "ManifestFile",
		"inventory.Kind": "TargetKind", "inventory.AuthKind": "TargetAuthKind", "inventory.TagsInput": "TargetTags",
		"inventory.HostKeyScan": "TargetHostKey", "inventory.TrustRequest": "TargetTrustRequest",
		"inventory.ImportRequest": "TargetImport", "inventory.ImportRow": "TargetImportRow", "inventory.ImportResult": "TargetImportResult",
		"inventory.ImportedRow": "TargetImportedRow", "inventory.ImportAction": "TargetImportAction",
		"rollout.Target": "RolloutTarget", "rollout.Kind": "RolloutTargetKind", "rollout.Status": "RolloutStatus",
		"rollout.TargetState": "RolloutTargetState", "rollout.TargetRun": "RolloutTargetRun", "rollout.Plan": "RolloutPlan",
		"rollout.Gate": "RolloutGate", "rollout.Size": "RolloutSize", "rollout.StartInput": "RolloutStart", "rollout.ActionInput": "RolloutAction",
		"rollout.Log": "RolloutLog", "rollout.Install": "TargetInstall", "rollout.InstallState": "TargetInstallState", "rollout.Outcome": "CheckOutcome", "rollout.CheckResult": "RolloutCheckResult",
		"notify.Kind": "NotificationKind", "notify.Payload": "NotificationPayload", "notify.ChatPayload": "ChatPayload", "notify.Format": "WebhookFormat",
		"notify.Security": "SMTPSecurity", "notify.Settings": "NotificationSettings", "notify.SettingsInput": "NotificationSettingsInput",
		"notify.Prefs": "NotificationPrefs", "notify.PrefsView": "NotificationPrefsView", "notify.KindInfo": "NotificationKindInfo",
		"notify.WebhookInput": "WebhookInput", "notify.DeliveryState": "DeliveryState", "notify.Attempt": "DeliveryAttempt",
		"kpi.Report": "KPIReport", "kpi.Figure": "KPIFigure", "kpi.Series": "KPISeries", "kpi.Waiting": "KPIWaiting", "kpi.Trend": "KPITrend",
	}
	for name, schema := range map[string]string{
		"Started": "LabStarted", "VM": "LabVM", "Summary": "LabSummary", "Base": "LabBase", "Status": "LabStatus",
		"Capacity": "HostCapacity", "HostStatus": "LibvirtHost", "HostConfig": "LibvirtHostInput",
		"DomainInfo": "LibvirtDomain", "Meta": "LibvirtDomainMeta", "HostReport": "ReconcileHostReport",
		"Evidence": "LabEvidence", "Image": "DiskImage", "PackageInput": "LabPackageInput", "PackageFile": "LabPackageFile",
		"CheckInput": "LabCheck", "PeriodInput": "PeriodInput", "CreateStage": "LabCreateStage",
		"TeardownStage": "LabTeardownStage", "PeriodStage": "LabPeriodStage", "ImportStage": "ImageImportStage",
		"VMState": "LabVMState", "BaseKind": "LabBaseKind", "BaseState": "LabBaseState",
	} {
		m["labs."+name], m["lab."+name] = schema, schema
	}
	return m
}()

func schemaName(t reflect.Type) string {
	if n, ok := schemaRenames[t.String()]; ok {
		return n
	}
	return t.Name()
}

// schemaSet collects the named schemas of one document.
type schemaSet struct {
	defs     map[string]any
	owner    map[string]reflect.Type // schema name → the one Go type it stands for
	answered map[reflect.Type]bool   // struct types that appear in some answer
	errs     []string
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: map[string]any{}, owner: map[string]reflect.Type{}, answered: map[reflect.Type]bool{}}
}

// named registers t under its schema name (once) and returns a $ref to it.
func (s *schemaSet) named(t reflect.Type, build func() map[string]any) map[string]any {
	name := schemaName(t)
	if name == "" {
		return build() // an anonymous struct: described where it is used
	}
	ref := map[string]any{"$ref": "#/components/schemas/" + name}
	if prev, ok := s.owner[name]; ok {
		if prev != t {
			s.errs = append(s.errs, fmt.Sprintf("schema name %q stands for two Go types, %s and %s: give one a name in schemaRenames", name, prev, t))
		}
		return ref
	}
	s.owner[name] = t
	s.defs[name] = nil // reserved: a recursive type refers back to itself
	s.defs[name] = build()
	return ref
}

// ref returns a schema for t (a $ref for structs and enums).
func (s *schemaSet) ref(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	out := s.plain(t)
	if t == rawType || t.Kind() == reflect.Interface || t.Kind() == reflect.Map {
		nullable = true // nil encodes as null
	}
	if nullable {
		if _, isRef := out["$ref"]; isRef {
			return map[string]any{"allOf": []any{out}, "nullable": true}
		}
		out["nullable"] = true
	}
	return out
}

func (s *schemaSet) plain(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value"}
	case t.Implements(ownSchemaType):
		return s.named(t, func() map[string]any { return reflect.Zero(t).Interface().(OwnSchema).JSONSchema() })
	case t.Implements(enumType) && t.Kind() == reflect.String:
		return s.named(t, func() map[string]any {
			values := reflect.Zero(t).Interface().(Enum).EnumValues()
			return map[string]any{"type": "string", "enum": values}
		})
	case t.Kind() == reflect.Struct:
		return s.named(t, func() map[string]any { return s.object(t) })
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "format": "byte"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return map[string]any{"type": "array", "items": s.ref(t.Elem())}
	case t.Kind() == reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object", "additionalProperties": true}
		}
		return map[string]any{"type": "object", "additionalProperties": s.ref(t.Elem())}
	case t.Kind() == reflect.Interface:
		return map[string]any{"description": "any JSON value"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		out := map[string]any{"type": "integer"}
		if t.Kind() == reflect.Int64 || t.Kind() == reflect.Uint64 {
			out["format"] = "int64"
		}
		return out
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	s.errs = append(s.errs, fmt.Sprintf("type %s has no JSON schema", t))
	return map[string]any{}
}

func (s *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	s.fields(t, props, &required, s.answered[t], false)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}

// fields adds t's JSON fields; promoted from a nil-able embedded pointer,
// none of them is required.
func (s *schemaSet) fields(t reflect.Type, props map[string]any, required *[]string, answered, optional bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Anonymous && name == "" {
			ft, ptr := f.Type, false
			if ft.Kind() == reflect.Pointer {
				ft, ptr = ft.Elem(), true
			}
			if ft.Kind() == reflect.Struct {
				s.fields(ft, props, required, answered, optional || ptr)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		ptr := f.Type.Kind() == reflect.Pointer
		if slices.Contains(strings.Split(opts, ","), "string") {
			props[name] = map[string]any{"type": "string"}
		} else {
			props[name] = s.ref(f.Type)
		}
		if !omit && !optional && (answered || !ptr) {
			*required = append(*required, name)
		}
	}
}

// markAnswered records every struct type reachable from t as part of an answer.
func (s *schemaSet) markAnswered(t reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || s.answered[t] {
		return
	}
	s.answered[t] = true
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() || f.Anonymous {
			s.markAnswered(f.Type)
		}
	}
}

// errorDescriptions says when each error status is answered.
var errorDescriptions = map[int]string{
	400: "The body is not the JSON this route reads (malformed, empty, or more than one value)",
	401: "Not signed in: no session or token, or one that has expired",
	403: "The caller's roles do not allow this, or a browser write lacks its CSRF token",
	404: "What the path (or a referenced id) names does not exist",
	409: "Conflicts with the current state (the message says what to do)",
	411: "The upload has no Content-Length",
	413: "The body is over the size limit",
	415: "The body's Content-Type is not the one this route reads",
	422: "Invalid input; error.field names the field at fault",
	429: "Too many attempts; Retry-After says when to try again",
	500: "Something went wrong on the server (logged); the message is generic",
	503: "A libvirt host (or the package store) cannot be reached right now",
}

// statuses lists the error statuses a route can answer: those that follow
// from how it is served (body, auth, path, query) and those it names.
func statuses(rt route) []int {
	out := []int{500}
	if rt.Body != nil {
		out = append(out, 400, 413, 415, 422)
	}
	if rt.RawBody != "" || len(rt.Query) > 0 {
		out = append(out, 422)
	}
	if rt.Access != public {
		out = append(out, 401)
		if len(rt.Roles) > 0 || unsafe(rt.Method) {
			out = append(out, 403)
		}
		if unsafe(rt.Method) {
			out = append(out, 409)
		}
	}
	if strings.Contains(rt.Path, "{") {
		out = append(out, 404)
	}
	out = append(out, rt.Errors...)
	slices.Sort(out)
	return slices.Compact(out)
}

var pathParamRE = regexp.MustCompile(`\{(\w+)\}`)

// document adds the rule to an operation: an x-roles-by or x-roles-owner
// extension that clients and the role tests read, and a sentence.
func (rr *roleRule) document(op map[string]any) {
	names := func(rs []auth.Role) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = string(r)
		}
		return out
	}
	if rr.ByValue != nil {
		byValue := map[string][]string{}
		var parts []string
		for _, v := range slices.Sorted(maps.Keys(rr.ByValue)) {
			byValue[v] = names(rr.ByValue[v])
			parts = append(parts, v+": "+auth.RoleList(rr.ByValue[v]))
		}
		op["x-roles-by"] = map[string]any{"field": rr.Field, "roles": byValue}
		op["description"] = "The role needed depends on " + rr.Field + " (" + strings.Join(parts, "; ") + ")."
	}
	if rr.Owner != "" {
		op["x-roles-owner"] = map[string]any{"field": rr.Owner, "or": names(rr.OrRoles)}
		op["description"] = "Only whoever the resource's " + rr.Owner + " names, or the " + auth.RoleList(rr.OrRoles) + " role."
	}
}

// buildDocument makes the OpenAPI 3 document of routes. It fails when two Go
// types map to one schema name, or a type has no schema.
func buildDocument(routes []route) (map[string]any, error) {
	s := newSchemaSet()
	for _, rt := range routes {
		if rt.Out != nil {
			s.markAnswered(reflect.TypeOf(rt.Out))
		}
	}
	s.markAnswered(reflect.TypeFor[ErrorBody]())
	errRef := s.ref(reflect.TypeFor[ErrorBody]())
	stages := map[string]any{}
	errResponses := map[string]any{} // one per error status, referred to by the operations
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"operationId": operationID(rt),
		}
		if rt.Access == public {
			op["security"] = []any{}
		}
		if len(rt.Roles) > 0 {
			roles := make([]string, len(rt.Roles))
			for i, r := range rt.Roles {
				roles[i] = string(r)
			}
			op["x-roles"] = roles
			op["description"] = "Needs the " + auth.RoleList(rt.Roles) + " role."
		}
		if rr := rt.RolesBy; rr != nil {
			rr.document(op)
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			typ := "string"
			if (m[1] == "id" && !rt.TextID) || m[1] == "image" {
				typ = "integer"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
		for _, p := range rt.Query {
			params = append(params, p.document(s))
		}
		if params != nil {
			op["parameters"] = params
		}
		// A route may read a JSON body, a raw one, or either (an import as
		// JSON or CSV).
		content := map[string]any{}
		if rt.RawBody != "" {
			raw := map[string]any{"type": "string"}
			if !strings.HasPrefix(rt.RawBody, "text/") {
				raw["format"] = "binary"
			}
			content[rt.RawBody] = map[string]any{"schema": raw}
		}
		if rt.Body != nil {
			content["application/json"] = map[string]any{"schema": s.ref(reflect.TypeOf(rt.Body))}
		}
		if len(content) > 0 {
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		responses := map[string]any{}
		switch {
		case rt.Status == http.StatusSwitchingProtocols:
			desc := "Switching to WebSocket; the server sends JSON event frames {type, id, at, data}"
			if rt.Path != "/events" {
				desc = "Switching to WebSocket (see the summary)"
			}
			responses["101"] = map[string]any{"description": desc}
		case rt.Out == nil:
			responses["204"] = map[string]any{"description": "Done"}
		case rt.Produces != "":
			responses[strconv.Itoa(rt.Status)] = map[string]any{"description": "OK", "content": map[string]any{
				rt.Produces: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		default:
			var sch map[string]any
			switch {
			case rt.Path == "/openapi.json":
				sch = map[string]any{"type": "object", "additionalProperties": true}
			case rt.List:
				sch = s.page(reflect.TypeOf(rt.Out))
			default:
				sch = s.ref(reflect.TypeOf(rt.Out))
			}
			responses[strconv.Itoa(rt.Status)] = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": sch}}}
		}
		if rt.AlsoStatus != 0 {
			responses[strconv.Itoa(rt.AlsoStatus)] = responses[strconv.Itoa(rt.Status)]
		}
		for _, code := range statuses(rt) {
			desc, ok := errorDescriptions[code]
			if !ok {
				return nil, fmt.Errorf("%s %s: status %d has no description", rt.Method, rt.Path, code)
			}
			name := strings.ReplaceAll(http.StatusText(code), " ", "")
			if _, ok := errResponses[name]; !ok {
				resp := map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
				if code == http.StatusTooManyRequests {
					resp["headers"] = map[string]any{"Retry-After": map[string]any{"description": "seconds to wait", "schema": map[string]any{"type": "integer"}}}
				}
				errResponses[name] = resp
			}
			responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/" + name}
		}
		op["responses"] = responses
		if rt.Stages != nil {
			kind := rt.Stages.OperationKind()
			ref := s.ref(reflect.TypeOf(rt.Stages))
			op["x-operation"] = map[string]any{"kind": kind, "stages": ref}
			stages[kind] = map[string]any{"type": "array", "items": ref}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		method := strings.ToLower(rt.Method)
		if _, dup := paths[rt.Path][method]; dup {
			return nil, fmt.Errorf("%s %s is in the route table twice", rt.Method, rt.Path)
		}
		paths[rt.Path][method] = op
	}
	if len(stages) > 0 {
		kinds := make([]string, 0, len(stages))
		for k := range stages {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		s.defs["OperationStages"] = map[string]any{"type": "object", "required": kinds, "properties": stages,
			"description": "Per operation kind, the stages its operation.stage goes through, in order."}
	}
	if len(s.errs) > 0 {
		return nil, fmt.Errorf("the OpenAPI document cannot be made:\n%s", strings.Join(s.errs, "\n"))
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Shakedown API", "version": APIVersion,
			"description": "ITIL release management: release records, calendar, sign-off, labs and rollouts. " +
				"Errors are {\"error\": {\"code\", \"message\", \"field\"}}; lists are never null (an empty list is []). " +
				"Browsers use the session cookie plus the " + CSRFHeader + " header on writes; scripts use a personal API token as a Bearer token. " +
				"Conventions: docs/api.md."},
		"servers": []any{map[string]any{"url": Prefix}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":   s.defs,
			"responses": errResponses,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "Personal API token (sdk_…)"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}, nil
}

// page is the schema of a paginated list of t, named after its items.
func (s *schemaSet) page(t reflect.Type) map[string]any {
	item := s.ref(t)
	name := strings.TrimPrefix(item["$ref"].(string), "#/components/schemas/") + "Page"
	if prev, ok := s.owner[name]; ok && prev != nil {
		s.errs = append(s.errs, fmt.Sprintf("schema name %q is taken by %s and a page of %s", name, prev, t))
	}
	if _, ok := s.defs[name]; !ok {
		s.owner[name] = nil
		s.defs[name] = map[string]any{"type": "object", "required": []string{"items", "limit", "offset", "total"},
			"properties": map[string]any{
				"items": map[string]any{"type": "array", "items": item}, "total": map[string]any{"type": "integer"},
				"limit": map[string]any{"type": "integer"}, "offset": map[string]any{"type": "integer"}}}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// document returns a query parameter's description in the document.
func (p param) document(s *schemaSet) map[string]any {
	var sch map[string]any
	switch {
	case p.Of != nil:
		sch = s.ref(reflect.TypeOf(p.Of))
	default:
		sch = map[string]any{"type": p.Type}
		if p.Enum != nil {
			sch["enum"] = p.Enum
		}
	}
	out := map[string]any{"name": p.Name, "in": "query"}
	if p.Doc != "" {
		out["description"] = p.Doc
	}
	if p.Required {
		out["required"] = true
	}
	if p.List {
		sch = map[string]any{"type": "array", "items": sch}
		out["style"], out["explode"] = "form", false
	}
	out["schema"] = sch
	return out
}

// Document is the OpenAPI document of the API as indented JSON, exactly as
// committed in docs/openapi.json and served at /api/v1/openapi.json.
func Document() ([]byte, error) { return documentJSON((&API{}).allRoutes()) }

func documentJSON(routes []route) ([]byte, error) {
	doc, err := buildDocument(routes)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var (
	docOnce sync.Once
	docJSON []byte
	docErr  error
)

// openapi serves the document byte for byte as committed.
func (a *API) openapi(c *call) (any, error) {
	docOnce.Do(func() { docJSON, docErr = documentJSON(a.routes) })
	if docErr != nil {
		return nil, docErr
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.Header().Set("Cache-Control", "no-cache")
	_, _ = c.w.Write(docJSON)
	return handled, nil
}

func operationID(rt route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, seg := range strings.Split(strings.Trim(rt.Path, "/"), "/") {
		seg = strings.NewReplacer("{", "", "}", "", ".", "_", "-", "_").Replace(seg)
		if seg != "" {
			parts = append(parts, strings.ToUpper(seg[:1])+seg[1:])
		}
	}
	return strings.Join(parts, "")
}
