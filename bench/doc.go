// Package bench measures Shoal against baselines in the same run, on the
// same disk, with the same durability: every workload is run once through
// Shoal's embedded API (package node) and once through raw Pebble, and the
// result is the ratio of their throughputs. Absolute figures depend on the
// machine and its disk; the ratio is what a change to Shoal should move.
//
// Every measured write is synced (a real fsync: measurements never use an
// in-memory file system), each side of each workload gets a fresh directory
// that is removed afterwards, and every phase runs for a fixed duration.
// After each Shoal phase the stored data is read back and checked, so a
// fast figure cannot come from lost writes.
//
// Package bench imports only node's exported API and, for the baseline,
// Pebble. Run it with cmd/localbench, or with go test -bench.
package bench
