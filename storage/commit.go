package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/shoal-db/shoal/crdt"
)

// Change is one row changed by a commit, in its state after the commit.
type Change struct {
	Key    string
	RowKey crdt.RowKey
	Row    crdt.Row
}

// rowID names one row of one key.
type rowID struct {
	key string
	rk  crdt.RowKey
}

// Commit gathers the mutations of many callers into one Pebble batch
// (group commit). A Commit is not safe for concurrent use, and only one
// Commit may be built and applied at a time: Merge reads the stored rows
// and Apply writes the version vector parts from the state they saw.
type Commit struct {
	s       *Store
	changes []Change      // in first-Merge order, each row's latest state
	stored  []crdt.Row    // the stored state of each changed row, for its old index entries
	pos     map[rowID]int // index into changes
	byKey   map[string][]int
	counter uint64             // last own counter minted or seen by this commit
	vv      crdt.VersionVector // dots this commit adds to the version vector
	joined  bool               // JoinVersionVector was called: not empty even with no rows
	done    bool
	read    map[rowID]crdt.Row // stored rows read by this commit, so each is read once
	iter    *pebble.Iterator   // for LiveKinds; see iterator
	multi   map[string]bool    // keys to list as multi-kind (MarkMultiKind)
	undo    []undoEntry        // rows overwritten since the first savepoint, for RollbackTo
	saving  bool               // a savepoint is open: record undo entries
}

// NewCommit starts an empty commit.
func (s *Store) NewCommit() *Commit {
	return &Commit{
		s:       s,
		pos:     map[rowID]int{},
		byKey:   map[string][]int{},
		counter: s.applied.counter,
	}
}

// Object returns the stored rows of key joined with this commit's pending
// rows.
func (c *Commit) Object(key string) (crdt.Object, error) {
	if err := c.s.checkOpen(); err != nil {
		return nil, err
	}
	it, err := c.iterator()
	if err != nil {
		return nil, err
	}
	obj := crdt.Object{}
	prefix := objectPrefix(key)
	for valid := it.SeekGE(prefix); valid && hasPrefix(it.Key(), prefix); valid = it.NextPrefix() {
		_, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return nil, err
		}
		obj[rk] = row
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	for _, i := range c.byKey[key] {
		obj[c.changes[i].RowKey] = c.changes[i].Row
	}
	return obj, nil
}

// Row returns the pending row if this commit changed it, else the stored one.
func (c *Commit) Row(key string, rk crdt.RowKey) (crdt.Row, error) {
	id := rowID{key, rk}
	if i, ok := c.pos[id]; ok {
		return c.changes[i].Row, nil
	}
	if row, ok := c.read[id]; ok {
		return row, nil
	}
	row, err := c.s.Row(key, rk)
	if err != nil {
		return crdt.Row{}, err
	}
	if c.read == nil {
		c.read = map[rowID]crdt.Row{}
	}
	c.read[id] = row
	return row, nil
}

// NextDot mints the next own dot. The counter is persisted by this commit's
// batch, so a dot is durable exactly when the rows that use it are, and no
// counter is handed out twice across a crash: an unapplied commit's dots
// were never stored anywhere.
func (c *Commit) NextDot() crdt.Dot {
	c.counter++
	d := crdt.Dot{Origin: c.s.replica, Counter: c.counter}
	c.vv.Add(d) // a minted dot that ends up unused has no effect to miss
	return d
}

// Merge joins delta into the row (key, rk), records the new state as
// pending and returns it. A delta that fails validation, or whose kind is
// not rk's, gives ErrInvalidRow and changes nothing. A delta the row has
// already absorbed records nothing.
func (c *Commit) Merge(key string, rk crdt.RowKey, delta crdt.Row) (crdt.Row, error) {
	if c.done {
		return crdt.Row{}, ErrCommitDone
	}
	if err := checkDelta(rk, delta); err != nil {
		return crdt.Row{}, err
	}
	cur, err := c.Row(key, rk)
	if err != nil {
		return crdt.Row{}, err
	}
	next := crdt.Join(cur, delta)
	if rowsEqual(next, cur) {
		return cur, nil
	}
	c.record(rowID{key, rk}, cur, next)
	// A receiver may claim every dot in the context of a row it applied;
	// with a per-origin-max context that is exactly the latest dots.
	for _, d := range delta.LatestDots() {
		c.vv.Add(d)
		c.seeOwn(d)
	}
	return next, nil
}

// record stores next as the pending state of id; cur is kept the first
// time so that Apply can delete the stored row's index entries.
func (c *Commit) record(id rowID, cur, next crdt.Row) {
	if i, ok := c.pos[id]; ok {
		if c.saving {
			c.undo = append(c.undo, undoEntry{i, c.changes[i].Row})
		}
		c.changes[i].Row = next
		return
	}
	c.pos[id] = len(c.changes)
	c.byKey[id.key] = append(c.byKey[id.key], len(c.changes))
	c.changes = append(c.changes, Change{Key: id.key, RowKey: id.rk, Row: next})
	c.stored = append(c.stored, cur)
}

// seeOwn moves the counter past an own dot found in a delta. That happens
// only if another copy of this directory (a restored backup) minted with
// the same id; skipping past it keeps our next dots unique.
func (c *Commit) seeOwn(d crdt.Dot) {
	if d.Origin == c.s.replica && d.Counter > c.counter {
		c.s.logger.Warn("storage: delta carries an own dot above the counter",
			"dot", d, "counter", c.counter)
		c.counter = d.Counter
	}
}

// JoinVersionVector adds vv to the version vector with this commit's batch
// (catch-up DONE). The caller must have synced the rows vv covers, in an
// earlier commit or in this one.
func (c *Commit) JoinVersionVector(vv *crdt.VersionVector) {
	if !c.done && vv != nil {
		c.vv.Join(vv)
		c.joined = true
	}
}

// Changes returns the rows changed by this commit, in first-Merge order,
// each in its latest state.
func (c *Commit) Changes() []Change {
	out := make([]Change, len(c.changes))
	copy(out, c.changes)
	return out
}

// Len returns the number of rows changed by this commit.
func (c *Commit) Len() int { return len(c.changes) }

// checkDelta refuses deltas the store must not hold: those crdt rejects,
// those of another kind than their row key, and malformed row keys.
func checkDelta(rk crdt.RowKey, delta crdt.Row) error {
	if _, err := crdt.ParseRowKey(rk.Append(nil)); err != nil {
		return fmt.Errorf("%w: row key: %v", ErrInvalidRow, err)
	}
	if err := delta.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRow, err)
	}
	if delta.Kind != rk.Kind {
		return fmt.Errorf("%w: %s delta for a %s row", ErrInvalidRow, delta.Kind, rk.Kind)
	}
	return nil
}
