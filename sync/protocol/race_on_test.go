//go:build race

package protocol

// The race detector slows the single-goroutine simulation about tenfold
// and finds nothing more in it: under -race the default counts of random
// schedules are cut, and CI runs the full counts without it.
const defaultSchedules, defaultLiarSchedules = 25, 15
