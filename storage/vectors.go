package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// The store keeps two version vectors, one part per origin each:
//
//	m/vv/ origin(8 BE) -> all: every dot whose effect is stored
//	m/dv/ origin(8 BE) -> direct: the dots of all learnt firsthand
//
// "Firsthand" means from the rows themselves (a row's dots) or from the
// origin itself (its own Done or Push claims its own dots); a claim a
// third peer makes about an origin's dots goes into all alone. A node
// shows a peer, in its Hello, all with the peer's own part taken from
// direct: the peer then sends us every row of its own dots that we hold
// only on another's word. A peer that lied about a third node's dots can
// make us skip them when catching up from others, but not when catching up
// from that node, so the lie is undone at the next session with it.
var dvPrefix = []byte("m/dv/")

// vectors is the pair. The store keeps two copies: the applied one, which
// the committing goroutine changes in place as it starts each commit, and
// the durable one, under the store's mutex, changed in place by the same
// changes once each commit is synced. No vector is shared between them or
// handed out: readers get copies.
type vectors struct{ all, direct *crdt.VersionVector }

// partKey returns the key of origin's part under prefix (m/vv/ or m/dv/).
func partKey(prefix []byte, origin crdt.ReplicaID) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(origin))
}

// loadVectors reads both vectors from r. A store written before the direct
// vector existed has no m/dv/ keys: it starts with direct = all (what it
// claimed before is taken as it was).
func loadVectors(r pebble.Reader) (vectors, bool, error) {
	all, err := loadVector(r, vvPrefix)
	if err != nil {
		return vectors{}, false, err
	}
	direct, err := loadVector(r, dvPrefix)
	if err != nil {
		return vectors{}, false, err
	}
	if direct.IsEmpty() && !all.IsEmpty() {
		return vectors{all, all.Clone()}, true, nil
	}
	return vectors{all, direct}, false, nil
}

// loadVector reads the parts under prefix.
func loadVector(r pebble.Reader, prefix []byte) (*crdt.VersionVector, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	vv := &crdt.VersionVector{}
	for it.First(); it.Valid(); it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		part, err := decodePart(prefix, it.Key(), val)
		if err != nil {
			return nil, err
		}
		vv.Join(part)
	}
	return vv, it.Error()
}

// decodePart decodes one part, which must hold exactly the origin its key
// names. It is the node's own record: no peer-input size limits.
func decodePart(prefix, key, val []byte) (*crdt.VersionVector, error) {
	rest, ok := bytes.CutPrefix(key, prefix)
	if !ok || len(rest) != 8 {
		return nil, corrupt(key, fmt.Errorf("%w: version vector key", errKey))
	}
	origin := crdt.ReplicaID(binary.BigEndian.Uint64(rest))
	part := &crdt.VersionVector{}
	if err := crdt.UnmarshalStored(val, part); err != nil {
		return nil, corrupt(key, err)
	}
	if o := part.Origins(); len(o) != 1 || o[0] != origin {
		return nil, corrupt(key, fmt.Errorf("holds origins %v", o))
	}
	return part, nil
}

// writeParts adds to b the parts under prefix of the given origins whose
// part differs between old and next.
func writeParts(b *pebble.Batch, prefix []byte, old, next *crdt.VersionVector, origins []crdt.ReplicaID) error {
	for _, o := range origins {
		after := next.Part(o)
		if after.Equal(old.Part(o)) {
			continue
		}
		enc, err := crdt.Marshal(after)
		if err != nil {
			return err
		}
		if err := b.Set(partKey(prefix, o), enc, nil); err != nil {
			return err
		}
	}
	return nil
}

// vectorChange is what one commit changes of the two vectors: the new
// parts (joined and trimmed) of the origins whose part changes. Applying
// it costs what the commit touched, not the size of the vectors: a hub's
// vector holds an origin per device that ever wrote.
type vectorChange struct{ all, direct *crdt.VersionVector }

// changedParts returns the parts of old joined with delta and trimmed to
// maxRanges, for the origins of delta whose part changes, and writes them
// to b; old itself is not changed.
func changedParts(b *pebble.Batch, prefix []byte, old, delta *crdt.VersionVector, maxRanges int) (*crdt.VersionVector, error) {
	out := &crdt.VersionVector{}
	for _, o := range delta.Origins() {
		before := old.Part(o)
		after := before.Clone()
		after.Join(delta.Part(o))
		after.Trim(maxRanges)
		if after.Equal(before) {
			continue
		}
		out.Join(after)
		if err := writePart(b, prefix, after, o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// apply changes v in place by ch.
func (v vectors) apply(ch vectorChange) {
	for _, pair := range [][2]*crdt.VersionVector{{v.all, ch.all}, {v.direct, ch.direct}} {
		for _, o := range pair[1].Origins() {
			pair[0].SetPart(o, pair[1].Part(o))
		}
	}
}

func (v vectors) clone() vectors { return vectors{v.all.Clone(), v.direct.Clone()} }

// Firsthand returns the dots learnt firsthand: from rows, or from their
// origin itself (see dvPrefix).
func (s *Store) Firsthand() *crdt.VersionVector {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.vv.direct.Clone()
}

// VersionVectorFor returns the vector to show peer in a Hello: every dot
// whose effect is stored, except that the peer's own dots are those
// learnt firsthand (see dvPrefix).
func (s *Store) VersionVectorFor(peer crdt.ReplicaID) *crdt.VersionVector {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &crdt.VersionVector{}
	for _, o := range s.mu.vv.all.Origins() {
		if o != peer {
			out.Join(s.mu.vv.all.Part(o))
		}
	}
	out.Join(s.mu.vv.direct.Part(peer))
	return out
}

// vectorLog numbers the changes of the durable vectors and remembers which
// origins the recent ones touched: an idle session checks one number
// instead of comparing the whole vector every Ack interval, and a busy one
// acks only the parts that changed (a hub's vector holds an origin per
// device; a whole one in every Ack made each small push cost megabytes).
type vectorLog struct {
	seq    uint64 // changes so far
	oldest uint64 // the first change the ring still holds
	ring   [][]crdt.ReplicaID
}

// vectorLogSize bounds the changes remembered; an Ack further behind sends
// the whole vector.
const vectorLogSize = 8192

func (l *vectorLog) record(ch vectorChange) {
	origins := slices.Compact(slices.Sorted(slices.Values(append(ch.all.Origins(), ch.direct.Origins()...))))
	if len(origins) == 0 {
		return
	}
	l.seq++
	if l.oldest == 0 {
		l.oldest = l.seq
	}
	l.ring = append(l.ring, origins)
	if len(l.ring) > vectorLogSize {
		l.ring = l.ring[len(l.ring)-vectorLogSize:]
		l.oldest = l.seq - vectorLogSize + 1
	}
}

// reset forgets the remembered changes (the vectors were replaced whole).
func (l *vectorLog) reset() { l.seq, l.oldest, l.ring = l.seq+1, 0, nil }

// since returns the origins changed after change number seq, or false if
// the log no longer holds them all.
func (l *vectorLog) since(seq uint64) ([]crdt.ReplicaID, bool) {
	if seq == l.seq {
		return nil, true
	}
	if l.oldest == 0 || seq+1 < l.oldest || seq > l.seq {
		return nil, false
	}
	var out []crdt.ReplicaID
	for _, origins := range l.ring[seq+1-l.oldest:] {
		out = append(out, origins...)
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// VectorChanges returns the number of changes of the vector so far.
func (s *Store) VectorChanges() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.changes.seq
}

// VersionVectorChangedFor returns what VersionVectorFor(peer) returns,
// restricted to the origins changed after change number seq, and the
// current change number; ok is false (and the vector whole) when the
// changes since seq are no longer remembered.
func (s *Store) VersionVectorChangedFor(peer crdt.ReplicaID, seq uint64) (vv *crdt.VersionVector, now uint64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	origins, ok := s.mu.changes.since(seq)
	if !ok {
		origins = s.mu.vv.all.Origins()
	}
	out := &crdt.VersionVector{}
	for _, o := range origins {
		if o == peer {
			out.Join(s.mu.vv.direct.Part(o))
		} else {
			out.Join(s.mu.vv.all.Part(o))
		}
	}
	if !ok {
		out.Join(s.mu.vv.direct.Part(peer))
	}
	return out, s.mu.changes.seq, ok
}
