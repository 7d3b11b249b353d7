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
	self    crdt.ReplicaID // the store's replica id when the commit began
	changes []Change       // in first-Merge order, each row's latest state
	stored  []crdt.Row     // the stored state of each changed row, for its old index entries
	pos     map[rowID]int  // index into changes
	byKey   map[string][]int
	counter uint64             // last own counter minted or seen by this commit
	vv      crdt.VersionVector // dots this commit adds to the version vector
	direct  crdt.VersionVector // those of them learnt firsthand (see vectors.go)
	joined  bool               // JoinVersionVector was called: not empty even with no rows
	done    bool
	read    map[rowID]crdt.Row        // stored rows read by this commit, so each is read once
	iter    *pebble.Iterator          // for LiveKinds; see iterator
	live    liveCache                 // stored live counts read by this commit (livecount.go)
	multi   map[string]bool           // keys to list as multi-kind (MarkMultiKind)
	undo    []undoEntry               // rows overwritten since the first savepoint, for RollbackTo
	saving  bool                      // a savepoint is open: record undo entries
	indexed map[crdt.ReplicaID]uint64 // the highest latest dot per origin of its rows
	// boot is the bootstrap state after this commit; bootChanged says the
	// commit changes it (see bootstrap.go).
	boot        *BootstrapState
	bootChanged bool
	// deltas holds how the pending rows change the records of the keys
	// asked for (pendingDelta, livecount.go).
	deltas map[string]keyDelta
}

// NewCommit starts an empty commit.
func (s *Store) NewCommit() *Commit {
	return &Commit{
		s:       s,
		self:    s.ReplicaID(),
		pos:     map[rowID]int{},
		byKey:   map[string][]int{},
		counter: s.applied.counter,
		boot:    s.applied.boot,
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
	d := crdt.Dot{Origin: c.self, Counter: c.counter}
	c.vv.Add(d) // a minted dot that ends up unused has no effect to miss
	c.direct.Add(d)
	return d
}

// Merge joins delta into the row (key, rk), records the new state as
// pending, adds the delta's dots to the version vector and returns the new
// state. A delta that fails validation, or whose kind is not rk's, gives
// ErrInvalidRow; one holding an own dot above the counter gives
// ErrOwnDotAhead; either changes nothing. A delta the row has already
// absorbed records nothing.
func (c *Commit) Merge(key string, rk crdt.RowKey, delta crdt.Row) (crdt.Row, error) {
	next, err := c.MergeUnclaimed(key, rk, delta)
	if err != nil {
		return next, err
	}
	// A receiver may claim every dot in the context of a row it applied;
	// with a per-origin-max context that is exactly the latest dots.
	for _, d := range delta.Context {
		c.vv.Add(d)
		c.direct.Add(d)
	}
	return next, nil
}

// MergeUnclaimed is Merge without adding the delta's dots to the version
// vector: for rows whose dots are claimed another way (a bootstrap claims
// its snapshots' vectors at the end), so that rows arriving in any order
// cannot grow the vector a range per row.
func (c *Commit) MergeUnclaimed(key string, rk crdt.RowKey, delta crdt.Row) (crdt.Row, error) {
	if c.done {
		return crdt.Row{}, ErrCommitDone
	}
	if err := checkDelta(rk, delta); err != nil {
		return crdt.Row{}, err
	}
	if err := c.checkOwnDots(delta); err != nil {
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
	return next, nil
}

// record stores next as the pending state of id; cur is kept the first
// time so that Apply can delete the stored row's index entries.
func (c *Commit) record(id rowID, cur, next crdt.Row) {
	i, ok := c.pos[id]
	if !ok {
		i = len(c.changes)
	}
	c.notePending(i, id, cur, next)
	if ok {
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

// checkOwnDots refuses a delta holding an own dot above the counter: this
// node never minted it, so either another copy of this directory did (a
// restored backup, a clone) or a peer made it up. Taking it would move the
// counter (a dot at 2^64-1 would leave no counter to mint) or hide the
// clash; the caller ends the session instead (see ErrOwnDotAhead).
func (c *Commit) checkOwnDots(delta crdt.Row) error {
	if m := delta.Context.Max(c.self); m > c.counter {
		return fmt.Errorf("%w: dot %d, counter %d", ErrOwnDotAhead, m, c.counter)
	}
	return nil
}

// JoinVersionVector adds vv, a claim made by the peer from, to the version
// vector with this commit's batch (catch-up DONE, a Push). The caller must
// have synced the rows vv covers, in an earlier commit or in this one.
// from's own part is firsthand (see vectors.go); from 0 vouches for none.
// vv's part of this node's own origin is left out: the node knows its own
// dots (every one up to the counter is in its vector already), and a claim
// above the counter would cover dots it has not minted.
func (c *Commit) JoinVersionVector(vv *crdt.VersionVector, from crdt.ReplicaID) {
	if c.done || vv == nil {
		return
	}
	for _, o := range vv.Origins() {
		if o == c.self {
			continue
		}
		part := vv.Part(o)
		c.vv.Join(part)
		if o == from {
			c.direct.Join(part)
		}
	}
	c.joined = true
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
