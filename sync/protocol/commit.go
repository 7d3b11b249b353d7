package protocol

import (
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// Commit is one commit of the local node as the outbound halves see it, in
// commit order: local writes and rows applied from peers alike.
type Commit struct {
	Rows []wire.Row
	// OwnCounter is the node's own dot counter after this commit. Every own
	// dot up to it is in this commit or an earlier one.
	OwnCounter uint64
	// Source is the peer the rows came from, or 0 for local writes.
	Source crdt.ReplicaID
	// Size approximates the commit's bytes, for the queue bound.
	Size int
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
