//go:build tools

// Package vulncheck only pins its tools; see test-network-scripts/vulncheck.sh.
package vulncheck

import (
	_ "golang.org/x/vuln/cmd/govulncheck"
	_ "golang.org/x/vulndb/cmd/indexdb"
)
