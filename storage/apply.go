package storage

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Apply writes the commit's rows, their dot index changes, the version
// vector parts it changes and the own counter in one Pebble batch, synced
// once: a crash leaves all or none of them. On success the in-memory
// vector and counter advance. A commit with no changed rows and no joined
// vector writes nothing. After Apply, successful or not, the Commit is done.
func (c *Commit) Apply() error {
	if c.done {
		return ErrCommitDone
	}
	c.done = true
	if len(c.changes) == 0 && !c.joined && len(c.multi) == 0 {
		return nil
	}
	if err := c.s.checkOpen(); err != nil {
		return err
	}
	b := c.s.db.NewBatch()
	defer b.Close()
	if err := c.writeRows(b); err != nil {
		return err
	}
	if err := c.writeMeta(b); err != nil {
		return err
	}
	for key := range c.multi {
		if err := b.Set(multiKey(key), nil, nil); err != nil {
			return err
		}
	}
	n := c.s.beginSync()
	err := b.Commit(pebble.Sync)
	c.s.endSync(n)
	if err != nil {
		// The batch may still have reached the disk: never hand out this
		// commit's dots again. The vector does not advance; at worst the
		// own part has a hole until the next Open fills it. (A failed WAL
		// write or sync does not get here: Pebble treats it as fatal and
		// calls Logger.Fatalf, which panics.)
		c.s.advance(nil, c.counter)
		return err
	}
	c.s.advance(&c.vv, c.counter)
	c.s.addMulti(c.multi)
	return nil
}

// writeRows adds every changed row and its index changes to b.
func (c *Commit) writeRows(b *pebble.Batch) error {
	for i, ch := range c.changes {
		dk := dataKey(ch.Key, ch.RowKey)
		val, err := crdt.EncodeRow(ch.Row)
		if err != nil {
			return err
		}
		if err := b.Set(dk, val, nil); err != nil {
			return err
		}
		if err := updateIndex(b, dk, c.stored[i], ch.Row); err != nil {
			return err
		}
	}
	return nil
}

// updateIndex replaces the index entries of a row's stored state (old)
// with those of its new state: one per origin's latest dot. Contexts only
// grow, so an origin whose latest dot did not move keeps its entry.
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
// origins whose part changes. Only one commit is applied at a time, so the
// in-memory state read here is the stored state this batch builds on.
func (c *Commit) writeMeta(b *pebble.Batch) error {
	if c.counter > c.s.LastCounter() {
		if err := b.Set(dotsKey, encodeUint64(c.counter), nil); err != nil {
			return err
		}
	}
	old := c.s.VersionVector()
	next := old.Clone()
	next.Join(&c.vv)
	for _, o := range c.vv.Origins() {
		before, err := encodeVVPart(old, o)
		if err != nil {
			return err
		}
		after, err := encodeVVPart(next, o)
		if err != nil {
			return err
		}
		if bytes.Equal(before, after) {
			continue
		}
		if err := b.Set(vvKey(o), after, nil); err != nil {
			return err
		}
	}
	return nil
}
