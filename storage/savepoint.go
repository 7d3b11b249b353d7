package storage

import "github.com/shoal-db/shoal/crdt"

// Savepoint marks a state of a Commit to roll back to. The node's writer
// takes one before each caller's writes, so that a caller whose batch fails
// half way (a key of another type) leaves nothing in the shared commit, not
// even a used dot: a dot minted and dropped would be a permanent hole in
// this node's version vector.
type Savepoint struct {
	changes int
	undo    int
	counter uint64
	vv      *crdt.VersionVector
	direct  *crdt.VersionVector
	joined  bool
	boot    *BootstrapState
	bootChg bool
}

type undoEntry struct {
	i   int
	row crdt.Row
}

// Savepoint returns the commit's current state for RollbackTo.
func (c *Commit) Savepoint() Savepoint {
	c.saving = true
	return Savepoint{changes: len(c.changes), undo: len(c.undo), counter: c.counter, vv: c.vv.Clone(), direct: c.direct.Clone(), joined: c.joined,
		boot: c.boot, bootChg: c.bootChanged}
}

// RollbackTo undoes every Merge, NextDot and JoinVersionVector since sp was
// taken. Savepoints taken after sp become invalid.
func (c *Commit) RollbackTo(sp Savepoint) {
	for i := len(c.undo) - 1; i >= sp.undo; i-- {
		c.changes[c.undo[i].i].Row = c.undo[i].row
	}
	c.undo = c.undo[:sp.undo]
	for _, ch := range c.changes[sp.changes:] {
		id := rowID{ch.Key, ch.RowKey}
		delete(c.pos, id)
		ids := c.byKey[ch.Key]
		if ids = ids[:len(ids)-1]; len(ids) == 0 {
			delete(c.byKey, ch.Key)
		} else {
			c.byKey[ch.Key] = ids
		}
	}
	c.changes = c.changes[:sp.changes]
	c.stored = c.stored[:sp.changes]
	c.counter, c.vv, c.direct, c.joined = sp.counter, *sp.vv.Clone(), *sp.direct.Clone(), sp.joined
	c.boot, c.bootChanged = sp.boot, sp.bootChg
	c.deltas = nil // recomputed from the rows left when next asked for
}
