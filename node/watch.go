package node

import (
	"context"
	"iter"
	"strings"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
)

// Event is one committed change to one row of a key: a register, one set
// member, one map field, or a counter.
type Event struct {
	// Cursor identifies the event; pass it as WatchOptions.Since to resume
	// right after it. Cursors grow in commit order.
	Cursor  uint64
	Key     string
	Type    Type
	Deleted bool   // the register, member or field was removed
	Field   string // the set member or map field; empty otherwise
	Value   []byte // the register's or map field's winning value
	Counter int64  // the counter's total after the change
}

func (e Event) size() int { return len(e.Key) + len(e.Field) + len(e.Value) + 64 }

// WatchOptions selects the events Watch delivers.
type WatchOptions struct {
	// Prefix selects keys; empty watches every key.
	Prefix string
	// Since resumes after the event with this cursor. Zero starts with the
	// next commit. A cursor the DB no longer holds gives ErrCursorExpired.
	Since uint64
}

// Cursor returns the cursor of the latest committed event. Reading the
// current state after taking it, then watching Since it, misses nothing.
func (db *DB) Cursor() uint64 { return db.hub.head() }

// Watch returns every change committed on this node to keys with the
// prefix, in commit order, starting after opts.Since. It blocks for new
// commits until ctx ends (then it stops without an error) or the DB closes
// (ErrClosed). Watchers never slow writers: commits are kept in a bounded
// buffer (Options.WatchEvents, WatchBytes) and a watcher that falls behind
// its start gets ErrCursorExpired and must start again.
func (db *DB) Watch(ctx context.Context, opts WatchOptions) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		since := opts.Since
		if since == 0 {
			since = db.hub.head()
		}
		for {
			events, read, wait, err := db.hub.after(since, opts.Prefix)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, e := range events {
				if !yield(e, nil) {
					return
				}
			}
			since = read
			if wait == nil {
				continue
			}
			select {
			case <-wait:
			case <-ctx.Done():
				return
			}
		}
	}
}

// eventsOf describes a commit's changes as events, before it is applied.
// A counter's total after the commit is read once per key, from the
// total storage keeps (two seeks, however many origins the counter has).
func (db *DB) eventsOf(c *storage.Commit) ([]Event, error) {
	changes := c.Changes()
	events := make([]Event, 0, len(changes))
	totals := map[string]int64{}
	for _, ch := range changes {
		e := Event{Key: ch.Key, Type: ch.RowKey.Kind, Deleted: !ch.Row.Live()}
		switch ch.RowKey.Kind {
		case crdt.KindCounter:
			total, ok := totals[ch.Key]
			if !ok {
				var err error
				if total, err = c.CounterTotal(ch.Key); err != nil {
					return nil, err
				}
				totals[ch.Key] = total
			}
			e.Counter = total
		case crdt.KindRegister, crdt.KindMap:
			w, _ := ch.Row.Winner()
			e.Value = w.Value
		}
		if ch.RowKey.Kind == crdt.KindSet || ch.RowKey.Kind == crdt.KindMap {
			e.Field = ch.RowKey.Name
		}
		events = append(events, e)
	}
	return events, nil
}

// matches reports whether the event's key has the prefix.
func (e Event) matches(prefix string) bool { return strings.HasPrefix(e.Key, prefix) }
