// Package wire defines the messages that Shoal nodes exchange and their
// encoding: CBOR bodies in length-prefixed frames. Frames from a peer are
// untrusted: their size is checked before any decoding, and decoding uses
// strict limits (no duplicate map keys, no indefinite lengths, no tags,
// bounded nesting and sizes), so a peer's bytes give an error, never a
// panic, a hang or unbounded memory.
//
// Package wire imports only crdt of Shoal's packages.
package wire
