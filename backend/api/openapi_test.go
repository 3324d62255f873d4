package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.json from the route table")

// committed is where the generated document is kept, from this package.
var committed = filepath.Join("..", "..", "docs", "openapi.json")

// The committed document is what the code generates; the frontend's client
// is generated from it, so a stale copy means a stale client.
func TestCommittedDocumentIsCurrent(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, doc) {
		t.Fatalf("docs/openapi.json is stale: run `go run ./scripts/openapi` (or `make api`, which also regenerates the frontend's types) and commit it")
	}
}

type enumA string

func (enumA) EnumValues() []string { return []string{"one", "two"} }

type buildStage string

func (buildStage) EnumValues() []string  { return []string{"fetch", "build", "done"} }
func (buildStage) OperationKind() string { return "thing.build" }

type thing struct {
	ID       int64      `json:"id"`
	Note     string     `json:"note,omitempty"`
	Parent   *thing     `json:"parent"`
	Kind     enumA      `json:"kind"`
	Kinds    []enumA    `json:"kinds"`
	Maybe    *enumA     `json:"maybe"`
	Values   []*float64 `json:"values"`
	Skipped  string     `json:"-"`
	internal int
}

type thingInput struct {
	Name  string  `json:"name"`
	Title *string `json:"title"`
	Kind  *enumA  `json:"kind,omitempty"`
}

func schemas(t *testing.T, routes []route) map[string]map[string]any {
	t.Helper()
	raw, err := documentJSON(routes)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]map[string]any
		Components struct{ Schemas map[string]map[string]any }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc.Components.Schemas["_paths"] = map[string]any{"paths": doc.Paths}
	return doc.Components.Schemas
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSchemasFollowTheGoTypes(t *testing.T) {
	s := schemas(t, []route{
		{Method: "GET", Path: "/things/{id}", Access: signedIn, Out: thing{}, Status: 200},
		{Method: "POST", Path: "/things", Access: signedIn, Body: thingInput{}, Out: thing{}, Status: 202, Stages: buildStage("")},
	})
	th := s["thing"]
	if got := js(th["required"]); got != `["id","kind","kinds","maybe","parent","values"]` {
		t.Errorf("answered type: required = %s (no omitempty is required, pointers too)", got)
	}
	props := th["properties"].(map[string]any)
	if _, ok := props["Skipped"]; ok {
		t.Error(`json:"-" field documented`)
	}
	if got := js(props["parent"]); got != `{"allOf":[{"$ref":"#/components/schemas/thing"}],"nullable":true}` {
		t.Errorf("pointer to a struct: %s", got)
	}
	if got := js(props["kinds"]); got != `{"items":{"$ref":"#/components/schemas/enumA"},"type":"array"}` {
		t.Errorf("slice of an enum: %s", got)
	}
	if got := js(props["values"]); got != `{"items":{"nullable":true,"type":"number"},"type":"array"}` {
		t.Errorf("slice of pointers: %s", got)
	}
	if got := js(s["enumA"]); got != `{"enum":["one","two"],"type":"string"}` {
		t.Errorf("enum: %s", got)
	}
	// A type only read from requests: its pointers are optional.
	if got := js(s["thingInput"]["required"]); got != `["name"]` {
		t.Errorf("request type: required = %s", got)
	}
	// The stages of the operation a route starts, per kind and on the route.
	if got := js(s["buildStage"]); got != `{"enum":["fetch","build","done"],"type":"string"}` {
		t.Errorf("stages: %s", got)
	}
	if got := js(s["OperationStages"]["properties"]); got != `{"thing.build":{"items":{"$ref":"#/components/schemas/buildStage"},"type":"array"}}` {
		t.Errorf("OperationStages: %s", got)
	}
	post := s["_paths"]["paths"].(map[string]map[string]map[string]any)["/things"]["post"]
	if got := js(post["x-operation"]); got != `{"kind":"thing.build","stages":{"$ref":"#/components/schemas/buildStage"}}` {
		t.Errorf("x-operation: %s", got)
	}
	if got := js(post["responses"].(map[string]any)["415"]); got != `{"$ref":"#/components/responses/UnsupportedMediaType"}` {
		t.Errorf("415 of a JSON body: %s", got)
	}
}

// Every route that starts an operation (a 202, but for a cancel) names the
// stages of the kind it starts, so that the document lists every kind's.
func TestOperationRoutesNameTheirStages(t *testing.T) {
	kinds := map[string]bool{}
	for _, rt := range (&API{}).allRoutes() {
		starts := rt.Status == http.StatusAccepted && !strings.HasSuffix(rt.Path, "/cancel")
		if starts != (rt.Stages != nil) {
			t.Errorf("%s %s: status %d, stages %v", rt.Method, rt.Path, rt.Status, rt.Stages)
		}
		if rt.Stages != nil {
			kinds[rt.Stages.OperationKind()] = true
		}
	}
	if got := js(slices.Sorted(maps.Keys(kinds))); got != `["ci.import","lab.create","lab.teardown","lab.test-period"]` {
		t.Errorf("kinds with stages in the document: %s", got)
	}
}

// Two Go types whose schemas would share a name are an error, never merged.
func TestTwoTypesUnderOneSchemaNameFail(t *testing.T) {
	_, err := documentJSON([]route{
		{Method: "GET", Path: "/a", Access: public, Out: Health{}, Status: 200},
		{Method: "GET", Path: "/b", Access: public, Out: Health2{}, Status: 200},
	})
	if err == nil || !strings.Contains(err.Error(), `schema name "Health" stands for two Go types, api.Health and api.Health2`) {
		t.Fatalf("err = %v", err)
	}
}

// Health2 is named Health in the document: a collision with api.Health.
type Health2 struct{}

func init() { schemaRenames["api.Health2"] = "Health" }

// Every status the server answers is documented on the routes that can
// answer it.
func TestStatusesPerRoute(t *testing.T) {
	byPath := map[string]route{}
	for _, rt := range (&API{}).allRoutes() {
		byPath[rt.Method+" "+rt.Path] = rt
	}
	for key, want := range map[string][]int{
		"POST /auth/login":         {400, 401, 403, 413, 415, 422, 429, 500},
		"GET /health":              {500},
		"POST /cis/{id}/images":    {401, 403, 404, 409, 411, 415, 422, 500, 503},
		"POST /releases/{id}/labs": {400, 401, 403, 404, 409, 413, 415, 422, 500, 503},
		"POST /packages":           {401, 403, 404, 409, 413, 422, 500},
		"GET /releases":            {401, 422, 500},
		"DELETE /freezes/{id}":     {401, 403, 404, 409, 500},
	} {
		rt, ok := byPath[key]
		if !ok {
			t.Errorf("no route %s", key)
			continue
		}
		if got := statuses(rt); js(got) != js(want) {
			t.Errorf("%s: statuses %v, want %v", key, got, want)
		}
	}
}
