// Command openapi writes the API's OpenAPI document, generated from the
// route table and the Go types, to docs/openapi.json (or the file named by
// -o). The frontend's client types are generated from that file
// (`npm run api` in frontend/); `make api` does both.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/shakedown/shakedown/backend/api"
)

func main() {
	out := flag.String("o", "docs/openapi.json", "where to write the document")
	flag.Parse()
	doc, err := api.Document()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
