package storage

import (
	"maps"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Keys with live rows of more than one kind (two nodes created the key
// concurrently with different types) are rare. They are listed under
//
//	x/ escaped(key) -> empty
//
// and held in memory, so that a read of a key not listed can trust a point
// lookup of one row (a register Get) instead of scanning all of its rows.
var multiPrefix = []byte("x/")

func multiKey(key string) []byte {
	return append(appendEscaped(append([]byte(nil), multiPrefix...), key), escByte, escTerm)
}

// MultiKind reports whether key may hold live rows of several kinds. False
// is certain; true means: read the whole key.
func (s *Store) MultiKind(key string) bool {
	m := *s.multi.Load()
	if len(m) == 0 {
		return false
	}
	_, ok := m[key]
	return ok
}

// MarkMultiKind records, with this commit, that key holds live rows of
// several kinds.
func (c *Commit) MarkMultiKind(key string) {
	if c.multi == nil {
		c.multi = map[string]bool{}
	}
	c.multi[key] = true
}

// LiveKinds returns the kinds of key that have a live row, this commit's
// pending rows included, in kind order. It stops at the first live row of
// each kind, so a set or map costs a seek, not a read of every member
// (remove markers before the first live row are read).
func (c *Commit) LiveKinds(key string) ([]crdt.Kind, error) {
	lower := objectPrefix(key)
	it, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []crdt.Kind
	for k := crdt.KindRegister; k <= crdt.KindMap; k++ {
		live, err := c.liveOfKind(it, key, k)
		if err != nil {
			return nil, err
		}
		if live {
			out = append(out, k)
		}
	}
	return out, nil
}

// liveOfKind reports whether key has a live row of kind k, pending first.
func (c *Commit) liveOfKind(it *pebble.Iterator, key string, k crdt.Kind) (bool, error) {
	for _, i := range c.byKey[key] {
		if ch := c.changes[i]; ch.RowKey.Kind == k && ch.Row.Live() {
			return true, nil
		}
	}
	prefix := append(objectPrefix(key), byte(k))
	for valid := it.SeekGE(prefix); valid && hasPrefix(it.Key(), prefix); valid = it.Next() {
		_, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return false, err
		}
		if i, ok := c.pos[rowID{key, rk}]; ok {
			row = c.changes[i].Row // pending state wins over stored
		}
		if row.Live() {
			return true, nil
		}
	}
	return false, it.Error()
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

// loadMulti reads the multi-kind keys into memory at Open.
func loadMulti(r pebble.Reader) (map[string]struct{}, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: multiPrefix, UpperBound: prefixEnd(multiPrefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := map[string]struct{}{}
	for it.First(); it.Valid(); it.Next() {
		key, rest, err := unescapeKey(it.Key()[len(multiPrefix):])
		if err != nil || len(rest) != 0 {
			return nil, corrupt(it.Key(), err)
		}
		out[key] = struct{}{}
	}
	return out, it.Error()
}

// addMulti adds keys to the multi-kind list. The list is copied on write
// (it changes rarely) so that MultiKind, on every Get, takes no lock.
func (s *Store) addMulti(keys map[string]bool) {
	if len(keys) == 0 {
		return
	}
	next := maps.Clone(*s.multi.Load())
	for k := range keys {
		next[k] = struct{}{}
	}
	s.multi.Store(&next)
}
