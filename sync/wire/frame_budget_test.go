package wire

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// streamOf returns m written in frames of 4 KiB, and its body size.
func streamOf(t *testing.T, m *Message) ([]byte, int) {
	var buf bytes.Buffer
	if _, err := NewWriterSize(&buf, 4<<10).Write(m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), len(mustEncode(t, m))
}

// TestReceiveBudget: a Reader asks its budget for what it buffers beyond
// FreeBytes; a message that does not fit gives ErrBusy; either way the
// budget is whole again once Read returns.
func TestReceiveBudget(t *testing.T) {
	m := pushOf(200 << 10)
	stream, size := streamOf(t, m)
	over := size - FreeBytes // what the message needs from the budget
	cases := []struct {
		name  string
		limit int
		held  int // reserved by someone else
		want  error
	}{
		{"fits exactly", over, 0, nil},
		{"room to spare", 2 * over, 0, nil},
		{"one byte short", over - 1, 0, ErrBusy},
		{"held by another reader", over, 1, ErrBusy},
		{"no budget at all", 0, 0, ErrBusy},
	}
	for _, c := range cases {
		b := NewBudget(c.limit)
		if c.held > 0 && !b.Reserve(c.held) {
			t.Fatal("Reserve within the limit refused")
		}
		_, _, err := NewReaderWith(bytes.NewReader(stream), &ReaderOptions{MaxFrameSize: 4 << 10, Budget: b}).Read()
		if c.want == nil && err != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: Read = %v, want %v", c.name, err, c.want)
		}
		if b.Used() != c.held {
			t.Errorf("%s: %d bytes still reserved after Read, want %d", c.name, b.Used(), c.held)
		}
	}
}

// TestSmallMessagesCostNoBudget: messages up to FreeBytes go through a
// budget of zero.
func TestSmallMessagesCostNoBudget(t *testing.T) {
	m := pushOf(FreeBytes - 100)
	stream, size := streamOf(t, m)
	if size > FreeBytes {
		t.Fatalf("message of %d bytes", size)
	}
	if _, _, err := NewReaderWith(bytes.NewReader(stream), &ReaderOptions{Budget: NewBudget(0)}).Read(); err != nil {
		t.Fatal(err)
	}
}

// TestSharedBudgetConcurrent: readers sharing a budget never hold more
// than it, give it all back, and some get through.
func TestSharedBudgetConcurrent(t *testing.T) {
	stream, size := streamOf(t, pushOf(150<<10))
	limit := 3 * (size - FreeBytes)
	b := &watchedBudget{SharedBudget: NewBudget(limit)}
	var wg sync.WaitGroup
	var read atomic.Int32
	for range 8 {
		wg.Go(func() {
			for range 4 {
				_, _, err := NewReaderWith(bytes.NewReader(stream), &ReaderOptions{MaxFrameSize: 4 << 10, Budget: b}).Read()
				if err == nil {
					read.Add(1)
				} else if !errors.Is(err, ErrBusy) {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if b.Used() != 0 || b.peak() > limit || read.Load() == 0 {
		t.Fatalf("after the readers: %d reserved, peak %d, limit %d; %d of 32 read", b.Used(), b.peak(), limit, read.Load())
	}
}

// watchedBudget records the most reserved at once.
type watchedBudget struct {
	*SharedBudget
	mu  sync.Mutex
	max int
}

func (w *watchedBudget) Reserve(n int) bool {
	if !w.SharedBudget.Reserve(n) {
		return false
	}
	w.mu.Lock()
	w.max = max(w.max, w.Used())
	w.mu.Unlock()
	return true
}

func (w *watchedBudget) peak() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max
}
