package storage

import (
	"bytes"
	"iter"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// ScanOptions bounds a Scan. Every bound is optional and they combine: a
// key is listed if it starts with Prefix, is >= Start and is < End.
type ScanOptions struct {
	Prefix string // only keys that start with Prefix
	Start  string // first key (inclusive); "" = from the first key
	End    string // last key (exclusive); "" = no bound
	Limit  int    // at most Limit keys; 0 = no limit
}

// KeyObject is one key listed by Scan, with every row it holds.
type KeyObject struct {
	Key    string
	Object crdt.Object
}

// Scan lists keys in byte order with all their rows, remove markers
// included (the caller filters). It reads a consistent point-in-time view
// taken when the iteration starts. A failure is yielded once, as the last
// element, with a zero KeyObject.
func (s *Store) Scan(opts ScanOptions) iter.Seq2[KeyObject, error] {
	return func(yield func(KeyObject, error) bool) {
		if err := s.checkOpen(); err != nil {
			yield(KeyObject{}, err)
			return
		}
		if err := scanKeys(s.db, opts, yield); err != nil {
			yield(KeyObject{}, err)
		}
	}
}

// scanBounds turns the options into Pebble bounds on d/ keys. By the
// layout's order property, d/ escaped(k) is a lower bound of the rows of
// every key >= k and an upper bound of the rows of every key < k.
func scanBounds(opts ScanOptions) (lower, upper []byte) {
	lower = keyPrefix(opts.Prefix)
	upper = prefixEnd(lower)
	if start := keyPrefix(opts.Start); bytes.Compare(start, lower) > 0 {
		lower = start
	}
	if opts.End != "" {
		if end := keyPrefix(opts.End); bytes.Compare(end, upper) < 0 {
			upper = end
		}
	}
	return lower, upper
}

// scanKeys groups the rows between the bounds by key and yields each key
// once complete. It returns nil when the caller stops early.
func scanKeys(r pebble.Reader, opts ScanOptions, yield func(KeyObject, error) bool) error {
	lower, upper := scanBounds(opts)
	if bytes.Compare(lower, upper) >= 0 {
		return nil
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	var cur KeyObject
	n := 0
	for it.First(); it.Valid(); it.NextPrefix() {
		key, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return err
		}
		if cur.Object != nil && key != cur.Key {
			if !yield(cur, nil) {
				return nil
			}
			if n++; opts.Limit > 0 && n >= opts.Limit {
				return nil
			}
			cur = KeyObject{}
		}
		if cur.Object == nil {
			cur = KeyObject{Key: key, Object: crdt.Object{}}
		}
		cur.Object[rk] = row
	}
	if err := it.Error(); err != nil {
		return err
	}
	if cur.Object != nil {
		yield(cur, nil)
	}
	return nil
}
