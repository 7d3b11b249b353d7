package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Each key that holds a set or map row has a record of how many live rows
// it holds of each kind:
//
//	k/ escaped(key) 0x00 0x01 -> uvarint per kind, register to map
//
// Remove markers are kept for ever, so a type check that walked a set's or
// a map's rows would slow down with every member ever removed; with the
// record it costs two seeks. A register or counter key has no record: its
// rows (one, or one per origin) are counted as cheaply as a record is
// read. The commit that turns a row live or dead rewrites the record in
// the same batch as the row (writeLiveCounts), so the two never disagree,
// even across a crash. A set or map key last written before the records
// existed has none: its rows are counted, once, and the commit that reads
// them writes its record. A record of all zeros is kept, not deleted: the
// key's remove markers are kept too. (When those are collected, removing
// a key's last set or map row must remove its record.)

// liveCounts holds a key's live rows per kind, at index kind-1.
type liveCounts [crdt.KindMap]uint64

// liveDelta is how a commit changes a key's liveCounts.
type liveDelta [crdt.KindMap]int64

// storedLive is a key's live counts before the commit.
type storedLive struct {
	n        liveCounts
	recorded bool // read from the key's record; else counted from its rows
	wide     bool // counted, and the key has set or map rows: it needs a record
}

// liveCache holds a commit's storedLive per key, so that each key is read
// once per commit: by LiveKinds, then by writeLiveCounts.
type liveCache map[string]storedLive

// countKey returns the k/ key of key's record.
func countKey(key string) []byte {
	return append(appendEscaped(append([]byte(nil), countPrefix...), key), escByte, escTerm)
}

// encode returns the record's value.
func (n liveCounts) encode() []byte {
	b := make([]byte, 0, len(n))
	for _, v := range n {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// decodeLiveCounts decodes a record's value, refusing anything encode
// cannot produce.
func decodeLiveCounts(val []byte) (liveCounts, error) {
	var n liveCounts
	rest := val
	for i := range n {
		v, used := binary.Uvarint(rest)
		if used <= 0 {
			return liveCounts{}, fmt.Errorf("live counts %x: bad varint", val)
		}
		n[i], rest = v, rest[used:]
	}
	if len(rest) != 0 || len(n.encode()) != len(val) {
		return liveCounts{}, fmt.Errorf("live counts %x: not canonical", val)
	}
	return n, nil
}

// plus returns n changed by d, or an error if a count would go negative
// (the record disagrees with the rows).
func (n liveCounts) plus(d liveDelta) (liveCounts, error) {
	for i, v := range d {
		if v < 0 && uint64(-v) > n[i] {
			return liveCounts{}, fmt.Errorf("%d live %s rows, %d turn dead", n[i], crdt.Kind(i+1), -v)
		}
		n[i] = uint64(int64(n[i]) + v)
	}
	return n, nil
}

// add counts row, of kind k, if it is live.
func (n *liveCounts) add(k crdt.Kind, row crdt.Row) {
	if row.Live() && k.Valid() {
		n[k-1]++
	}
}

// kinds lists the kinds with a live row, in kind order.
func (n liveCounts) kinds() []crdt.Kind {
	var out []crdt.Kind
	for i, v := range n {
		if v > 0 {
			out = append(out, crdt.Kind(i+1))
		}
	}
	return out
}

// readLiveCounts reads key's record with it, an iterator that covers the
// k/ keys; found is false if key has none.
func readLiveCounts(it *pebble.Iterator, key string) (n liveCounts, found bool, err error) {
	ck := countKey(key)
	if !it.SeekGE(ck) || string(it.Key()) != string(ck) {
		return liveCounts{}, false, it.Error()
	}
	val, err := it.ValueAndErr()
	if err != nil {
		return liveCounts{}, false, err
	}
	if n, err = decodeLiveCounts(val); err != nil {
		return liveCounts{}, false, corrupt(ck, err)
	}
	return n, true, nil
}

// storedLive returns key's live counts before this commit, read once per
// commit with it, an iterator over the d/ and k/ keys (see
// countsIterOptions).
func (c *Commit) storedLive(it *pebble.Iterator, key string) (storedLive, error) {
	if sl, ok := c.live[key]; ok {
		return sl, nil
	}
	sl, err := readStoredLive(it, key)
	if err != nil {
		return storedLive{}, err
	}
	if c.live == nil {
		c.live = liveCache{}
	}
	c.live[key] = sl
	return sl, nil
}

// readStoredLive counts key's rows, in kind order, until it meets a set
// or map row: from there on the key's record has the counts. A key that
// lacks one (written before the records existed) is counted to the end.
func readStoredLive(it *pebble.Iterator, key string) (storedLive, error) {
	var sl storedLive
	obj := objectPrefix(key)
	for valid := it.SeekGE(obj); valid && hasPrefix(it.Key(), obj); valid = it.NextPrefix() {
		if wide := len(it.Key()) > len(obj) && crdt.Kind(it.Key()[len(obj)]) >= crdt.KindSet; wide && !sl.wide {
			sl.wide = true
			at := bytes.Clone(it.Key())
			n, found, err := readLiveCounts(it, key)
			if found || err != nil {
				return storedLive{n: n, recorded: found}, err
			}
			if !it.SeekGE(at) {
				return storedLive{}, errors.Join(it.Error(), fmt.Errorf("storage: row %q gone from the iterator", at))
			}
		}
		_, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return storedLive{}, err
		}
		sl.n.add(rk.Kind, row)
	}
	return sl, it.Error()
}

// pendingDelta is how this commit's pending rows of key change its counts
// against the stored rows; wide says some of them are set or map rows.
func (c *Commit) pendingDelta(key string) (d liveDelta, wide bool) {
	for _, i := range c.byKey[key] {
		k := c.changes[i].RowKey.Kind
		wide = wide || k >= crdt.KindSet
		was, is := c.stored[i].Live(), c.changes[i].Row.Live()
		switch {
		case !k.Valid() || was == is:
		case is:
			d[k-1]++
		default:
			d[k-1]--
		}
	}
	return d, wide
}

// liveCounts returns key's live counts with this commit's pending rows.
func (c *Commit) liveCounts(it *pebble.Iterator, key string) (liveCounts, error) {
	sl, err := c.storedLive(it, key)
	if err != nil {
		return liveCounts{}, err
	}
	d, _ := c.pendingDelta(key)
	n, err := sl.n.plus(d)
	if err != nil {
		return liveCounts{}, corrupt(countKey(key), err)
	}
	return n, nil
}

// writeLiveCounts adds to b the record of every key this commit changes
// whose counts move, and of every key it read or changes that needs a
// record and has none. Apply's fill calls it, when the rows are still as
// they were before the batch and the commit's own iterator is closed.
func (c *Commit) writeLiveCounts(b *pebble.Batch) error {
	var it *pebble.Iterator // for the keys LiveKinds did not read
	defer func() {
		if it != nil {
			it.Close()
		}
	}()
	for key := range c.byKey {
		if _, ok := c.live[key]; !ok && it == nil {
			var err error
			if it, err = c.s.db.NewIter(countsIterOptions()); err != nil {
				return err
			}
		}
		if _, err := c.storedLive(it, key); err != nil {
			return err
		}
	}
	for key, sl := range c.live {
		if err := c.writeLiveCount(b, key, sl); err != nil {
			return err
		}
	}
	return nil
}

// writeLiveCount adds key's record to b if it changes, or if the key
// needs one and has none.
func (c *Commit) writeLiveCount(b *pebble.Batch, key string, sl storedLive) error {
	d, wide := c.pendingDelta(key)
	switch {
	case sl.recorded && d == (liveDelta{}):
		return nil
	case !sl.recorded && !sl.wide && !wide:
		return nil // a register or counter key
	}
	n, err := sl.n.plus(d)
	if err != nil {
		return corrupt(countKey(key), err)
	}
	return b.Set(countKey(key), n.encode(), nil)
}

// countsIterOptions bounds an iterator over the rows and the live counts
// (d/ to k/; the dot index between is never read through it).
func countsIterOptions() *pebble.IterOptions {
	return &pebble.IterOptions{LowerBound: dataPrefix, UpperBound: prefixEnd(countPrefix)}
}
