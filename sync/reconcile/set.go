package reconcile

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
)

// Set is the sorted item set a Session reconciles, queried by key range.
// It must answer from one unchanging snapshot for the whole session (a
// Pebble-backed table would hold an iterator over a snapshot and keep
// counts and sums in a tree over it). Keys are compared with
// bytes.Compare; each is at most MaxKeyLen bytes.
//
// A Set is local code and trusted: the Session checks what the peer sends,
// not what its Set returns, except that Encode refuses a message that
// breaks the format, so a broken Set shows up as an error rather than as
// bytes the peer refuses.
type Set interface {
	// Summarize returns the number of items in r and the sum of their
	// HashItem values. Summarize(Range{}) is the whole set.
	Summarize(r Range) Summary
	// Split divides the items of r into n parts of nearly equal count, in
	// key order, and returns the n-1 bounds between them (fewer if r holds
	// fewer than n items, none if it holds one or none). The bound before
	// a part is greater than every key of the parts before it and at most
	// the first key of its own part; Separator gives the shortest.
	Split(r Range, n int) [][]byte
	// AppendItems appends to dst the first max items of r (all of them if
	// r holds fewer), in key order, and returns the extended slice. The
	// keys must stay valid and unchanged until the session ends (a store
	// that reuses its buffers copies them); the session does not modify
	// them.
	AppendItems(dst []Item, r Range, max int) []Item
}

// Sorted is an in-memory Set: items sorted by key, with the prefix sums of
// their hashes, so that a range's summary costs two binary searches and a
// subtraction. It is immutable after NewSorted.
type Sorted struct {
	items  []Item
	prefix []Sum // prefix[i] is the sum of the hashes of items[:i]
}

var _ Set = (*Sorted)(nil)

// NewSorted returns the set of the given items, sorted by key. It copies
// the slice (not the keys, which the caller must not modify afterwards),
// drops exact duplicates, and refuses a key held twice with different
// values (ErrDuplicateKey) or longer than MaxKeyLen (ErrKeyTooLong).
func NewSorted(items []Item) (*Sorted, error) {
	s := slices.Clone(items)
	slices.SortFunc(s, func(a, b Item) int { return bytes.Compare(a.Key, b.Key) })
	out := s[:0]
	for i, it := range s {
		if len(it.Key) > MaxKeyLen {
			return nil, fmt.Errorf("%w: key of %d bytes", ErrKeyTooLong, len(it.Key))
		}
		if i > 0 && bytes.Equal(it.Key, s[i-1].Key) {
			if it.Value != s[i-1].Value {
				return nil, fmt.Errorf("%w: %q", ErrDuplicateKey, it.Key)
			}
			continue
		}
		out = append(out, it)
	}
	prefix := make([]Sum, len(out)+1)
	for i, it := range out {
		prefix[i+1] = prefix[i].Add(HashItem(it))
	}
	return &Sorted{items: out, prefix: prefix}, nil
}

// Len returns the number of items.
func (s *Sorted) Len() int { return len(s.items) }

// Items returns the items in key order; the caller must not modify them.
func (s *Sorted) Items() []Item { return s.items }

// bounds returns the index range [i, j) of the items in r.
func (s *Sorted) bounds(r Range) (int, int) {
	i := sort.Search(len(s.items), func(k int) bool { return bytes.Compare(s.items[k].Key, r.Lo) >= 0 })
	j := len(s.items)
	if len(r.Hi) > 0 {
		j = i + sort.Search(len(s.items)-i, func(k int) bool { return bytes.Compare(s.items[i+k].Key, r.Hi) >= 0 })
	}
	return i, j
}

// Summarize implements Set.
func (s *Sorted) Summarize(r Range) Summary {
	i, j := s.bounds(r)
	return Summary{Count: j - i, Sum: s.prefix[j].Sub(s.prefix[i])}
}

// Split implements Set.
func (s *Sorted) Split(r Range, n int) [][]byte {
	i, j := s.bounds(r)
	c := j - i
	n = min(n, c)
	if n < 2 {
		return nil
	}
	out := make([][]byte, 0, n-1)
	for k := 1; k < n; k++ {
		b := i + c*k/n
		out = append(out, Separator(s.items[b-1].Key, s.items[b].Key))
	}
	return out
}

// AppendItems implements Set.
func (s *Sorted) AppendItems(dst []Item, r Range, max int) []Item {
	i, j := s.bounds(r)
	if max >= 0 && j-i > max {
		j = i + max
	}
	return append(dst, s.items[i:j]...)
}
