// Package storage keeps Shoal's CRDT rows, dot index and metadata in Pebble.
//
// It owns the on-disk layout (see keys.go) and the three invariants that
// catch-up depends on:
//
//  1. A row, its dot index entries, the version vector parts it changes and
//     the own dot counter are written in one Pebble batch synced once, so a
//     crash leaves all or none of them.
//  2. For every row, each origin's latest dot in the row's context has
//     exactly one index entry (i/<origin><counter> -> the row's key), and a
//     row's superseded entries are deleted in the batch that adds the new
//     ones.
//  3. The version vector claims only dots whose effect is stored: the latest
//     dots of every applied delta, the own dots minted, and vectors joined
//     explicitly (catch-up DONE).
//
// Writes go through a Commit, built and applied by one goroutine at a time
// (the node's writer), which groups the mutations of many callers into one
// batch (group commit). Reads are safe for concurrent use with each other
// and with that writer. Missing streams, from one Pebble snapshot, every row
// a peer's version vector does not cover, and the vector of that snapshot.
//
// Of Shoal's packages, storage imports only crdt; besides the standard
// library it imports only Pebble. It starts no goroutines.
package storage
