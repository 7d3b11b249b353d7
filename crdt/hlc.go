package crdt

import (
	"cmp"
	"fmt"
	"math"
	"time"
)

// Timestamp is a hybrid logical clock reading (Kulkarni et al., 2014):
// physical time in nanoseconds since the Unix epoch, and a logical counter
// that orders events within one physical tick. It only picks which of
// several concurrent values is shown first; causality, never the HLC,
// decides what supersedes what.
type Timestamp struct {
	_       struct{} `cbor:",toarray"`
	Wall    int64
	Logical uint32
}

// Compare orders timestamps by wall time, then logical counter.
func (t Timestamp) Compare(o Timestamp) int {
	if c := cmp.Compare(t.Wall, o.Wall); c != 0 {
		return c
	}
	return cmp.Compare(t.Logical, o.Logical)
}

func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", time.Unix(0, t.Wall).UTC().Format(time.RFC3339Nano), t.Logical)
}

// DefaultMaxOffset is how far ahead of local physical time a remote
// timestamp may be before the clock refuses to follow it.
const DefaultMaxOffset = 500 * time.Millisecond

// Clock is a hybrid logical clock. Physical time is passed in by the caller,
// so the clock is deterministic under test. Not safe for concurrent use.
type Clock struct {
	last Timestamp
	// MaxOffset bounds how far a remote timestamp may lead physical time
	// and still advance the clock. Zero means DefaultMaxOffset.
	MaxOffset time.Duration
}

// Now returns a timestamp greater than every one this clock returned or
// observed before, given the current physical time in Unix nanoseconds.
func (c *Clock) Now(physical int64) Timestamp {
	switch {
	case physical > c.last.Wall:
		c.last = Timestamp{Wall: physical}
	case c.last.Logical == math.MaxUint32:
		// A full logical counter (a peer can send one) must not wrap to
		// zero, which would go back in time: move on by a nanosecond.
		c.last = Timestamp{Wall: c.last.Wall + 1}
	default:
		c.last.Logical++
	}
	return c.last
}

// Observe advances the clock past a timestamp seen on a remote write. A
// remote timestamp more than MaxOffset ahead of physical time does not move
// the clock (a peer with a wild clock must not drag ours into the future);
// Observe then returns an error wrapping ErrClockOffset for the caller to
// log. The remote write itself is still stored unchanged: dropping or
// rewriting it would lose it or make replicas diverge.
func (c *Clock) Observe(remote Timestamp, physical int64) error {
	maxOffset := c.MaxOffset
	if maxOffset == 0 {
		maxOffset = DefaultMaxOffset
	}
	if remote.Wall > physical+int64(maxOffset) {
		return fmt.Errorf("%w: remote %s is %s ahead of local time", ErrClockOffset,
			remote, time.Duration(remote.Wall-physical))
	}
	if remote.Compare(c.last) > 0 {
		c.last = remote
	}
	return nil
}

// Last returns the latest timestamp issued or observed.
func (c *Clock) Last() Timestamp { return c.last }
