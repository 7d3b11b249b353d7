package node

import (
	"errors"
	"fmt"
	"testing"
)

// TestHubRing checks the ring against a plain slice model through growth,
// wrap-around and both bounds.
func TestHubRing(t *testing.T) {
	for _, c := range []struct{ maxEvents, maxBytes int }{{100, 1 << 30}, {7, 1 << 30}, {1000, 20 * 70}} {
		h := newHub(1, c.maxEvents, c.maxBytes)
		var model []Event
		for i := range 500 {
			e := Event{Key: fmt.Sprintf("k%03d", i)}
			h.publish([]Event{e})
			model = append(model, e)
		}
		events, _, _, err := h.after(h.epoch|uint64(500-h.mu.count), "")
		if err != nil {
			t.Fatal(err)
		}
		for h.mu.count > len(events) { // after returns at most 256 per call
			more, _, _, _ := h.after(events[len(events)-1].Cursor, "")
			events = append(events, more...)
		}
		want := model[len(model)-h.mu.count:]
		for i, e := range events {
			if e.Key != want[i].Key {
				t.Fatalf("%+v: event %d = %s, want %s", c, i, e.Key, want[i].Key)
			}
		}
		if h.mu.count > c.maxEvents || h.mu.bytes > c.maxBytes {
			t.Fatalf("%+v: holds %d events, %d bytes", c, h.mu.count, h.mu.bytes)
		}
		if _, _, _, err := h.after(h.epoch|uint64(500-h.mu.count-1), ""); !errors.Is(err, ErrCursorExpired) {
			t.Fatalf("%+v: cursor before the oldest kept: %v", c, err)
		}
	}
}
