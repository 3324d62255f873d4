package api

import (
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shakedown/shakedown/backend/auth"
	"github.com/shakedown/shakedown/backend/ops"
	"github.com/shakedown/shakedown/backend/release"
)

// The OpenAPI document is generated from the route table and the Go types
// the handlers decode and encode, so that it cannot drift from the code.

var enums = map[reflect.Type][]string{
	reflect.TypeOf(release.State("")): statesOf(),
	reflect.TypeOf(release.Type("")):  {"major", "minor", "emergency"},
	reflect.TypeOf(auth.Role("")):     {"tester", "manager", "admin"},
	reflect.TypeOf(ops.Status("")):    {"pending", "running", "success", "failure", "cancelling", "cancelled"},
}

func statesOf() []string {
	out := make([]string, len(release.States))
	for i, s := range release.States {
		out[i] = string(s)
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

type schemaSet struct {
	defs map[string]any
}

// ref returns a schema for t, registering named structs under components.
func (s *schemaSet) ref(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var out map[string]any
	switch {
	case t == timeType:
		out = map[string]any{"type": "string", "format": "date-time"}
	case enums[t] != nil:
		out = map[string]any{"type": "string", "enum": enums[t]}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		if _, ok := s.defs[name]; !ok {
			s.defs[name] = nil // reserve against recursion
			s.defs[name] = s.object(t)
		}
		out = map[string]any{"$ref": "#/components/schemas/" + name}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		out = map[string]any{"description": "raw JSON"}
	case t.Kind() == reflect.Slice:
		out = map[string]any{"type": "array", "items": s.ref(t.Elem())}
	case t.Kind() == reflect.Map:
		out = map[string]any{"type": "object", "additionalProperties": true}
	case t.Kind() == reflect.String:
		out = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		out = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		out = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		out = map[string]any{"type": "number"}
	default:
		out = map[string]any{}
	}
	if nullable {
		if _, isRef := out["$ref"]; isRef {
			return map[string]any{"allOf": []any{out}, "nullable": true}
		}
		out["nullable"] = true
	}
	return out
}

func (s *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	s.fields(t, props)
	return map[string]any{"type": "object", "properties": props}
}

func (s *schemaSet) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			s.fields(f.Type, props) // embedded: fields are promoted in JSON
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = s.ref(f.Type)
	}
}

// schemaRenames gives types whose bare name would be vague a clearer one.
var schemaRenames = map[string]string{
	"audit.Entry": "AuditEntry", "audit.Verification": "AuditVerification", "hostinfo.Status": "HostStatus",
	"release.Input": "ReleaseInput", "release.Summary": "ReleaseSummary", "release.Ref": "ReleaseRef",
	"api.Me": "Me", "ops.Operation": "Operation", "lab.Started": "LabStarted", "lab.VM": "LabVM", "lab.Summary": "LabSummary",
	"lab.Base": "LabBase", "labs.Capacity": "HostCapacity", "labs.HostStatus": "LibvirtHost", "labs.HostConfig": "LibvirtHostInput",
	"labs.DomainInfo": "LibvirtDomain", "labs.Meta": "LibvirtDomainMeta", "lab.HostReport": "ReconcileHostReport",
	"lab.Status": "LabStatus", "lab.Filter": "LabFilter",
}

func schemaName(t reflect.Type) string {
	if n, ok := schemaRenames[t.String()]; ok {
		return n
	}
	return t.Name()
}

var (
	docOnce sync.Once
	docJSON []byte
)

func (a *API) openapi(c *call) (any, error) {
	docOnce.Do(func() { docJSON, _ = json.Marshal(a.document()) })
	return json.RawMessage(docJSON), nil
}

// document builds the OpenAPI 3 document from the route table.
func (a *API) document() map[string]any {
	s := &schemaSet{defs: map[string]any{}}
	errRef := s.ref(reflect.TypeOf(ErrorBody{}))
	paths := map[string]map[string]any{}
	for _, rt := range a.routes {
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
		var params []any
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.Query {
			sch := map[string]any{"type": p.Type}
			if p.Enum != nil {
				sch["enum"] = p.Enum
			}
			params = append(params, map[string]any{"name": p.Name, "in": "query", "description": p.Doc, "schema": sch})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.RawBody != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				rt.RawBody: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": s.ref(reflect.TypeOf(rt.Body))}}}
		}
		responses := map[string]any{}
		switch {
		case rt.Out == nil:
			responses["204"] = map[string]any{"description": "Done"}
		case rt.Status == 101:
			responses["101"] = map[string]any{"description": "Switching to WebSocket; the server sends JSON event frames {type, id, at, data}"}
		default:
			sch := s.ref(reflect.TypeOf(rt.Out))
			if rt.List {
				sch = map[string]any{"type": "object", "properties": map[string]any{
					"items": map[string]any{"type": "array", "items": sch}, "total": map[string]any{"type": "integer"},
					"limit": map[string]any{"type": "integer"}, "offset": map[string]any{"type": "integer"}}}
			}
			if rt.Path == "/openapi.json" {
				sch = map[string]any{"type": "object"}
			}
			responses[itoa(rt.Status)] = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": sch}}}
		}
		for _, code := range errorCodes(rt) {
			responses[code] = map[string]any{"description": errorDescriptions[code], "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		}
		op["responses"] = responses
		p := Prefix + rt.Path
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Shakedown API", "version": a.Version,
			"description": "ITIL release management: release records, calendar, sign-off, labs and rollouts. Errors are {\"error\": {\"code\", \"message\", \"field\"}}. Browsers use the session cookie plus the X-CSRF-Token header on writes; scripts use a personal API token as a Bearer token."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": s.defs,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "Personal API token (sdk_…)"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
}

var errorDescriptions = map[string]string{
	"400": "Malformed JSON", "401": "Not signed in", "403": "Role lacks the right, or missing CSRF token",
	"404": "Not found", "409": "Conflicts with the current state", "413": "Body too large",
	"422": "Invalid input; error.field names the field", "429": "Too many attempts",
}

func errorCodes(rt route) []string {
	var out []string
	if rt.Body != nil {
		out = append(out, "400", "413", "422")
	}
	if rt.Access != public {
		out = append(out, "401", "403")
	}
	if strings.Contains(rt.Path, "{id}") {
		out = append(out, "404")
	}
	if rt.Method != "GET" && rt.Access != public {
		out = append(out, "409")
	}
	if rt.Path == "/auth/login" {
		out = append(out, "401", "429")
	}
	if len(rt.Query) > 0 {
		out = append(out, "422")
	}
	sort.Strings(out)
	return compact(out)
}

func compact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
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

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
