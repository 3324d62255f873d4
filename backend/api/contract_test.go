package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// openAPI is the served document, read loosely for checking answers.
type openAPI struct {
	Servers    []struct{ URL string }
	Paths      map[string]map[string]map[string]any
	Components struct {
		Schemas   map[string]any
		Responses map[string]any
	}
}

// responseSchema is the JSON schema the document gives route's answer status.
func (d *openAPI) responseSchema(method, path string, status int) (map[string]any, error) {
	op, ok := d.Paths[path][strings.ToLower(method)]
	if !ok {
		return nil, fmt.Errorf("%s %s is not in the document", method, path)
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s: status %d is not documented", method, path, status)
	}
	if ref, ok := resp["$ref"].(string); ok {
		resp = d.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")].(map[string]any)
	}
	content, ok := resp["content"].(map[string]any)["application/json"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s %d: not documented as JSON", method, path, status)
	}
	return content["schema"].(map[string]any), nil
}

// conform lists where v departs from schema: a missing required field, a
// null that is not nullable (an empty list must be []), an undocumented
// field, a value of the wrong type or outside its enum.
func (d *openAPI) conform(at string, v any, schema map[string]any) []string {
	if ref, ok := schema["$ref"].(string); ok {
		return d.conform(at, v, d.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any))
	}
	if v == nil {
		if schema["nullable"] == true {
			return nil
		}
		return []string{at + ": null, but not nullable"}
	}
	var out []string
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			out = append(out, d.conform(at, v, sub.(map[string]any))...)
		}
		return out
	}
	wrong := func(want string) []string { return []string{fmt.Sprintf("%s: %T, want %s", at, v, want)} }
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return wrong("object")
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := obj[r]; !ok {
				out = append(out, at+"."+r+": required, missing")
			}
		}
		for k, val := range obj {
			if p, ok := props[k]; ok {
				out = append(out, d.conform(at+"."+k, val, p.(map[string]any))...)
			} else if extra, ok := schema["additionalProperties"].(map[string]any); ok {
				out = append(out, d.conform(at+"."+k, val, extra)...)
			} else if schema["additionalProperties"] != true {
				out = append(out, at+"."+k+": not in the document")
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return wrong("array")
		}
		for i, e := range arr {
			out = append(out, d.conform(fmt.Sprintf("%s[%d]", at, i), e, schema["items"].(map[string]any))...)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return wrong("string")
		}
		if enum := asStrings(schema["enum"]); enum != nil && !slices.Contains(enum, s) {
			out = append(out, fmt.Sprintf("%s: %q is not one of %v", at, s, enum))
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				out = append(out, fmt.Sprintf("%s: %q is not a date-time", at, s))
			}
		}
	case "integer":
		if n, ok := v.(float64); !ok || n != float64(int64(n)) {
			return wrong("integer")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return wrong("number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return wrong("boolean")
		}
	}
	return out
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		out = append(out, e.(string))
	}
	return out
}

// get fetches path and returns the status and the decoded JSON answer.
func (c *client) get(path string) (int, any) {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.ts.URL+path, nil)
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		c.e.t.Fatalf("GET %s: %v in %.200s", path, err, raw)
	}
	return resp.StatusCode, v
}

// Every answer of the read routes, on the demo data (where many lists are
// full and many are empty), is what the document says: required fields are
// there, empty lists are [] (never null), enums hold their values, and no
// field goes undocumented. Error answers too.
func TestAnswersMatchTheDocument(t *testing.T) {
	e := newEnv(t, true)
	admin := e.login("admin", adminPassword)
	var doc openAPI
	if st := admin.do("GET", "/api/v1/openapi.json", nil, &doc); st != 200 {
		t.Fatalf("openapi.json: %d", st)
	}
	base := doc.Servers[0].URL

	var rels struct{ Items []struct{ ID int64 } }
	admin.do("GET", "/api/v1/releases?limit=200", nil, &rels)
	var cis struct{ Items []struct{ ID int64 } }
	admin.do("GET", "/api/v1/cis", nil, &cis)
	if len(rels.Items) < 10 || len(cis.Items) == 0 {
		t.Fatalf("demo data: %d releases, %d CIs", len(rels.Items), len(cis.Items))
	}
	// A fresh token and an evidence-less release keep some lists empty.
	admin.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "ci"}, nil)
	var empty struct{ ID int64 }
	admin.do("POST", "/api/v1/releases", map[string]any{"name": "Empty", "version": "1", "type": "minor", "environment": "prod",
		"planned_start": "2031-01-01T08:00:00Z", "planned_end": "2031-01-01T10:00:00Z"}, &empty)

	// One CI with a target, tags and secrets (never answered), one without.
	admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/target", cis.Items[0].ID), map[string]any{"address": "10.0.0.1", "user": "deploy",
		"auth_kind": "password", "credential": "pw", "sudo": true, "sudo_password": "pw"}, nil)
	admin.do("PUT", fmt.Sprintf("/api/v1/cis/%d/tags", cis.Items[0].ID), map[string]any{"tags": []string{"web", "eu-1"}}, nil)

	type call struct{ route, path string }
	calls := []call{
		{"/health", ""}, {"/host", ""}, {"/auth/me", ""}, {"/auth/tokens", ""}, {"/users", ""}, {"/users/{id}", "/users/1"},
		{"/releases", "/releases?limit=200"}, {"/cis", ""}, {"/freezes", ""}, {"/audit", "/audit?limit=200"}, {"/audit/verify", ""},
		{"/calendar", "/calendar?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z"},
		{"/operations", ""}, {"/hosts", ""}, {"/labs", ""}, {"/labs/reconcile", ""}, {"/packages", ""},
		{"/approvals/inbox", ""}, {"/approval-policies", ""}, {"/kpis", ""},
		{"/releases/{id}", fmt.Sprintf("/releases/%d", empty.ID)},
		{"/cis/{id}", fmt.Sprintf("/cis/%d", cis.Items[0].ID)},
		{"/cis/{id}/images", fmt.Sprintf("/cis/%d/images", cis.Items[0].ID)},
		{"/cis/{id}/installs", fmt.Sprintf("/cis/%d/installs", cis.Items[0].ID)}, {"/cis/{id}/installs", "/cis/999999/installs"},
		{"/targets", ""}, {"/targets", "/targets?tag=web&kind=ssh,vm,manual"}, {"/targets", "/targets?kind=robot"},
		{"/cis/{id}/target", fmt.Sprintf("/cis/%d/target", cis.Items[0].ID)},
		{"/cis/{id}/target", fmt.Sprintf("/cis/%d/target", cis.Items[len(cis.Items)-1].ID)}, {"/cis/{id}/target", "/cis/999999/target"},
		{"/releases/{id}", "/releases/999999"}, {"/releases", "/releases?limit=0"}, {"/calendar", "/calendar"},
	}
	now := time.Now().UTC()
	calls = append(calls, call{"/calendar", "/calendar?from=" + now.AddDate(0, -3, 0).Format(time.RFC3339) + "&to=" + now.AddDate(0, 3, 0).Format(time.RFC3339)})
	for _, r := range append(rels.Items, struct{ ID int64 }{empty.ID}) {
		for _, sub := range []string{"", "/audit", "/packages", "/signoff", "/notes", "/evidence"} {
			calls = append(calls, call{"/releases/{id}" + sub, fmt.Sprintf("/releases/%d%s", r.ID, sub)})
		}
	}
	var pkgs struct{ Items []struct{ Digest string } }
	admin.do("GET", "/api/v1/packages", nil, &pkgs)
	for _, p := range pkgs.Items {
		calls = append(calls, call{"/packages/{digest}", "/packages/" + p.Digest})
	}
	anon := e.anon()
	problems := map[string]bool{}
	statuses := map[int]bool{}
	checked := 0
	for _, c := range calls {
		path := c.path
		if path == "" {
			path = c.route
		}
		st, v := admin.get(base + path)
		if c.route == "/auth/me" {
			_, v2 := anon.get(base + path)
			if e := doc.check("GET", c.route, 401, v2); e != nil {
				problems[e.Error()] = true
			}
		}
		statuses[st] = true
		if err := doc.check("GET", c.route, st, v); err != nil {
			problems[fmt.Sprintf("GET %s: %v", path, err)] = true
		}
		checked++
	}
	if len(problems) > 0 {
		var list []string
		for p := range problems {
			list = append(list, p)
		}
		sort.Strings(list)
		t.Fatalf("%d answers depart from the document:\n%s", len(list), strings.Join(list, "\n"))
	}
	if checked < 80 || !statuses[200] || !statuses[404] || !statuses[422] {
		t.Fatalf("checked %d answers with statuses %v", checked, statuses)
	}
}

func (d *openAPI) check(method, route string, status int, v any) error {
	schema, err := d.responseSchema(method, route, status)
	if err != nil {
		return err
	}
	if problems := d.conform("answer", v, schema); len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return fmt.Errorf("%d: %s", status, strings.Join(problems, "; "))
	}
	return nil
}
