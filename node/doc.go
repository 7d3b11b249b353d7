// Package node is Shoal's embedded API: open a store in a directory and read
// and write registers, counters, sets and maps, scan keys in order, apply
// batches atomically, and watch committed changes.
//
// A DB owns one writer goroutine. Every write becomes a request to it; the
// writer takes every request that is waiting, applies them to one storage
// commit and syncs it once (group commit), then answers each caller. A write
// returns only after its commit is on disk. Reads go straight to storage and
// run concurrently with the writer.
//
// A DB given Listen or Peers also replicates: each session with a peer runs
// the pure protocol core of sync/protocol over a Transport (QUIC with mutual
// TLS by default), catching the peer up and pushing commits as they sync;
// see docs/ARCHITECTURE.md for the path of a write to every peer's disk.
//
// Package node wires crdt, storage and sync/...; cmd and bench use only its
// exported API.
package node
