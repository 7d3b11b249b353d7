package protocol

import (
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// Commit is one commit of the local node as the outbound halves see it, in
// commit order: local writes and rows applied from peers alike.
type Commit struct {
	Rows []CommitRow
	// OwnCounter is the node's own dot counter after this commit. Every own
	// dot up to it is in this commit or an earlier one.
	OwnCounter uint64
	// Size approximates the commit's bytes, for the queue bound.
	Size int
}

// CommitRow is one row of a commit, in its state after the commit.
type CommitRow struct {
	wire.Row
	// Source is the peer whose rows alone made this change, or 0 when a
	// local write (or more than one peer) had a part in it. A row is not
	// sent back to its source: the source has every part of the change.
	Source crdt.ReplicaID
}

// covered reports whether known holds every dot that names the row: the
// peer has the row's state, or a later one.
func covered(known *crdt.VersionVector, r wire.Row) bool {
	for _, d := range r.Row.LatestDots() {
		if !known.Contains(d) {
			return false
		}
	}
	return true
}
