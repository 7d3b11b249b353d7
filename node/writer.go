package node

import (
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
)

// runWriter is the writer goroutine: it owns the HLC and every storage
// commit. Requests that queue while a commit syncs are taken together into
// the next one, so concurrent writers share fsyncs.
func (db *DB) runWriter() {
	defer close(db.writerDone)
	syncq := make(chan *inflight, 2) // commits whose sync may be under way
	syncerDone := make(chan struct{})
	go db.runSyncer(syncq, syncerDone)
	defer func() { close(syncq); <-syncerDone }()
	for {
		select {
		case r := <-db.reqs:
			db.commitGroup(db.gather(r), syncq)
		case <-db.rekey:
			db.rekeyNow(syncq)
		case <-db.quit:
			for {
				select {
				case r := <-db.reqs:
					db.commitGroup(db.gather(r), syncq)
				default:
					return
				}
			}
		}
	}
}

// gather takes first and every request already waiting, up to
// DefaultMaxBatchWrites writes, without blocking.
func (db *DB) gather(first *request) []*request {
	group := []*request{first}
	n := first.size()
	for n < DefaultMaxBatchWrites {
		select {
		case r := <-db.reqs:
			group = append(group, r)
			n += r.size()
		default:
			return group
		}
	}
	return group
}

func (r *request) size() int {
	if r.remote != nil {
		return len(r.remote.step.Rows)
	}
	return len(r.ops)
}

// rowRef names one row of one key.
type rowRef struct {
	key string
	rk  crdt.RowKey
}

// inflight is a commit handed to Pebble, waiting for its sync before its
// callers are answered and its changes go out.
type inflight struct {
	barrier chan struct{} // if set, only closed once every earlier commit is synced
	pending *storage.Pending
	applied []*request
	events  []Event
	changes []storage.Change
	sources map[rowRef]crdt.ReplicaID
}

// commitGroup applies each request to one storage commit and starts its
// sync. A request that fails (a wrong type, a bad row from a peer) is
// rolled back alone; the others still commit. The syncer answers them.
func (db *DB) commitGroup(group []*request, syncq chan<- *inflight) {
	c := db.store.NewCommit()
	now := db.opts.Now().UnixNano()
	f := &inflight{sources: map[rowRef]crdt.ReplicaID{}}
	for _, r := range group {
		if err := db.applyRequest(c, r, now, f.sources); err != nil {
			r.finish(err)
			continue
		}
		f.applied = append(f.applied, r)
	}
	events, err := db.eventsOf(c)
	f.events, f.changes = events, c.Changes()
	if err == nil {
		f.pending, err = c.Start()
	}
	if err != nil {
		db.log.Error("shoal: commit failed", "err", err)
		failAll(f.applied, mapStorageErr(err))
		return
	}
	syncq <- f
}

// runSyncer waits for each started commit's sync, in order; only then are
// its writes acknowledged, shown to watchers and pushed to peers. Running
// it beside the writer lets the next group be built while this one syncs.
func (db *DB) runSyncer(syncq <-chan *inflight, done chan<- struct{}) {
	defer close(done)
	for f := range syncq {
		if f.barrier != nil {
			close(f.barrier)
			continue
		}
		if err := f.pending.Wait(); err != nil {
			db.log.Error("shoal: commit failed", "err", err)
			failAll(f.applied, mapStorageErr(err))
			continue
		}
		db.hub.publish(f.events)
		db.repl.publish(f.changes, f.sources)
		answer(f.applied, nil)
	}
}

// failAll answers rs with err, and marks the peer sessions among them
// failed so that their later messages are refused too.
func failAll(rs []*request, err error) {
	for _, r := range rs {
		if r.remote != nil {
			r.remote.failed.Store(true)
		}
	}
	answer(rs, err)
}

func answer(rs []*request, err error) {
	for _, r := range rs {
		r.finish(err)
	}
}

// applyRequest applies one request under a savepoint, rolling it back
// alone if it fails, and records which peer each row it touched came from.
func (db *DB) applyRequest(c *storage.Commit, r *request, now int64, sources map[rowRef]crdt.ReplicaID) error {
	sp := c.Savepoint()
	var touched []rowRef
	touch := func(ref rowRef) { touched = append(touched, ref) }
	var err error
	var source crdt.ReplicaID
	if r.remote != nil {
		source = r.remote.source
		err = db.applyRemoteRows(c, r.remote, now, touch)
	} else {
		err = db.applyOps(c, r.ops, now, touch)
	}
	if err != nil {
		c.RollbackTo(sp)
		return err
	}
	for _, ref := range touched {
		src := source
		if prev, ok := sources[ref]; ok && prev != src {
			src = 0 // more than one hand in the change: send it to everyone
		}
		sources[ref] = src
	}
	return nil
}

// applyOps applies one request's writes to c, in order.
func (db *DB) applyOps(c *storage.Commit, ops []op, now int64, touch func(rowRef)) error {
	for _, o := range ops {
		ref, err := db.applyOp(c, o, now)
		if err != nil {
			return err
		}
		touch(ref)
	}
	return nil
}
