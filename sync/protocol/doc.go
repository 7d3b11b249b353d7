// Package protocol is the pure core of Shoal's replication: it decides, for
// one session with one peer, what to send and what the local node may
// claim to have seen. It does no I/O, starts no goroutines and reads no
// clock; the caller (package node) feeds it messages and commits and
// carries out what it returns, like etcd raft's RawNode.
//
// A session has two independent halves. Outbound sends our data: it waits
// for the peer's Hello, runs a catch-up over the caller's Source (the rows
// the peer lacks, Batch... Done; CatchUp), then pushes every commit since
// that scan's snapshot, in commit order. Inbound checks what the peer sends and turns
// it into rows to apply and dots to claim. The rules of sync.md live here:
//
//  1. A catch-up always starts from a fresh snapshot against what the peer
//     has now; there are no resume positions.
//  2. Outbound queues commits from before the snapshot is taken (Begin
//     happens before the scan) and pushes all of them after Done.
//  3. After Done the receiver may join the snapshot's version vector, cut
//     to what the sender showed it had (its Hello, its Acks) plus the
//     sender's own dots; after an in-order Push only the sender's own dots
//     up to that commit; for any row only the dots of its context. Nothing
//     else. A bootstrap (a new node's stream of every row in key order,
//     resumable after a position) claims nothing of its rows, and at its end
//     the intersection of the vectors of the snapshots they came from.
//  4. Commits are never coalesced (a commit too large for one Push is
//     split, and only its last piece claims); a row the peer is known to
//     have, or that came from it, is not sent.
//  5. Every message carries a sequence number; any gap, repeat or
//     reordering aborts the session, since a Done or Push overtaking a lost
//     message would claim dots whose rows never arrived.
//
// The caller must deliver a session's messages over an ordered stream and
// apply what Inbound returns (rows and claims together, synced) before it
// acknowledges anything.
//
// Package protocol imports crdt and sync/wire only.
package protocol
