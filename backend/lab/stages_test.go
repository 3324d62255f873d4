package lab

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shakedown/shakedown/backend/ops"
)

// stageTypes are the stage types of the lab service's operation kinds.
var stageTypes = map[string]interface {
	EnumValues() []string
	OperationKind() string
}{
	"CreateStage": CreateStage(""), "TeardownStage": TeardownStage(""), "PeriodStage": PeriodStage(""), "ImportStage": ImportStage(""),
}

// Every constant of a stage type is listed by its EnumValues, in the order
// declared, and no stage is made from a string anywhere else: a stage added
// to the code is a stage in the API document.
func TestStageEnumsAreTheDeclaredConstants(t *testing.T) {
	_ = []any{ops.Report[CreateStage], ops.Report[TeardownStage], ops.Report[PeriodStage], ops.Report[ImportStage]} // each is an ops.Stage
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string][]string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				id, ok := n.Type.(*ast.Ident)
				if !ok || stageTypes[id.Name] == nil {
					return true
				}
				for _, v := range n.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: a %s constant is not a string literal", fset.Position(v.Pos()), id.Name)
						continue
					}
					s, _ := strconv.Unquote(lit.Value)
					declared[id.Name] = append(declared[id.Name], s)
				}
				return false
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && stageTypes[id.Name] != nil && len(n.Args) == 1 {
					if lit, ok := n.Args[0].(*ast.BasicLit); !ok || lit.Value != `""` {
						t.Errorf("%s: a %s made from a value: use one of its constants", fset.Position(n.Pos()), id.Name)
					}
				}
			}
			return true
		})
	}
	kinds := map[string]string{}
	for name, typ := range stageTypes {
		if got := typ.EnumValues(); !slices.Equal(got, declared[name]) {
			t.Errorf("%s.EnumValues() = %q, but its constants are %q", name, got, declared[name])
		}
		if prev, dup := kinds[typ.OperationKind()]; dup {
			t.Errorf("%s and %s are both the stages of %s", prev, name, typ.OperationKind())
		}
		kinds[typ.OperationKind()] = name
	}
}
