// Package rosetta stands in for github.com/tonistiigi/go-rosetta, which the module proxy does not
// serve: it reports whether a process runs under Apple's Rosetta, and docker's `version` asks it
// only to label its output. Off macOS the answer is always no, which is what this says.
package rosetta

// Enabled reports whether the process runs translated by Rosetta: never, here.
func Enabled() bool { return false }

// Available reports whether Rosetta is installed: never, here.
func Available() bool { return false }

// NativeArch is the machine's own architecture name; docker asks it only when Enabled.
func NativeArch() string { return "" }
