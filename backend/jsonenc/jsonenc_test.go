package jsonenc

import (
	"encoding/json"
	"testing"
	"time"
)

type inner struct {
	Tags []string `json:"tags"`
	Skip []string `json:"-"`
}

type outer struct {
	Name    string           `json:"name"`
	Items   []inner          `json:"items"`
	Ptr     *inner           `json:"ptr"`
	NilPtr  *inner           `json:"nil_ptr"`
	Any     any              `json:"any"`
	Map     map[string][]int `json:"map"`
	Raw     json.RawMessage  `json:"raw"`
	Bytes   []byte           `json:"bytes"`
	At      time.Time        `json:"at"`
	Opt     []int            `json:"opt,omitempty"`
	Floats  []*float64       `json:"floats"`
	private []int
}

// Public embeds an exported struct, as release.Release embeds Summary.
type Public struct {
	Tags []string `json:"tags"`
}

type withEmbedded struct {
	Public
	More []int `json:"more"`
}

func encode(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(EmptyLists(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestEmptyLists(t *testing.T) {
	in := outer{Items: []inner{{}, {Tags: []string{"a"}}}, Ptr: &inner{}, Any: []inner{{}}, Map: map[string][]int{"k": nil}}
	got := encode(t, in)
	want := `{"name":"","items":[{"tags":[]},{"tags":["a"]}],"ptr":{"tags":[]},"nil_ptr":null,"any":[{"tags":[]}],"map":{"k":[]},"raw":null,"bytes":null,"at":"0001-01-01T00:00:00Z","floats":[]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// The caller's value is not changed.
	if in.Items[0].Tags != nil || in.Ptr.Tags != nil || in.Map["k"] != nil {
		t.Fatalf("input changed: %+v", in)
	}
	if got := encode(t, withEmbedded{}); got != `{"tags":[],"more":[]}` {
		t.Fatalf("embedded: %s", got)
	}
	if got := encode(t, []string(nil)); got != `[]` {
		t.Fatalf("top-level nil slice: %s", got)
	}
	if got := encode(t, map[string]any{"x": nil, "y": []int(nil)}); got != `{"x":null,"y":[]}` {
		t.Fatalf("map of any: %s", got)
	}
	if got := encode(t, nil); got != `null` {
		t.Fatalf("nil: %s", got)
	}
	// Values with nothing to fill come back as they are.
	type flat struct{ A int }
	if v := (flat{A: 1}); EmptyLists(v) != any(v) {
		t.Fatal("flat value changed")
	}
}

type node struct {
	Children []*node `json:"children"`
}

func TestRecursiveTypes(t *testing.T) {
	if got := encode(t, node{Children: []*node{{}}}); got != `{"children":[{"children":[]}]}` {
		t.Fatalf("recursive: %s", got)
	}
}

func BenchmarkEmptyLists(b *testing.B) {
	items := make([]outer, 50)
	for i := range items {
		items[i].Items = []inner{{Tags: []string{"x"}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(EmptyLists(items))
	}
}

func BenchmarkPlainMarshal(b *testing.B) {
	items := make([]outer, 50)
	for i := range items {
		items[i].Items = []inner{{Tags: []string{"x"}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(items)
	}
}
