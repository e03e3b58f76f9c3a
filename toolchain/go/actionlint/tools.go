//go:build tools

// Package tools pins actionlint, the workflow linter `make lint` runs (toolchain/lint.sh), so that `go build` can
// make it from the module proxy alone. Its version is ACTIONLINT_VERSION in toolchain/versions.env.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
