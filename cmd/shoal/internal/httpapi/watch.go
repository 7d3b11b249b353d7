package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/node"
)

// Change is the data of a watch event "put" or "delete": the key, its type
// and its value as the GET of that type gives it (null on delete).
type Change struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Reset is the data of a watch event "reset": why the stream cannot go on.
// The client must start again without a cursor.
type Reset struct {
	Reason string `json:"reason"`
}

// snapshotID is the id of the snapshot events and of reset. It is never a
// node cursor, and resuming with it starts afresh: a client cut off in the
// middle of the snapshot must get the whole snapshot again, which resuming
// from the cursor taken before it would not give.
const snapshotID = 0

// watch streams the keys under ?prefix= as Server-Sent Events. Without a
// cursor it first sends every current key ("put" events with id 0), then
// "ready" with the cursor taken before that read, then live changes, each
// with its own cursor as id. With a cursor (Last-Event-ID, or ?since=) it
// sends only the changes after that cursor. See describe for how set and
// map changes are described.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	since, err := resumeCursor(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	prefix := r.URL.Query().Get("prefix")
	defer s.metrics.WatchStarted()()
	s.metrics.Op("watch")
	st := newEventStream(w, s.opts.WriteTimeout)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // ends the node watch and its pump
	go func() {
		// Shutdown ends the stream, even in the middle of a snapshot: the
		// scan holds a read on the node, which Close waits for.
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	if since == snapshotID {
		if since, err = s.sendSnapshot(ctx, st, prefix); err != nil {
			s.endWatch(err)
			return
		}
	}
	s.endWatch(s.sendLive(ctx, st, prefix, since))
}

// resumeCursor reads Last-Event-ID, else ?since=; 0 when neither is given.
func resumeCursor(r *http.Request) (uint64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("since")
	}
	if v == "" {
		return snapshotID, nil
	}
	c, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errors.New("bad watch cursor " + strconv.Quote(v) + ": want the id of an event")
	}
	return c, nil
}

// sendSnapshot sends every live key with the prefix, then "ready", and
// returns the cursor to follow from. The cursor is taken before the read,
// so a change committed during the read is sent again live: never lost.
func (s *Server) sendSnapshot(ctx context.Context, st *eventStream, prefix string) (uint64, error) {
	c := s.db.Cursor()
	n := 0
	for rec, err := range s.db.Scan(ctx, node.ScanOptions{Prefix: prefix}) {
		if err != nil {
			return 0, err
		}
		if err := st.send(snapshotID, "put", Change{Key: rec.Key, Type: rec.Type.String(), Value: valueOf(rec)}); err != nil {
			return 0, err
		}
		n++
	}
	return c, st.send(c, "ready", map[string]int{"keys": n})
}

// watchItem carries one result of the node's watch iterator to the stream.
type watchItem struct {
	ev  node.Event
	err error
}

// sendLive relays the node's changes after since, with heartbeats, until
// the client leaves or the server shuts down (ctx ends), or the cursor
// expires.
func (s *Server) sendLive(ctx context.Context, st *eventStream, prefix string, since uint64) error {
	items := make(chan watchItem)
	go pump(ctx, s.db, node.WatchOptions{Prefix: prefix, Since: since}, items)
	ping := time.NewTicker(s.opts.Heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			if err := st.comment("ping"); err != nil {
				return err
			}
		case it, ok := <-items:
			if !ok {
				return nil
			}
			if err := s.relay(ctx, st, it); err != nil {
				return err
			}
		}
	}
}

// pump runs the node's blocking watch iterator and hands its results over
// until ctx ends; the node keeps events in a ring, so a slow pump never
// holds writers back.
func pump(ctx context.Context, db *node.DB, opts node.WatchOptions, out chan<- watchItem) {
	defer close(out)
	for e, err := range db.Watch(ctx, opts) {
		select {
		case out <- watchItem{e, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// relay sends one node event, or a reset when the cursor expired.
func (s *Server) relay(ctx context.Context, st *eventStream, it watchItem) error {
	if errors.Is(it.err, node.ErrCursorExpired) {
		if err := st.send(snapshotID, "reset", Reset{Reason: it.err.Error()}); err != nil {
			return err
		}
		return errResetSent
	}
	if it.err != nil {
		return it.err
	}
	kind, change, err := s.describe(ctx, it.ev)
	if err != nil {
		return err
	}
	return st.send(it.ev.Cursor, kind, change)
}

var errResetSent = errors.New("watch cursor expired; reset sent")

// endWatch logs why a stream ended, when that is worth knowing.
func (s *Server) endWatch(err error) {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, node.ErrClosed):
	case errors.Is(err, errResetSent):
		s.log.Info("watch: cursor expired, client told to start again")
	case errors.Is(err, errTooSlow):
		s.log.Warn("watch: client too slow to read, cut off", "err", err)
	default:
		s.log.Warn("watch ended", "err", err)
	}
}
