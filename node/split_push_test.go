package node

import (
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// TestLargeCommitSplitPush (found in review): a commit larger than
// protocol.DefaultMaxPushBytes is pushed in pieces (only the last claiming
// its own dots). The inbox's default bound equals DefaultMaxPushBytes, and
// such a commit once overflowed it, so the split path never ran and every
// peer got a whole fresh catch-up instead: one commit alone now passes.
func TestLargeCommitSplitPush(t *testing.T) {
	self, peer := crdt.ReplicaID(1), crdt.ReplicaID(2)
	out := protocol.NewOutbound(self, protocol.OutboundOptions{})
	out.PeerHello(peer, &wire.Hello{VV: &crdt.VersionVector{}})
	out.Done(&crdt.VersionVector{}) // live
	var in inbox
	in.init(0) // node's default: SyncQueueBytes 0
	in.publish(protocol.Commit{OwnCounter: 1, Size: protocol.DefaultMaxPushBytes + 1,
		Rows: []protocol.CommitRow{{Row: wire.Row{Key: "k", Row: crdt.Row{Kind: crdt.KindRegister}}}}})
	in.drainInto(out)
	if got := out.Next(); got != protocol.Push {
		t.Fatalf("a commit over MaxPushBytes: next action %v, want Push (split); the inbox dropped it (overflow -> rescan)", got)
	}
}
