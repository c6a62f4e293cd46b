// Package require stands in for nerdctl's test-only module, which the module proxy does not serve;
// nerdctl's binary never imports it (only its test helpers do).
package require
