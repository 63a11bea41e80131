//go:build pprof

package main

import (
	"log/slog"
	"os"
	"runtime/pprof"
)

// startProfile, in binaries built with -tags pprof (make profile), writes a CPU profile of the
// Web function to the file named by KEFU_CPUPROFILE, from the start until the returned stop
// runs at a graceful shutdown. Release builds never carry it (profile.go).
func startProfile() (stop func()) {
	path := os.Getenv("KEFU_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		slog.Error("cannot profile", "err", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			slog.Error("cannot write the profile", "err", err)
		}
	}
}
