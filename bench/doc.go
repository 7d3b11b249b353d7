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
// Replication is measured the same way by RunSync (cmd/syncbench): real
// nodes, each on disk in its own directory, replicating over QUIC with
// mutual TLS on 127.0.0.1, against what changed (bytes) and against a raw
// quic-go stream (throughput), every transferred key read back after.
//
// Package bench uses node's exported API; for the baselines, Pebble and
// quic-go; for the replication runs, sync/identity (a CA and certificates
// per run) and crdt (the encoded size of a row, the yardstick of the byte
// ratios). Run it with cmd/localbench and cmd/syncbench, or with go test
// -bench.
package bench
