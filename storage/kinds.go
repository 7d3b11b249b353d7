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
// pending rows included, in kind order. It walks the key's rows once,
// jumping to the next kind at the first live row of each, so a set or map
// costs a seek or two, not a read of every member (remove markers before
// the first live row are read). It uses one iterator for the whole commit.
func (c *Commit) LiveKinds(key string) ([]crdt.Kind, error) {
	it, err := c.iterator()
	if err != nil {
		return nil, err
	}
	live := c.pendingLiveKinds(key)
	obj := objectPrefix(key)
	for valid := it.SeekGE(obj); valid && hasPrefix(it.Key(), obj); {
		k := crdt.Kind(it.Key()[len(obj)])
		if live[k] {
			valid = it.SeekGE(append(obj[:len(obj):len(obj)], byte(k)+1))
			continue
		}
		_, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return nil, err
		}
		if i, ok := c.pos[rowID{key, rk}]; ok {
			row = c.changes[i].Row // pending state wins over stored
		}
		live[k] = row.Live()
		// NextPrefix, not Next: a hot row (a counter's share) has thousands
		// of versions in the memtable, and Next steps over each of them.
		valid = it.NextPrefix()
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	var out []crdt.Kind
	for k := crdt.KindRegister; k <= crdt.KindMap; k++ {
		if live[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// pendingLiveKinds marks the kinds with a live pending row of key.
func (c *Commit) pendingLiveKinds(key string) map[crdt.Kind]bool {
	live := make(map[crdt.Kind]bool, 4)
	for _, i := range c.byKey[key] {
		if ch := c.changes[i]; ch.Row.Live() {
			live[ch.RowKey.Kind] = true
		}
	}
	return live
}

// iterator returns the commit's iterator over the rows, made on first use.
// It sees every commit started before this one; this commit's own pending
// rows are overlaid by the callers. Start and Discard close it.
func (c *Commit) iterator() (*pebble.Iterator, error) {
	if c.iter != nil {
		return c.iter, nil
	}
	it, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: dataPrefix, UpperBound: dataPrefixEnd})
	if err != nil {
		return nil, err
	}
	c.iter = it
	return it, nil
}

// closeIterator releases the commit's iterator, if any.
func (c *Commit) closeIterator() {
	if c.iter != nil {
		c.iter.Close()
		c.iter = nil
	}
}

// Discard abandons a commit that will not be applied, releasing what it
// holds. Its dots were never stored and may be minted again.
func (c *Commit) Discard() {
	c.closeIterator()
	c.done = true
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
