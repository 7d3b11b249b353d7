// Package reconcile finds the differences between two sorted sets held by
// two peers, in bytes and rounds that grow with the number of differences
// (times log n), not with the size of the sets: range-based set
// reconciliation (Aljoscha Meyer, "Range-Based Set Reconciliation", 2023;
// the approach of negentropy). Two hubs use it on reconnect to find the
// scopes whose version vectors differ without sending their whole table of
// (scope, hash of its version vector); later the same machinery finds the
// rows to collect. An item is a key and a 32-byte hash of its value;
// "differs" means held by one side only, or by both with different values.
//
// It is a pure protocol core, like sync/protocol: no I/O, no goroutines, no
// clock, no randomness. The caller moves the bytes. The initiator's
// Session.Initiate gives the first message; each side passes what it
// receives to Session.Step and sends what it returns, until a message asks
// nothing more and Step returns none; then Session.Differences is complete
// on both sides. Two equal sets settle in one round trip of a few dozen
// bytes.
//
// How: each message covers the key space with ranges in order. For a range
// a side sends either its fingerprint (count and a hash of the sum of its
// item hashes), or its items (a list), or, in answer to a list, the keys
// that differ (a report). A receiver whose fingerprint matches says
// nothing more about that range; one whose fingerprint differs splits the
// range in parts by its own items (Options.Branch) and sends theirs, or
// lists its items once it holds few (Options.LeafItems). Sums of hashes
// mod 2^256 are what make this cheap: a Set keeps prefix sums, so any
// range's fingerprint costs O(log n) (see Summary.Fingerprint for why the
// construction is safe enough against a lying peer: a liar can hide only
// its own differences, never make us lose data).
//
// Why the limits: a peer (one with a certificate, but perhaps hostile)
// controls every byte it sends. Decode checks the size before decoding,
// then strict canonical CBOR, every ordering rule (ranges sorted and
// disjoint, keys inside their range) and every limit (MaxMessageBytes,
// MaxEntries, MaxItems, MaxKeyLen, MaxKeyBytes, MaxTotal), so that any
// input gives an error, never a panic or unbounded memory. A session also
// checks what it can against its own set (a report about our items must be
// true of them, and must answer a range we listed), and stops a peer that
// keeps the exchange going past MaxRounds. Each message we send stays
// within Options.FrameBudget: work that does not fit is handed back as a
// fingerprint of the rest of the key space, to be compared again next
// round.
//
// Package reconcile imports crdt (its strict CBOR options) only.
package reconcile
