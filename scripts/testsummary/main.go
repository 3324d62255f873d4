// Command testsummary reads `go test -json` on stdin, prints the output of
// failing tests and one summary line: "go: N passed, N failed, N skipped".
// It exits 1 when a test or a package failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	var passed, failed, skipped int
	output := map[string]*strings.Builder{}
	var failures []string
	pkgFailed := map[string]bool{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // build errors come as plain text
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if output[key] == nil {
				output[key] = &strings.Builder{}
			}
			output[key].WriteString(e.Output)
		case "pass":
			if e.Test != "" && !strings.Contains(e.Test, "/") {
				passed++
			}
			if e.Test == "" {
				fmt.Printf("ok    %s (%.1fs)\n", e.Package, e.Elapsed)
			}
		case "skip":
			if e.Test != "" && !strings.Contains(e.Test, "/") {
				skipped++
			}
		case "fail":
			if e.Test == "" {
				pkgFailed[e.Package] = true
				fmt.Printf("FAIL  %s (%.1fs)\n", e.Package, e.Elapsed)
			} else if !strings.Contains(e.Test, "/") {
				failed++
				failures = append(failures, key)
			}
		}
	}
	sort.Strings(failures)
	for _, f := range failures {
		fmt.Printf("\n--- FAIL: %s\n%s", f, output[f])
	}
	for pkg := range pkgFailed {
		if out := output[pkg+" "]; out != nil && !hasFailure(failures, pkg) {
			fmt.Printf("\n--- FAIL: package %s\n%s", pkg, out)
		}
	}
	fmt.Printf("go: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(pkgFailed) > 0 {
		os.Exit(1)
	}
}

func hasFailure(failures []string, pkg string) bool {
	for _, f := range failures {
		if strings.HasPrefix(f, pkg+" ") {
			return true
		}
	}
	return false
}
