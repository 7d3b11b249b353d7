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
// pending rows included, in kind order. A counter, set or map costs two
// seeks however many origins or remove markers it holds (its record,
// livecount.go); a register, a seek and its row. Each key is read once per
// commit, with one iterator for the whole commit.
func (c *Commit) LiveKinds(key string) ([]crdt.Kind, error) {
	it, err := c.iterator()
	if err != nil {
		return nil, err
	}
	r, err := c.liveRecord(it, key)
	if err != nil {
		return nil, err
	}
	return r.n.kinds(), nil
}

// iterator returns the commit's iterator over the rows and the live
// counts, made on first use. It sees every commit started before this one;
// this commit's own pending rows are overlaid by the callers. Start and
// Discard close it.
func (c *Commit) iterator() (*pebble.Iterator, error) {
	if c.iter != nil {
		return c.iter, nil
	}
	it, err := c.s.db.NewIter(countsIterOptions())
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
