// Package tig stands in for nerdctl's test-only module, which the module proxy does not serve.
// nerdctl's binary links pkg/testutil through cmd/nerdctl/helpers/testing_linux.go, and that
// package names tig.T; these are the only methods it calls on one.
package tig

// T is the part of a test's handle that nerdctl's pkg/testutil uses.
type T interface {
	Log(args ...any)
	FailNow()
}
