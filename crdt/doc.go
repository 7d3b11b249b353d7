// Package crdt owns Shoal's data model: dots, version vectors, the hybrid
// logical clock, and the delta-state CRDT rows that every value is made of.
//
// A key's value is a set of rows (a register key has one row, a counter one
// row per origin, a set one row per member, a map one row per field). Every
// row is a dot store: live entries, each tagged with the dot that created it,
// plus a causal context of the dots the row has seen. Every mutation mints
// exactly one dot for exactly one row and returns a delta, itself a Row;
// joining the delta into the old row gives the new row. Removes mint a dot
// too, so a remove leaves a marker row that catch-up can find.
//
// The package is pure: no I/O, no goroutines, no wall clock and no
// randomness. Time enters as arguments. It imports nothing else of Shoal's.
package crdt
