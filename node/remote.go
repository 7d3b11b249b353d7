package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// remoteApply is one message's step from a peer, applied by the writer in
// one synced commit like local writes.
type remoteApply struct {
	step   protocol.Step
	source crdt.ReplicaID
	// failed is shared by every request of one session. A session keeps
	// several requests in flight; once one fails, the writer refuses the
	// rest, so that no later claim (a Done, a Push's range) commits
	// without the rows of the request that failed.
	failed *atomic.Bool
}

var errSessionFailed = errors.New("shoal: an earlier message of this session failed")

// applyRemoteRows applies a peer's step to c (protocol.Step.Apply: rows
// merged, claims joined), refusing counter rows of another origin. The
// rows' timestamps move the local clock forward, except those too far
// ahead (the row is still stored unchanged, the clock is not dragged
// along).
func (db *DB) applyRemoteRows(c *storage.Commit, ra *remoteApply, now int64, touch func(rowRef)) (err error) {
	if ra.failed.Load() {
		return errSessionFailed
	}
	defer func() {
		if err != nil {
			ra.failed.Store(true)
		}
	}()
	hooks := protocol.RowHooks{
		Check: func(r wire.Row, rk crdt.RowKey) error {
			if err := checkCounterRow(rk, r.Row); err != nil {
				return fmt.Errorf("%w: key %q: %v", storage.ErrInvalidRow, r.Key, err)
			}
			db.observe(r.Row, now)
			return nil
		},
		Applied: func(key string, rk crdt.RowKey, before, after crdt.Row) error {
			touch(rowRef{key, rk})
			if !before.Live() && after.Live() {
				return noteKinds(c, key)
			}
			return nil
		},
	}
	if err := ra.step.Apply(c, ra.source, hooks); err != nil {
		return err
	}
	if ra.step.BootstrapDone != nil {
		db.log.Info("shoal: bootstrap done", "from", ra.source, "vector_ranges", ra.step.BootstrapDone.Ranges())
	}
	return nil
}

// checkCounterRow refuses a counter row holding another origin's entries:
// each origin's share is written only by that origin.
func checkCounterRow(rk crdt.RowKey, row crdt.Row) error {
	if rk.Kind != crdt.KindCounter {
		return nil
	}
	origin := crdt.ReplicaID(binary.BigEndian.Uint64([]byte(rk.Name)))
	for _, e := range row.Entries {
		if e.Dot.Origin != origin {
			return fmt.Errorf("counter row of %s holds an entry of %s", origin, e.Dot.Origin)
		}
	}
	return nil
}

// observe moves the clock past a remote row's timestamps. A row too far
// ahead is logged at most once a minute: a peer with a wild clock must not
// flood the log either.
func (db *DB) observe(row crdt.Row, now int64) {
	for _, e := range row.Entries {
		err := db.clock.Observe(e.Time, now)
		if err != nil && now-db.clockWarned > int64(time.Minute) {
			db.clockWarned = now
			db.log.Warn("shoal: remote clock ahead; local clock kept", "err", err, "dot", e.Dot)
		}
	}
}

// noteKinds lists key as multi-kind when a row coming alive from a peer
// leaves it with live rows of more than one type: the concurrent creation
// with different types that sync.md resolves by (HLC, origin). Local writes
// cannot do that (ErrWrongType), so only remote rows are checked.
func noteKinds(c *storage.Commit, key string) error {
	kinds, err := c.LiveKinds(key)
	if err == nil && len(kinds) > 1 {
		c.MarkMultiKind(key)
	}
	return err
}
