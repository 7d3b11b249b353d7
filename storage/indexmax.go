package storage

import (
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// indexMax holds, per origin, at least the highest counter the dot index
// holds of it: Missing scans only the origins whose highest indexed dot is
// above the peer's contiguous base, instead of seeking once per origin of
// the whole index (a hub holds an origin per phone, and a returning phone
// missed the writes of a few). It is raised as each commit starts, so it
// is never below what a snapshot sees; a value too high (a re-issue that
// set an origin back) only costs a seek that finds nothing.
type indexMax struct {
	mu  sync.Mutex
	max map[crdt.ReplicaID]uint64
}

// load reads the highest counter of each origin in r's index: two seeks
// per origin, once at Open.
func (x *indexMax) load(r pebble.Reader) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: indexPrefix, UpperBound: indexEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	m := map[crdt.ReplicaID]uint64{}
	for valid := it.First(); valid; {
		d, err := parseIndexKey(it.Key())
		if err != nil {
			return corrupt(it.Key(), err)
		}
		if d.Origin == crdt.ReplicaID(^uint64(0)) {
			valid = it.Last()
		} else {
			valid = it.SeekLT(indexKey(crdt.Dot{Origin: d.Origin + 1}))
		}
		if !valid {
			break
		}
		top, err := parseIndexKey(it.Key())
		if err != nil {
			return corrupt(it.Key(), err)
		}
		m[top.Origin] = top.Counter
		if top.Origin == crdt.ReplicaID(^uint64(0)) {
			break
		}
		valid = it.SeekGE(indexKey(crdt.Dot{Origin: top.Origin + 1}))
	}
	if err := it.Error(); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.max = m
	return nil
}

// raise records the latest dots a commit indexes.
func (x *indexMax) raise(dots map[crdt.ReplicaID]uint64) {
	if len(dots) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.max == nil {
		x.max = map[crdt.ReplicaID]uint64{}
	}
	for o, c := range dots {
		x.max[o] = max(x.max[o], c)
	}
}

// above returns, sorted, the origins whose highest indexed dot is above
// have's contiguous base for them.
func (x *indexMax) above(have *crdt.VersionVector) []crdt.ReplicaID {
	x.mu.Lock()
	var out []crdt.ReplicaID
	for o, c := range x.max {
		if c > have.Base(o) {
			out = append(out, o)
		}
	}
	x.mu.Unlock()
	slices.Sort(out)
	return out
}

// noteIndexed records in dots the latest dots of row.
func noteIndexed(dots map[crdt.ReplicaID]uint64, row crdt.Row) {
	for _, d := range row.LatestDots() {
		dots[d.Origin] = max(dots[d.Origin], d.Counter)
	}
}
