package crdt

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func dot(o ReplicaID, c uint64) Dot { return Dot{Origin: o, Counter: c} }

// ctx builds a context from origin, counter pairs.
func ctx(pairs ...uint64) Context {
	var c Context
	for i := 0; i < len(pairs); i += 2 {
		c = append(c, dot(ReplicaID(pairs[i]), pairs[i+1]))
	}
	return c
}

func TestDotCompare(t *testing.T) {
	tests := []struct {
		a, b Dot
		want int
	}{
		{dot(1, 1), dot(1, 1), 0},
		{dot(1, 9), dot(2, 1), -1}, // origin first
		{dot(2, 1), dot(1, 9), 1},
		{dot(1, 1), dot(1, 2), -1},
		{dot(math.MaxUint64, 0), dot(0, math.MaxUint64), 1},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestReplicaIDString(t *testing.T) {
	if got := ReplicaID(0xab).String(); got != "00000000000000ab" {
		t.Errorf("String() = %q", got)
	}
	if got := dot(0xab, 7).String(); got != "00000000000000ab:7" {
		t.Errorf("Dot.String() = %q", got)
	}
}

func TestContextCovers(t *testing.T) {
	c := ctx(1, 5, 3, 2)
	tests := []struct {
		d    Dot
		want bool
	}{
		{dot(1, 1), true},
		{dot(1, 5), true},
		{dot(1, 6), false},
		{dot(3, 2), true},
		{dot(3, 3), false},
		{dot(2, 1), false}, // origin absent, between present ones
		{dot(0, 1), false}, // before the first
		{dot(4, 1), false}, // after the last
	}
	for _, tt := range tests {
		if got := c.Covers(tt.d); got != tt.want {
			t.Errorf("%v.Covers(%s) = %v, want %v", c, tt.d, got, tt.want)
		}
	}
	if Context(nil).Covers(dot(1, 1)) {
		t.Error("empty context covers a dot")
	}
	if got := c.Max(1); got != 5 {
		t.Errorf("Max(1) = %d, want 5", got)
	}
	if got := c.Max(2); got != 0 {
		t.Errorf("Max(2) = %d, want 0", got)
	}
}

func TestContextWith(t *testing.T) {
	tests := []struct {
		name string
		c    Context
		d    Dot
		want Context
	}{
		{"into empty", nil, dot(5, 1), ctx(5, 1)},
		{"new origin first", ctx(5, 1), dot(2, 3), ctx(2, 3, 5, 1)},
		{"new origin middle", ctx(1, 1, 5, 1), dot(3, 3), ctx(1, 1, 3, 3, 5, 1)},
		{"new origin last", ctx(1, 1), dot(9, 3), ctx(1, 1, 9, 3)},
		{"raises an origin", ctx(1, 1, 5, 1), dot(5, 7), ctx(1, 1, 5, 7)},
		{"never lowers an origin", ctx(1, 4), dot(1, 2), ctx(1, 4)},
		{"same dot", ctx(1, 4), dot(1, 4), ctx(1, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.c)
			got := tt.c.With(tt.d)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("With = %v, want %v", got, tt.want)
			}
			if !slices.Equal(tt.c, orig) {
				t.Fatalf("With modified its receiver: %v, was %v", tt.c, orig)
			}
			if err := got.validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestContextWithDoesNotAlias guards against With appending into spare
// capacity of the receiver: two deltas built from the same row would then
// share, and overwrite, one array.
func TestContextWithDoesNotAlias(t *testing.T) {
	base := make(Context, 1, 4)
	base[0] = dot(1, 1)
	a := base.With(dot(2, 1))
	b := base.With(dot(3, 1))
	if !slices.Equal(a, ctx(1, 1, 2, 1)) || !slices.Equal(b, ctx(1, 1, 3, 1)) {
		t.Fatalf("With results share memory: %v %v", a, b)
	}
}

func TestJoinContexts(t *testing.T) {
	tests := []struct {
		name string
		a, b Context
		want Context
	}{
		{"both empty", nil, nil, nil},
		{"one empty", ctx(1, 2), nil, ctx(1, 2)},
		{"other empty", nil, ctx(1, 2), ctx(1, 2)},
		{"disjoint interleaved", ctx(1, 2, 5, 1), ctx(3, 4, 7, 7), ctx(1, 2, 3, 4, 5, 1, 7, 7)},
		{"same origins take max", ctx(1, 2, 5, 9), ctx(1, 7, 5, 3), ctx(1, 7, 5, 9)},
		{"overlap and tail", ctx(1, 2), ctx(1, 1, 2, 2, 3, 3), ctx(1, 2, 2, 2, 3, 3)},
		{"extreme origins", ctx(0, 1), ctx(math.MaxUint64, 1), ctx(0, 1, math.MaxUint64, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := slices.Clone(tt.a), slices.Clone(tt.b)
			got := JoinContexts(tt.a, tt.b)
			if len(got) != len(tt.want) || !slices.Equal(got, tt.want) {
				t.Fatalf("JoinContexts = %v, want %v", got, tt.want)
			}
			if rev := JoinContexts(tt.b, tt.a); !slices.Equal(rev, got) {
				t.Fatalf("JoinContexts not commutative: %v vs %v", rev, got)
			}
			if !slices.Equal(a, tt.a) || !slices.Equal(b, tt.b) {
				t.Fatal("JoinContexts modified its arguments")
			}
		})
	}
}

func TestContextValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Context
		ok   bool
	}{
		{"empty", nil, true},
		{"sorted", ctx(1, 1, 2, 5), true},
		{"zero counter", ctx(1, 0), false},
		{"unsorted", ctx(2, 1, 1, 1), false},
		{"duplicate origin", ctx(1, 1, 1, 2), false},
	}
	for _, tt := range tests {
		err := tt.c.validate()
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: validate(%v) = %v", tt.name, tt.c, err)
		}
	}
}
