//go:build race

package rules

// raceEnabled: under the race detector sync.Pool drops items at random, so regexp's pooled
// machines are allocated again and allocation counts mean nothing.
const raceEnabled = true
