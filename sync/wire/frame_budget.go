package wire

import (
	"fmt"
	"io"
	"sync/atomic"
)

// FreeBytes is how much of a message a Reader buffers without asking its
// Budget, and the size of its first buffer: the frequent small messages
// cost the budget nothing, and a peer that declares a large message but
// sends little makes the Reader hold little.
const FreeBytes = 64 << 10

// Budget bounds the memory that Readers buffer for messages, typically
// shared by every connection of a node, so that peers together cannot
// make it buffer more than a set amount. It must be safe for concurrent
// use. Reserve must not block: it reports at once whether n more bytes
// fit (and takes them if so). A Reader refused fails with ErrBusy rather
// than waiting for others to release, which could deadlock (two
// half-read messages, each waiting for the other's memory).
type Budget interface {
	Reserve(n int) bool
	Release(n int)
}

// SharedBudget is a Budget of a fixed number of bytes. Safe for
// concurrent use.
type SharedBudget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int) *SharedBudget { return &SharedBudget{limit: int64(limit)} }

// Reserve takes n bytes if they fit.
func (b *SharedBudget) Reserve(n int) bool {
	for {
		used := b.used.Load()
		if used+int64(n) > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+int64(n)) {
			return true
		}
	}
}

// Release gives back n bytes taken by Reserve.
func (b *SharedBudget) Release(n int) { b.used.Add(-int64(n)) }

// Used returns the bytes reserved now.
func (b *SharedBudget) Used() int { return int(b.used.Load()) }

// body is a message's bytes as they arrive. Its buffer grows with the
// bytes received, not with the sizes declared: it starts at free bytes
// and doubles, so it is never more than twice what has arrived (or free).
// What it holds beyond free bytes is reserved from budget.
type body struct {
	buf      []byte
	budget   Budget // nil: none
	free     int
	reserved int
}

// readFrom appends size bytes from r.
func (b *body) readFrom(r io.Reader, size int) (n int, err error) {
	end := len(b.buf) + size
	for len(b.buf) < end {
		if len(b.buf) == cap(b.buf) {
			if err := b.grow(end); err != nil {
				return n, err
			}
		}
		k, err := io.ReadFull(r, b.buf[len(b.buf):min(cap(b.buf), end)])
		b.buf = b.buf[:len(b.buf)+k]
		n += k
		if err != nil {
			return n, readError(err)
		}
	}
	return n, nil
}

// grow enlarges the full buffer towards want bytes: to double its size,
// at least free bytes, at most want.
func (b *body) grow(want int) error {
	size := min(want, max(2*cap(b.buf), b.free, 1))
	if need := max(0, size-b.free) - b.reserved; need > 0 && b.budget != nil {
		if !b.budget.Reserve(need) {
			return fmt.Errorf("%w: %d more bytes, %d declared", ErrBusy, need, want)
		}
		b.reserved += need
	}
	buf := make([]byte, len(b.buf), size)
	copy(buf, b.buf)
	b.buf = buf
	return nil
}

// release gives the budget back.
func (b *body) release() {
	if b.reserved > 0 {
		b.budget.Release(b.reserved)
		b.reserved = 0
	}
	b.buf = nil
}
