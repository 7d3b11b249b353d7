package protocol

import (
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// TestPushSplit (hardening item 2): a commit whose rows exceed
// MaxPushBytes goes in several Pushes, each within the bound (a row larger
// than it alone); all but the last carry the counter already claimed, so
// the receiver claims the commit's own dots only once all its rows are
// there. A commit at the bound goes whole.
func TestPushSplit(t *testing.T) {
	const self, peer crdt.ReplicaID = 1, 2
	row := func(i, size int) CommitRow {
		d := crdt.Dot{Origin: self, Counter: uint64(i + 1)}
		r := crdt.Row{}.Write(crdt.KindRegister, d, crdt.Timestamp{Wall: 1}, make([]byte, size))
		return CommitRow{Row: wire.Row{Key: fmt.Sprintf("k%d", i), RowKey: reg.Append(nil), Row: r}}
	}
	one := RowSize(row(0, 1000).Row)
	for _, tc := range []struct {
		rows, size, limit int
		want              []int // rows per Push
	}{
		{rows: 4, size: 1000, limit: 4 * one, want: []int{4}},
		{rows: 4, size: 1000, limit: 4*one - 1, want: []int{3, 1}},
		{rows: 4, size: 1000, limit: 2 * one, want: []int{2, 2}},
		{rows: 3, size: 1000, limit: one / 2, want: []int{1, 1, 1}}, // a row over the bound goes alone
	} {
		t.Run(fmt.Sprintf("%d rows, limit %d", tc.rows, tc.limit), func(t *testing.T) {
			o := NewOutbound(self, OutboundOptions{MaxPushBytes: tc.limit})
			o.PeerHello(peer, &wire.Hello{VV: &crdt.VersionVector{}})
			o.Begin()
			o.Done(&crdt.VersionVector{})
			c := Commit{OwnCounter: uint64(tc.rows), Size: tc.rows * one}
			for i := range tc.rows {
				c.Rows = append(c.Rows, row(i, tc.size))
			}
			o.Publish(c)
			var got []int
			for o.Next() == Push {
				m := o.NextPush()
				got = append(got, len(m.Push.Rows))
				last := o.Next() != Push
				if want := map[bool]uint64{true: uint64(tc.rows), false: 0}[last]; m.Push.OwnCounter != want {
					t.Fatalf("push %d claims own counter %d, want %d", len(got), m.Push.OwnCounter, want)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("pushes of %v rows, want %v", got, tc.want)
			}
		})
	}
}
