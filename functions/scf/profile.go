//go:build !pprof

package main

// startProfile is a no-op in release builds; see profile_pprof.go.
func startProfile() (stop func()) { return func() {} }
