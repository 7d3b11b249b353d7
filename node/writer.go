package node

import (
	"github.com/shoal-db/shoal/storage"
)

// runWriter is the writer goroutine: it owns the HLC and every storage
// commit. Requests that queue while a commit syncs are taken together into
// the next one, so concurrent writers share fsyncs.
func (db *DB) runWriter() {
	defer close(db.writerDone)
	for {
		select {
		case r := <-db.reqs:
			db.commitGroup(db.gather(r))
		case <-db.quit:
			for {
				select {
				case r := <-db.reqs:
					db.commitGroup(db.gather(r))
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
	n := len(first.ops)
	for n < DefaultMaxBatchWrites {
		select {
		case r := <-db.reqs:
			group = append(group, r)
			n += len(r.ops)
		default:
			return group
		}
	}
	return group
}

// commitGroup applies each request to one storage commit and syncs it. A
// request that fails (a wrong type, say) is rolled back alone; the others
// still commit. Every request gets its answer after the sync.
func (db *DB) commitGroup(group []*request) {
	c := db.store.NewCommit()
	now := db.opts.Now().UnixNano()
	applied := group[:0:0]
	for _, r := range group {
		sp := c.Savepoint()
		if err := db.applyOps(c, r.ops, now); err != nil {
			c.RollbackTo(sp)
			r.done <- err
			continue
		}
		applied = append(applied, r)
	}
	events, err := db.eventsOf(c)
	if err == nil {
		err = c.Apply()
	}
	if err != nil {
		db.log.Error("shoal: commit failed", "err", err)
		err = mapStorageErr(err)
	} else {
		db.hub.publish(events)
	}
	for _, r := range applied {
		r.done <- err
	}
}

// applyOps applies one request's writes to c, in order.
func (db *DB) applyOps(c *storage.Commit, ops []op, now int64) error {
	for _, o := range ops {
		if err := db.applyOp(c, o, now); err != nil {
			return err
		}
	}
	return nil
}
