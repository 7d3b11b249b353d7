package bench

import (
	"time"

	"github.com/shoal-db/shoal/crdt"
)

// recordSize is the yardstick of the byte ratios: the size of one put as
// stored, len(key) plus the canonical CBOR of the register row a put
// leaves (one entry: dot, HLC time, 100-byte value; a context of that one
// dot). A replica id is a random 64-bit number, so it is taken with its
// top bit set (9 bytes of CBOR); counter is the largest dot counter of the
// run, since CBOR integers grow with their value. It never fails for a
// row this simple, so an error panics.
func recordSize(counter uint64) int {
	dot := crdt.Dot{Origin: 0x9e3779b97f4a7c15, Counter: counter}
	row := crdt.Row{
		Kind:    crdt.KindRegister,
		Entries: []crdt.Entry{{Dot: dot, Time: crdt.Timestamp{Wall: time.Now().UnixNano()}, Value: valueOf(counter)}},
		Context: crdt.Context{dot},
	}
	b, err := crdt.EncodeRow(row)
	if err != nil {
		panic(err)
	}
	return keySize + len(b)
}
