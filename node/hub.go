package node

import (
	"fmt"
	"sync"
)

// hub keeps the latest committed events in a bounded ring for watchers.
// Writers append and never wait; each watcher reads at its own pace and is
// told when it has fallen off the end. Safe for concurrent use.
//
// A cursor is the run number of the directory (storage counts every Open)
// in its high 32 bits and the event's sequence number in the low 32:
// cursors grow across restarts, and a cursor from an earlier run is
// recognised as expired rather than mistaken for one of this run.
type hub struct {
	epoch     uint64
	maxEvents int
	maxBytes  int

	mu struct {
		sync.Mutex
		ring   []Event // circular; len(ring) == maxEvents once grown
		first  int     // index in ring of the oldest event
		count  int     // events held; their cursors are contiguous
		bytes  int
		seq    uint64        // sequence of the latest event
		wake   chan struct{} // closed and replaced on each publish
		closed bool
	}
}

func newHub(run uint64, maxEvents, maxBytes int) *hub {
	h := &hub{epoch: uint64(uint32(run)) << 32, maxEvents: maxEvents, maxBytes: maxBytes}
	h.mu.wake = make(chan struct{})
	return h
}

func (h *hub) head() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.epoch | h.mu.seq
}

// publish stamps events with cursors and appends them, dropping the
// oldest beyond the bounds. O(1) per event: a full ring overwrites.
func (h *hub) publish(events []Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range events {
		h.mu.seq++
		e.Cursor = h.epoch | h.mu.seq
		if h.mu.count == h.maxEvents {
			h.dropOldestLocked()
		}
		if h.mu.count == len(h.mu.ring) {
			h.growLocked()
		}
		h.mu.ring[(h.mu.first+h.mu.count)%len(h.mu.ring)] = e
		h.mu.count++
		h.mu.bytes += e.size()
		for h.mu.bytes > h.maxBytes && h.mu.count > 1 {
			h.dropOldestLocked()
		}
	}
	close(h.mu.wake)
	h.mu.wake = make(chan struct{})
}

// growLocked doubles the ring, up to maxEvents, keeping the order: memory
// follows use, and an idle node does not hold a full ring.
func (h *hub) growLocked() {
	ring := make([]Event, min(max(2*len(h.mu.ring), 64), h.maxEvents))
	for i := range h.mu.count {
		ring[i] = h.mu.ring[(h.mu.first+i)%len(h.mu.ring)]
	}
	h.mu.ring, h.mu.first = ring, 0
}

func (h *hub) dropOldestLocked() {
	h.mu.bytes -= h.mu.ring[h.mu.first].size()
	h.mu.ring[h.mu.first] = Event{} // release its value
	h.mu.first = (h.mu.first + 1) % len(h.mu.ring)
	h.mu.count--
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
	first := h.mu.seq - uint64(h.mu.count) + 1 // sequence of the oldest event
	next := since&seqMask + 1
	if next < first {
		return nil, since, nil, fmt.Errorf("%w: cursor %d is older than the %d events kept", ErrCursorExpired, since, h.mu.count)
	}
	if next > h.mu.seq {
		return nil, since, h.mu.wake, nil
	}
	var out []Event
	read := since
	for i := int(next - first); i < h.mu.count; i++ {
		e := h.mu.ring[(h.mu.first+i)%len(h.mu.ring)]
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
