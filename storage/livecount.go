package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Each key that holds a counter, set or map row has a record of how many
// live rows it holds of each kind, and of its counter's total:
//
//	k/ escaped(key) 0x00 0x01 -> uvarint per kind, register to map,
//	                             then the counter total (zigzag varint),
//	                             left out when it is zero
//
// Remove markers are kept for ever, so a type check that walked a set's or
// a map's rows would slow down with every member ever removed; with the
// record it costs two seeks. A counter has one row per origin that ever
// incremented it (100,000 phones on one key): with the record its type
// check costs two seeks and its value one lookup (Store.CounterTotal),
// however many origins it has. A register key has no record: its one row
// is counted as cheaply as a record is read. The commit that changes a
// key's rows rewrites the record in the same batch as the rows
// (writeLiveCounts), from the change of each row (its state before the
// commit, c.stored, and after), so the two never disagree, even across a
// crash; every path that changes a row (local writes, Merge,
// MergeUnclaimed, bootstrap rows, a re-issue's replace) goes through
// Commit.record and so through the record. A set or map key last written
// before the records existed has none: its rows are counted, once, and
// the commit that reads them writes its record; a key with counter rows
// gets its record at the first Open of this version (totals.go). A record
// of all zeros is kept, not deleted: the key's remove markers are kept
// too. Only a key left with no counter, set or map row at all (a re-issue
// can take a row back to before it existed) loses its record, in the same
// batch (writeLiveCount); so will a key whose last such row is collected,
// if remove markers ever are.
//
// The counter total is the sum of CounterTotal over the key's counter
// rows, in int64 arithmetic that wraps (two's complement, mod 2^64), as
// CounterTotal and crdt.Object.Counter sum: a counter taken past
// math.MaxInt64 reads negative, as it always has. Addition mod 2^64 is
// associative and commutative, so a total kept by adding each row's
// change (new total minus old, also wrapping) is exactly the wrapped sum
// of the rows, whatever the order the changes came in and however close
// to the limits the totals are: no change is ever refused or saturated.

// liveCounts holds a key's live rows per kind, at index kind-1.
type liveCounts [crdt.KindMap]uint64

// liveDelta is how a commit changes a key's liveCounts.
type liveDelta [crdt.KindMap]int64

// liveRecord is a key's record: its live counts and its counter total.
type liveRecord struct {
	n     liveCounts
	total int64 // wraps; see above
}

// keyDelta is how a commit's pending rows of a key change its record;
// wide says some of them are counter, set or map rows (the key needs a
// record), gone that one of those goes back to nothing (a re-issue's).
type keyDelta struct {
	live  liveDelta
	total int64
	wide  bool
	gone  bool
}

// storedLive is a key's record before the commit.
type storedLive struct {
	liveRecord
	recorded bool // read from the key's record; else counted from its rows
	wide     bool // counted, and the key has counter, set or map rows: it needs a record
}

// liveCache holds a commit's storedLive per key, so that each key is read
// once per commit: by LiveKinds or CounterTotal, then by writeLiveCounts.
type liveCache map[string]storedLive

// countKey returns the k/ key of key's record.
func countKey(key string) []byte {
	return append(appendEscaped(append([]byte(nil), countPrefix...), key), escByte, escTerm)
}

// encode returns the counts' part of a record's value.
func (n liveCounts) encode() []byte {
	b := make([]byte, 0, len(n)+binary.MaxVarintLen64)
	for _, v := range n {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// encode returns the record's value: a zero total is left out, so a
// record written before totals existed (a set or map key's) is a record
// of total zero as it stands.
func (r liveRecord) encode() []byte {
	b := r.n.encode()
	if r.total != 0 {
		b = binary.AppendVarint(b, r.total)
	}
	return b
}

// decodeLiveRecord decodes a record's value, refusing anything encode
// cannot produce.
func decodeLiveRecord(val []byte) (liveRecord, error) {
	var r liveRecord
	rest := val
	for i := range r.n {
		v, used := binary.Uvarint(rest)
		if used <= 0 {
			return liveRecord{}, fmt.Errorf("live counts %x: bad varint", val)
		}
		r.n[i], rest = v, rest[used:]
	}
	if len(rest) > 0 {
		v, used := binary.Varint(rest)
		if used <= 0 {
			return liveRecord{}, fmt.Errorf("live counts %x: bad counter total", val)
		}
		r.total, rest = v, rest[used:]
	}
	if len(rest) != 0 || !bytes.Equal(r.encode(), val) {
		return liveRecord{}, fmt.Errorf("live counts %x: not canonical", val)
	}
	return r, nil
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

// plus returns r changed by d; the total wraps.
func (r liveRecord) plus(d keyDelta) (liveRecord, error) {
	n, err := r.n.plus(d.live)
	if err != nil {
		return liveRecord{}, err
	}
	return liveRecord{n: n, total: r.total + d.total}, nil
}

// rowTotal is what row, of kind k, adds to its key's counter total.
func rowTotal(k crdt.Kind, row crdt.Row) int64 {
	if k != crdt.KindCounter {
		return 0
	}
	return row.CounterTotal()
}

// add counts row, of kind k, in the record.
func (r *liveRecord) add(k crdt.Kind, row crdt.Row) {
	r.n.add(k, row)
	r.total += rowTotal(k, row)
}

// rowDelta is how a row of kind k going from was to is changes its key's
// record.
func rowDelta(k crdt.Kind, was, is crdt.Row) keyDelta {
	d := keyDelta{wide: k >= crdt.KindCounter, total: rowTotal(k, is) - rowTotal(k, was)}
	d.gone = d.wide && is.IsZero() && !was.IsZero()
	switch {
	case !k.Valid() || was.Live() == is.Live():
	case is.Live():
		d.live[k-1]++
	default:
		d.live[k-1]--
	}
	return d
}

// add adds o to d; the total wraps.
func (d *keyDelta) add(o keyDelta) {
	for i := range d.live {
		d.live[i] += o.live[i]
	}
	d.total += o.total
	d.wide, d.gone = d.wide || o.wide, d.gone || o.gone
}

// sub takes o, added earlier, away from d (wide and gone stay: o's row is
// still pending, in another state, and gone only asks for a look).
func (d *keyDelta) sub(o keyDelta) {
	for i := range d.live {
		d.live[i] -= o.live[i]
	}
	d.total -= o.total
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

// readLiveRecord reads key's record with it, an iterator that covers the
// k/ keys; found is false if key has none.
func readLiveRecord(it *pebble.Iterator, key string) (r liveRecord, found bool, err error) {
	ck := countKey(key)
	if !it.SeekGE(ck) || string(it.Key()) != string(ck) {
		return liveRecord{}, false, it.Error()
	}
	val, err := it.ValueAndErr()
	if err != nil {
		return liveRecord{}, false, err
	}
	if r, err = decodeLiveRecord(val); err != nil {
		return liveRecord{}, false, corrupt(ck, err)
	}
	return r, true, nil
}

// getLiveRecord reads key's record from r with a point lookup; found is
// false if key has none.
func getLiveRecord(r pebble.Reader, key string) (rec liveRecord, found bool, err error) {
	ck := countKey(key)
	val, closer, err := r.Get(ck)
	if errors.Is(err, pebble.ErrNotFound) {
		return liveRecord{}, false, nil
	}
	if err != nil {
		return liveRecord{}, false, err
	}
	defer closer.Close()
	if rec, err = decodeLiveRecord(val); err != nil {
		return liveRecord{}, false, corrupt(ck, err)
	}
	return rec, true, nil
}

// storedLive returns key's record before this commit, read once per
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

// readStoredLive counts key's rows, in kind order, until it meets a
// counter, set or map row: from there on the key's record has the counts
// and the total. A key that lacks one (a set or map written before the
// records existed) is counted to the end.
func readStoredLive(it *pebble.Iterator, key string) (storedLive, error) {
	var sl storedLive
	obj := objectPrefix(key)
	for valid := it.SeekGE(obj); valid && hasPrefix(it.Key(), obj); valid = it.NextPrefix() {
		if wide := len(it.Key()) > len(obj) && crdt.Kind(it.Key()[len(obj)]) >= crdt.KindCounter; wide && !sl.wide {
			sl.wide = true
			at := bytes.Clone(it.Key())
			r, found, err := readLiveRecord(it, key)
			if found || err != nil {
				return storedLive{liveRecord: r, recorded: found}, err
			}
			if !it.SeekGE(at) {
				return storedLive{}, errors.Join(it.Error(), fmt.Errorf("storage: row %q gone from the iterator", at))
			}
		}
		_, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return storedLive{}, err
		}
		sl.add(rk.Kind, row)
	}
	return sl, it.Error()
}

// pendingDelta is how this commit's pending rows of key change its record
// against the stored rows. It is kept per key once asked for (record
// updates it, RollbackTo drops it), so that a commit of many rows of one
// key (a catch-up of a counter's origins, each row's LiveKinds) costs
// each row once, not once per row before it.
func (c *Commit) pendingDelta(key string) keyDelta {
	if d, ok := c.deltas[key]; ok {
		return d
	}
	var d keyDelta
	for _, i := range c.byKey[key] {
		d.add(rowDelta(c.changes[i].RowKey.Kind, c.stored[i], c.changes[i].Row))
	}
	if c.deltas == nil {
		c.deltas = map[string]keyDelta{}
	}
	c.deltas[key] = d
	return d
}

// notePending updates the pending delta of the key of change i, if one is
// kept, for the row's new state next (before it is recorded); i is
// len(c.changes) for a row not changed before.
func (c *Commit) notePending(i int, id rowID, cur, next crdt.Row) {
	d, ok := c.deltas[id.key]
	if !ok {
		return
	}
	if i < len(c.changes) {
		d.sub(rowDelta(id.rk.Kind, c.stored[i], c.changes[i].Row))
		cur = c.stored[i]
	}
	d.add(rowDelta(id.rk.Kind, cur, next))
	c.deltas[id.key] = d
}

// liveRecord returns key's record with this commit's pending rows.
func (c *Commit) liveRecord(it *pebble.Iterator, key string) (liveRecord, error) {
	sl, err := c.storedLive(it, key)
	if err != nil {
		return liveRecord{}, err
	}
	r, err := sl.plus(c.pendingDelta(key))
	if err != nil {
		return liveRecord{}, corrupt(countKey(key), err)
	}
	return r, nil
}

// CounterTotal returns key's counter total with this commit's pending
// rows: the total its record will hold after the commit (two seeks the
// first time a commit reads the key, however many origins it has).
func (c *Commit) CounterTotal(key string) (int64, error) {
	if err := c.s.checkOpen(); err != nil {
		return 0, err
	}
	it, err := c.iterator()
	if err != nil {
		return 0, err
	}
	r, err := c.liveRecord(it, key)
	return r.total, err
}

// CounterTotal returns key's counter total: the sum of its counter rows'
// CounterTotal, wrapping as crdt.Object.Counter does; 0 for a key without
// counter rows. One point lookup (the key's k/ record), however many
// origins the counter has. It sees every commit started so far.
func (s *Store) CounterTotal(key string) (int64, error) {
	sum, _, err := s.KeySummary(key)
	return sum.Counter, err
}

// KeySummary is what a key's record says of it.
type KeySummary struct {
	Kinds   []crdt.Kind // the kinds with a live row, in kind order
	Counter int64       // the counter total (see CounterTotal)
}

// KeySummary returns key's record, with one point lookup. found is false
// if the key has none: it has no counter rows (it is absent, a register,
// or a set or map last written before the records existed), and its rows
// must be read to know its type.
func (s *Store) KeySummary(key string) (sum KeySummary, found bool, err error) {
	if err := s.checkOpen(); err != nil {
		return KeySummary{}, false, err
	}
	r, found, err := getLiveRecord(s.db, key)
	if err != nil || !found {
		return KeySummary{}, false, err
	}
	return KeySummary{Kinds: r.n.kinds(), Counter: r.total}, true, nil
}

// writeLiveCounts adds to b the record of every key this commit changes
// whose record moves, and of every key it read or changes that needs a
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
// needs one and has none; it deletes the record of a key left with no
// counter, set or map row at all (a re-issue can take rows back to before
// they existed), which a later commit would not read.
func (c *Commit) writeLiveCount(b *pebble.Batch, key string, sl storedLive) error {
	d := c.pendingDelta(key)
	if d.gone {
		wide, err := c.hasWideRows(key)
		if err != nil || !wide {
			return errors.Join(err, b.Delete(countKey(key), nil))
		}
	}
	switch {
	case sl.recorded && d.live == (liveDelta{}) && d.total == 0:
		return nil
	case !sl.recorded && !sl.wide && !d.wide:
		return nil // a register key
	}
	r, err := sl.plus(d)
	if err != nil {
		return corrupt(countKey(key), err)
	}
	return b.Set(countKey(key), r.encode(), nil)
}

// hasWideRows reports whether key has a counter, set or map row after
// this commit (rare: only when one of its rows goes back to nothing).
func (c *Commit) hasWideRows(key string) (bool, error) {
	for _, i := range c.byKey[key] {
		if c.changes[i].RowKey.Kind >= crdt.KindCounter && !c.changes[i].Row.IsZero() {
			return true, nil
		}
	}
	lower := append(objectPrefix(key), byte(crdt.KindCounter))
	it, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(objectPrefix(key))})
	if err != nil {
		return false, err
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		_, rk, err := parseDataKey(it.Key())
		if err != nil {
			return false, corrupt(it.Key(), err)
		}
		if _, pending := c.pos[rowID{key, rk}]; !pending {
			return true, nil // stored, and this commit leaves it
		}
	}
	return false, it.Error()
}

// countsIterOptions bounds an iterator over the rows and the live counts
// (d/ to k/; the dot index between is never read through it).
func countsIterOptions() *pebble.IterOptions {
	return &pebble.IterOptions{LowerBound: dataPrefix, UpperBound: prefixEnd(countPrefix)}
}
