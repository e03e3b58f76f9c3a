//go:build tools

// Package tools pins the Python language host. Its own module
// (sdk/python/cmd/pulumi-language-python/v3) is not served by the module proxy this kit may use, so the host
// comes from the last sdk/v3 release that still carried it as a package (see docs/toolchain.md).
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
