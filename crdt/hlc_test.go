package crdt

import (
	"errors"
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func ts(wall int64, logical uint32) Timestamp { return Timestamp{Wall: wall, Logical: logical} }

// clockStep is one call on a Clock: Now(physical) if observe is false,
// else Observe(remote, physical). want is what Now returns, or Last after
// Observe.
type clockStep struct {
	observe  bool
	remote   Timestamp
	physical int64
	want     Timestamp
	wantErr  error
}

func now(physical int64, want Timestamp) clockStep {
	return clockStep{physical: physical, want: want}
}

func observe(remote Timestamp, physical int64, want Timestamp, err error) clockStep {
	return clockStep{observe: true, remote: remote, physical: physical, want: want, wantErr: err}
}

func TestClock(t *testing.T) {
	const ms = int64(time.Millisecond)
	const base = int64(1_700_000_000) * int64(time.Second)
	maxOff := int64(DefaultMaxOffset)
	tests := []struct {
		name      string
		maxOffset time.Duration
		steps     []clockStep
	}{{
		name: "physical time moving forward resets logical",
		steps: []clockStep{
			now(base, ts(base, 0)),
			now(base+1, ts(base+1, 0)),
			now(base+1*ms, ts(base+1*ms, 0)),
		},
	}, {
		name: "same physical time counts logically",
		steps: []clockStep{
			now(base, ts(base, 0)),
			now(base, ts(base, 1)),
			now(base, ts(base, 2)),
		},
	}, {
		name: "physical time going backwards keeps the clock monotonic",
		steps: []clockStep{
			now(base, ts(base, 0)),
			now(base-5*ms, ts(base, 1)),
			now(0, ts(base, 2)),
			now(base+1, ts(base+1, 0)),
		},
	}, {
		name: "remote ahead by less than max offset advances the clock",
		steps: []clockStep{
			now(base, ts(base, 0)),
			observe(ts(base+400*ms, 7), base, ts(base+400*ms, 7), nil),
			now(base+1*ms, ts(base+400*ms, 8)),
		},
	}, {
		name: "remote ahead by exactly max offset is accepted",
		steps: []clockStep{
			observe(ts(base+maxOff, 0), base, ts(base+maxOff, 0), nil),
			now(base, ts(base+maxOff, 1)),
		},
	}, {
		name: "remote ahead by more than max offset does not move the clock",
		steps: []clockStep{
			now(base, ts(base, 0)),
			observe(ts(base+maxOff+1, 0), base, ts(base, 0), ErrClockOffset),
			observe(ts(base+time.Hour.Nanoseconds(), 0), base, ts(base, 0), ErrClockOffset),
			now(base, ts(base, 1)),
		},
	}, {
		name: "offset is measured from physical time, not from the clock",
		steps: []clockStep{
			// The clock already leads physical time; a remote within
			// max offset of the clock but not of physical time is refused.
			observe(ts(base+400*ms, 0), base, ts(base+400*ms, 0), nil),
			observe(ts(base+800*ms, 0), base, ts(base+400*ms, 0), ErrClockOffset),
			observe(ts(base+800*ms, 0), base+400*ms, ts(base+800*ms, 0), nil),
		},
	}, {
		name:      "custom max offset",
		maxOffset: 2 * time.Second,
		steps: []clockStep{
			observe(ts(base+1500*ms, 0), base, ts(base+1500*ms, 0), nil),
			observe(ts(base+2001*ms, 0), base, ts(base+1500*ms, 0), ErrClockOffset),
		},
	}, {
		name: "remote behind the clock changes nothing",
		steps: []clockStep{
			now(base, ts(base, 0)),
			now(base, ts(base, 1)),
			observe(ts(base, 0), base, ts(base, 1), nil),
			observe(ts(base-ms, 9), base, ts(base, 1), nil),
			now(base, ts(base, 2)),
		},
	}, {
		name: "remote with the same wall and a higher logical",
		steps: []clockStep{
			now(base, ts(base, 0)),
			observe(ts(base, 5), base, ts(base, 5), nil),
			now(base, ts(base, 6)),
		},
	}, {
		// A peer can send any logical value. Wrapping the counter to zero
		// would return a timestamp below one already observed.
		name: "logical counter full moves to the next nanosecond",
		steps: []clockStep{
			observe(ts(base, math.MaxUint32), base, ts(base, math.MaxUint32), nil),
			now(base, ts(base+1, 0)),
			now(base, ts(base+1, 1)),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Clock{MaxOffset: tt.maxOffset}
			for i, s := range tt.steps {
				var got Timestamp
				var err error
				if s.observe {
					err = c.Observe(s.remote, s.physical)
					got = c.Last()
				} else {
					got = c.Now(s.physical)
					if c.Last() != got {
						t.Fatalf("step %d: Last() = %s after Now returned %s", i, c.Last(), got)
					}
				}
				if !errors.Is(err, s.wantErr) || (err != nil) != (s.wantErr != nil) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.wantErr)
				}
				if got != s.want {
					t.Fatalf("step %d: got %s, want %s", i, got, s.want)
				}
			}
		})
	}
}

// TestClockMonotonic checks, over random sequences of local readings and
// remote timestamps (physical time jumping both ways, remote clocks
// anywhere, logical counters near their limit), that Now always exceeds
// every timestamp the clock returned or accepted, and that a refused
// remote timestamp never becomes the clock's reading.
func TestClockMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const sec = int64(time.Second)
		c := Clock{}
		var high Timestamp // the highest timestamp returned or accepted
		physical := rapid.Int64Range(0, 1000*sec).Draw(t, "start")
		for range rapid.IntRange(1, 50).Draw(t, "steps") {
			physical += rapid.Int64Range(-sec, sec).Draw(t, "physical step")
			if rapid.Bool().Draw(t, "observe") {
				remote := Timestamp{
					Wall:    physical + rapid.Int64Range(-2*sec, 2*sec).Draw(t, "remote offset"),
					Logical: rapid.OneOf(rapid.Uint32(), rapid.Uint32Range(math.MaxUint32-3, math.MaxUint32)).Draw(t, "remote logical"),
				}
				before := c.Last()
				err := c.Observe(remote, physical)
				ahead := remote.Wall - physical
				switch {
				case ahead > int64(DefaultMaxOffset):
					if !errors.Is(err, ErrClockOffset) || c.Last() != before {
						t.Fatalf("remote %s ahead by %v: err %v, clock %s -> %s", remote, time.Duration(ahead), err, before, c.Last())
					}
				case err != nil:
					t.Fatalf("remote %s ahead by %v refused: %v", remote, time.Duration(ahead), err)
				default:
					if remote.Compare(high) > 0 {
						high = remote
					}
				}
				continue
			}
			got := c.Now(physical)
			if got.Compare(high) <= 0 {
				t.Fatalf("Now(%d) = %s, not above %s", physical, got, high)
			}
			if got.Wall < physical {
				t.Fatalf("Now(%d) = %s, behind physical time", physical, got)
			}
			high = got
		}
	})
}

func TestTimestampCompare(t *testing.T) {
	tests := []struct {
		a, b Timestamp
		want int
	}{
		{ts(1, 0), ts(1, 0), 0},
		{ts(1, 5), ts(2, 0), -1},
		{ts(2, 0), ts(1, 9), 1},
		{ts(1, 1), ts(1, 2), -1},
		{ts(-1, 0), ts(0, 0), -1},
		{ts(1, math.MaxUint32), ts(1, 0), 1},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
