// The k6 the harness builds: stock k6 (the version pinned in ../../go.mod) plus the perfdo output
// extension, assembled as xk6 would, with no tool but `go install`.
package main

import (
	"go.k6.io/k6/v2/cmd"

	_ "perfdo.local/tools/k6/output"
)

func main() {
	cmd.Execute()
}
