package node

import (
	"fmt"
	"sync"
)

// hub keeps the latest committed events in a bounded ring for watchers.
// Writers append and never wait; each watcher reads at its own pace and is
// told when it has fallen off the end. Safe for concurrent use.
//
// A cursor is the epoch (the DB's start time in seconds) in its high 32
// bits and the event's sequence number in the low 32: cursors grow across
// restarts, and a cursor from an earlier run is recognised as expired
// rather than mistaken for one of this run.
type hub struct {
	epoch     uint64
	maxEvents int
	maxBytes  int

	mu struct {
		sync.Mutex
		events []Event // oldest first; cursors contiguous
		bytes  int
		seq    uint64        // sequence of the latest event
		wake   chan struct{} // closed and replaced on each publish
		closed bool
	}
}

func newHub(startUnix int64, maxEvents, maxBytes int) *hub {
	h := &hub{epoch: uint64(uint32(startUnix)) << 32, maxEvents: maxEvents, maxBytes: maxBytes}
	h.mu.wake = make(chan struct{})
	return h
}

func (h *hub) head() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.epoch | h.mu.seq
}

// publish stamps events with cursors and appends them, dropping the oldest
// beyond the bounds.
func (h *hub) publish(events []Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range events {
		h.mu.seq++
		e.Cursor = h.epoch | h.mu.seq
		h.mu.events = append(h.mu.events, e)
		h.mu.bytes += e.size()
	}
	drop := 0
	for len(h.mu.events)-drop > h.maxEvents || h.mu.bytes > h.maxBytes && drop < len(h.mu.events)-1 {
		h.mu.bytes -= h.mu.events[drop].size()
		drop++
	}
	if drop > 0 {
		h.mu.events = append(h.mu.events[:0:0], h.mu.events[drop:]...)
	}
	close(h.mu.wake)
	h.mu.wake = make(chan struct{})
}

// after returns up to 256 events after cursor since that match prefix, and
// the cursor the caller has now read up to (events that do not match are
// passed over). When nothing is left to read it returns a channel closed at
// the next publish.
func (h *hub) after(since uint64, prefix string) ([]Event, uint64, <-chan struct{}, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mu.closed {
		return nil, since, nil, ErrClosed
	}
	const seqMask = 1<<32 - 1
	if since&^seqMask != h.epoch || since&seqMask > h.mu.seq {
		return nil, since, nil, fmt.Errorf("%w: cursor %d is not from this run of the node", ErrCursorExpired, since)
	}
	first := h.mu.seq - uint64(len(h.mu.events)) + 1 // sequence of events[0]
	next := since&seqMask + 1
	if next < first {
		return nil, since, nil, fmt.Errorf("%w: cursor %d is older than the %d events kept", ErrCursorExpired, since, len(h.mu.events))
	}
	if next > h.mu.seq {
		return nil, since, h.mu.wake, nil
	}
	var out []Event
	read := since
	for _, e := range h.mu.events[next-first:] {
		read = e.Cursor
		if e.matches(prefix) {
			out = append(out, e)
			if len(out) == 256 {
				break
			}
		}
	}
	return out, read, nil, nil
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mu.closed = true
	close(h.mu.wake)
	h.mu.wake = make(chan struct{})
}
