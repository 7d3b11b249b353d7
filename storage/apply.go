package storage

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Apply writes the commit's rows, their dot index changes, the version
// vector parts it changes and the own counter in one Pebble batch, synced
// once: a crash leaves all or none of them. On success the in-memory
// vector and counter advance. A commit with no changed rows and no joined
// vector writes nothing. After Apply, successful or not, the Commit is done.
func (c *Commit) Apply() error {
	p, err := c.Start()
	if err != nil {
		return err
	}
	return p.Wait()
}

// Pending is a commit handed to Pebble whose sync may be under way.
type Pending struct {
	s       *Store
	b       *pebble.Batch   // nil for an empty commit
	n       uint64          // its number for waitSynced
	change  vectorChange    // what this commit changes of the vectors
	boot    *BootstrapState // the bootstrap state after it
	counter uint64
	multi   map[string]bool
}

// Start hands the commit's batch to Pebble without waiting for its sync,
// so that the caller can build the next commit meanwhile (Pebble syncs the
// WAL in order, so a later commit is never durable before an earlier one).
// Nothing of it may be acknowledged, or sent to a peer, before Wait
// returns; the next Commit may build on it at once. Start and the next
// NewCommit must be called by the same goroutine.
func (c *Commit) Start() (*Pending, error) {
	if c.done {
		return nil, ErrCommitDone
	}
	c.done = true
	c.closeIterator()
	p := &Pending{s: c.s, counter: c.counter, multi: c.multi}
	if len(c.changes) == 0 && !c.joined && len(c.multi) == 0 && !c.bootChanged {
		return p, nil
	}
	if err := c.s.checkOpen(); err != nil {
		return nil, err
	}
	b := c.s.db.NewBatch()
	change, err := c.fill(b)
	if err == nil {
		p.n = c.s.beginSync()
		if err = c.s.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
			c.s.endSync(p.n)
		}
	}
	// Never hand out this commit's dots again, whatever happened: the
	// batch may have reached the disk.
	c.s.applied.counter = max(c.s.applied.counter, c.counter)
	if err != nil {
		b.Close()
		c.s.advance(nil, nil, c.counter)
		return nil, err
	}
	c.s.applied.vv.apply(change)
	c.s.applied.boot = c.boot
	c.s.index.raise(c.indexed)
	p.b, p.change, p.boot = b, change, c.boot
	return p, nil
}

// fill writes the commit into b and returns what it changes of the
// version vectors.
func (c *Commit) fill(b *pebble.Batch) (vectorChange, error) {
	if err := c.writeRows(b); err != nil {
		return vectorChange{}, err
	}
	if err := c.writeLiveCounts(b); err != nil {
		return vectorChange{}, err
	}
	change, err := c.writeMeta(b)
	if err != nil {
		return vectorChange{}, err
	}
	if err := c.writeBootstrap(b); err != nil {
		return vectorChange{}, err
	}
	for key := range c.multi {
		if err := b.Set(multiKey(key), nil, nil); err != nil {
			return vectorChange{}, err
		}
	}
	return change, nil
}

// Wait waits for the commit's sync; then the in-memory vector and counter
// advance. Pendings must be waited for in the order they were started.
// (A failed WAL sync does not return here: Pebble treats it as fatal.)
func (p *Pending) Wait() error {
	if p.b == nil {
		return nil
	}
	err := p.b.SyncWait()
	p.s.endSync(p.n)
	p.b.Close()
	if err != nil {
		p.s.advance(nil, nil, p.counter)
		return err
	}
	p.s.advance(&p.change, p.boot, p.counter)
	p.s.addMulti(p.multi)
	return nil
}

// writeRows adds every changed row and its index changes to b.
func (c *Commit) writeRows(b *pebble.Batch) error {
	c.indexed = map[crdt.ReplicaID]uint64{}
	for i, ch := range c.changes {
		noteIndexed(c.indexed, ch.Row)
		dk := dataKey(ch.Key, ch.RowKey)
		if err := writeRow(b, dk, ch.Row); err != nil {
			return err
		}
		if err := c.writeBaseline(b, dk, ch, c.stored[i]); err != nil {
			return err
		}
		if err := updateIndex(b, dk, c.stored[i], ch.Row); err != nil {
			return err
		}
	}
	return nil
}

// writeRow sets the row, or deletes it if it has seen nothing (a
// re-issue can take a row back to before it existed).
func writeRow(b *pebble.Batch, dk []byte, row crdt.Row) error {
	if row.IsZero() {
		return b.Delete(dk, nil)
	}
	val, err := crdt.EncodeRow(row)
	if err != nil {
		return err
	}
	return b.Set(dk, val, nil)
}

// updateIndex replaces the index entries of a row's stored state (old)
// with those of its new state: one per origin's latest dot. An origin
// whose latest dot did not move keeps its entry. (Contexts only grow,
// except in a re-issue, which sets an origin back to an earlier dot of the
// same row or drops it.)
func updateIndex(b *pebble.Batch, dk []byte, old, next crdt.Row) error {
	for _, d := range old.LatestDots() {
		if next.Context.Max(d.Origin) != d.Counter {
			if err := b.Delete(indexKey(d), nil); err != nil {
				return err
			}
		}
	}
	for _, d := range next.LatestDots() {
		if old.Context.Max(d.Origin) != d.Counter {
			if err := b.Set(indexKey(d), dk, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeMeta adds the own counter and the version vector parts of the
// origins whose part changes, against the applied state this batch builds
// on, and returns those parts. They are trimmed to MaxVectorRanges per
// origin: rows applied one by one in any order (a catch-up of keys written
// more than once) would otherwise add a range each, until no Hello fits a
// frame and the vector no longer decodes.
func (c *Commit) writeMeta(b *pebble.Batch) (vectorChange, error) {
	if c.counter > c.s.applied.counter {
		if err := b.Set(dotsKey, encodeUint64(c.counter), nil); err != nil {
			return vectorChange{}, err
		}
	}
	old := c.s.applied.vv
	all, err := changedParts(b, vvPrefix, old.all, &c.vv, c.s.maxRanges)
	if err != nil {
		return vectorChange{}, err
	}
	direct, err := changedParts(b, dvPrefix, old.direct, &c.direct, c.s.maxRanges)
	return vectorChange{all, direct}, err
}
