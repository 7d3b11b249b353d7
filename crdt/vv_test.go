package crdt

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// checkVV checks the representation invariants that Contains, Covers and
// the encoding rely on: no empty origin, and exception ranges that are
// well formed, sorted, disjoint, non-adjacent and above Base+1 (so a range
// touching the base has been absorbed into it). Written without +1, which
// overflows at the top counter.
func checkVV(v *VersionVector) error {
	for id, o := range v.m {
		if o == nil || o.Base == 0 && len(o.Extra) == 0 {
			return fmt.Errorf("origin %s is empty", id)
		}
		prev := o.Base
		for _, s := range o.Extra {
			if s.Lo == 0 || s.Hi < s.Lo || s.Lo-1 <= prev {
				return fmt.Errorf("origin %s: range [%d, %d] after %d", id, s.Lo, s.Hi, prev)
			}
			prev = s.Hi
		}
	}
	return nil
}

// vvModel is the reference for VersionVector: plainly a set of dots. To
// reach the top of the counter space without a set of 2^64 entries, the
// counters it tracks are a window off..off+vvWindow; below the window, an
// origin has seen either every counter (prefix) or none.
type vvModel struct {
	off    uint64
	prefix map[ReplicaID]bool
	dots   map[Dot]bool
}

const vvWindow = 200

func newVVModel(off uint64) *vvModel {
	return &vvModel{off: off, prefix: map[ReplicaID]bool{}, dots: map[Dot]bool{}}
}

func (m *vvModel) addRange(o ReplicaID, lo, hi uint64) {
	if lo < m.off && hi >= 1 {
		m.prefix[o] = true // only whole-prefix ranges are generated
	}
	for c := max(lo, m.off, 1); c <= hi && c >= m.off; c++ {
		m.dots[Dot{Origin: o, Counter: c}] = true
		if c == math.MaxUint64 {
			break
		}
	}
}

func (m *vvModel) contains(d Dot) bool {
	switch {
	case d.Counter == 0:
		return true
	case d.Counter < m.off:
		return m.prefix[d.Origin]
	}
	return m.dots[d]
}

// counters lists the counters worth asking about: the window, and a few
// below it.
func (m *vvModel) counters() []uint64 {
	var out []uint64
	if m.off > 2 {
		out = append(out, 1, m.off/2, m.off-1)
	}
	for c := m.off; c-m.off <= vvWindow; c++ {
		out = append(out, c)
		if c == math.MaxUint64 {
			break
		}
	}
	return out
}

func (m *vvModel) base(o ReplicaID) uint64 {
	var b uint64
	if m.off > 1 {
		if !m.prefix[o] {
			return 0
		}
		b = m.off - 1
	}
	for b < math.MaxUint64 && m.dots[Dot{Origin: o, Counter: b + 1}] {
		b++
	}
	return b
}

func (m *vvModel) max(o ReplicaID) uint64 {
	cs := m.counters()
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i] > 0 && m.contains(Dot{Origin: o, Counter: cs[i]}) {
			return cs[i]
		}
	}
	return 0
}

func (m *vvModel) origins() []ReplicaID {
	set := map[ReplicaID]bool{}
	for d := range m.dots {
		set[d.Origin] = true
	}
	for o, ok := range m.prefix {
		if ok {
			set[o] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// covers reports whether m has seen every dot o has seen.
func (m *vvModel) covers(o *vvModel) bool {
	for id, ok := range o.prefix {
		if ok && !m.prefix[id] {
			return false
		}
	}
	for d := range o.dots {
		if !m.dots[d] {
			return false
		}
	}
	return true
}

// vvPair is a vector and its model, built by the same operations.
type vvPair struct {
	v *VersionVector
	m *vvModel
}

var vvOrigins = []ReplicaID{1, 2, math.MaxUint64}

// genVV draws a vector by random Add and AddRange calls, counters in the
// model's window (low, or up against the top of the counter space).
func genVV(t *rapid.T, off uint64, label string) vvPair {
	p := vvPair{&VersionVector{}, newVVModel(off)}
	steps := rapid.IntRange(0, 12).Draw(t, label+" steps")
	for range steps {
		o := rapid.SampledFrom(vvOrigins).Draw(t, label+" origin")
		lo := off + rapid.Uint64Range(0, vvWindow).Draw(t, label+" lo")
		switch rapid.IntRange(0, 3).Draw(t, label+" op") {
		case 0:
			p.v.Add(Dot{Origin: o, Counter: lo})
			p.m.addRange(o, lo, lo)
		case 1, 2: // may be empty (hi < lo) or reach past the window's start
			hi := off + rapid.Uint64Range(0, vvWindow).Draw(t, label+" hi")
			p.v.AddRange(o, lo, hi)
			p.m.addRange(o, lo, hi)
		case 3: // everything up to lo, as a restart or a catch-up records
			p.v.AddRange(o, 1, lo)
			p.m.addRange(o, 1, lo)
		}
		if err := checkVV(p.v); err != nil {
			t.Fatalf("after a step: %v: %s", err, p.v)
		}
	}
	return p
}

// checkAgainstModel compares every query of v with the model.
func checkAgainstModel(t *rapid.T, what string, v *VersionVector, m *vvModel) {
	t.Helper()
	if err := checkVV(v); err != nil {
		t.Fatalf("%s: %v: %s", what, err, v)
	}
	if got, want := v.Origins(), m.origins(); !slices.Equal(got, want) {
		t.Fatalf("%s: Origins() = %v, want %v", what, got, want)
	}
	gaps := false
	for _, o := range vvOrigins {
		for _, c := range m.counters() {
			d := Dot{Origin: o, Counter: c}
			if got, want := v.Contains(d), m.contains(d); got != want {
				t.Fatalf("%s: Contains(%s) = %v, want %v in %s", what, d, got, want, v)
			}
		}
		if got, want := v.Base(o), m.base(o); got != want {
			t.Fatalf("%s: Base(%s) = %d, want %d in %s", what, o, got, want, v)
		}
		if got, want := v.Max(o), m.max(o); got != want {
			t.Fatalf("%s: Max(%s) = %d, want %d in %s", what, o, got, want, v)
		}
		gaps = gaps || m.max(o) > m.base(o)
	}
	if got := v.HasGaps(); got != gaps {
		t.Fatalf("%s: HasGaps() = %v, want %v in %s", what, got, gaps, v)
	}
}

// vvOffsets are the windows the model test runs in: small counters, and
// the top of the counter space, where +1 overflows.
var vvOffsets = []struct {
	name string
	off  uint64
}{{"low", 0}, {"top", math.MaxUint64 - vvWindow}}

func TestVersionVectorModel(t *testing.T) {
	for _, w := range vvOffsets {
		t.Run(w.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				a := genVV(t, w.off, "a")
				checkAgainstModel(t, "a", a.v, a.m)
			})
		})
	}
}

func TestVersionVectorJoinCoversIntersect(t *testing.T) {
	for _, w := range vvOffsets {
		t.Run(w.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				a, b := genVV(t, w.off, "a"), genVV(t, w.off, "b")
				aBytes := mustMarshalVV(t, a.v)
				bBytes := mustMarshalVV(t, b.v)

				if got, want := a.v.Covers(b.v), a.m.covers(b.m); got != want {
					t.Fatalf("Covers = %v, want %v: %s vs %s", got, want, a.v, b.v)
				}
				if got, want := a.v.Equal(b.v), a.m.covers(b.m) && b.m.covers(a.m); got != want {
					t.Fatalf("Equal = %v, want %v: %s vs %s", got, want, a.v, b.v)
				}

				inter := newVVModel(w.off)
				for o := range a.m.prefix {
					inter.prefix[o] = a.m.prefix[o] && b.m.prefix[o]
				}
				for d := range a.m.dots {
					inter.dots[d] = b.m.dots[d]
				}
				maps.DeleteFunc(inter.dots, func(_ Dot, ok bool) bool { return !ok })
				i := a.v.Intersect(b.v)
				checkAgainstModel(t, "intersection", i, inter)
				if !a.v.Covers(i) || !b.v.Covers(i) {
					t.Fatalf("intersection %s not covered by its operands", i)
				}

				j := a.v.Clone()
				j.Join(b.v)
				union := newVVModel(w.off)
				union.addAll(a.m)
				union.addAll(b.m)
				checkAgainstModel(t, "join", j, union)
				if !j.Covers(a.v) || !j.Covers(b.v) {
					t.Fatalf("join %s does not cover its operands", j)
				}

				// Join, Clone, Covers, Intersect must leave their operands
				// alone: a vector is shared by the snapshot it came from.
				if !bytes.Equal(mustMarshalVV(t, a.v), aBytes) || !bytes.Equal(mustMarshalVV(t, b.v), bBytes) {
					t.Fatal("an operation modified its operands")
				}
				// Joining a vector into itself changes nothing.
				self := a.v.Clone()
				self.Join(self)
				if !bytes.Equal(mustMarshalVV(t, self), aBytes) {
					t.Fatalf("v.Join(v) changed v: %s", self)
				}
			})
		})
	}
}

func (m *vvModel) addAll(o *vvModel) {
	for id, ok := range o.prefix {
		m.prefix[id] = m.prefix[id] || ok
	}
	maps.Copy(m.dots, o.dots)
}

func TestVersionVectorCBORRoundTrip(t *testing.T) {
	for _, w := range vvOffsets {
		t.Run(w.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				a := genVV(t, w.off, "a")
				b := mustMarshalVV(t, a.v)
				var back VersionVector
				if err := back.UnmarshalCBOR(b); err != nil {
					t.Fatalf("UnmarshalCBOR(MarshalCBOR(%s)): %v", a.v, err)
				}
				checkAgainstModel(t, "decoded", &back, a.m)
				if !bytes.Equal(mustMarshalVV(t, &back), b) {
					t.Fatalf("round trip changed the bytes of %s", a.v)
				}
				// Through the generic codec, as storage does.
				var viaCodec VersionVector
				gen, err := Marshal(a.v)
				if err != nil || !bytes.Equal(gen, b) {
					t.Fatalf("Marshal = %x, %v; want %x", gen, err, b)
				}
				if err := Unmarshal(gen, &viaCodec); err != nil || !viaCodec.Equal(a.v) {
					t.Fatalf("Unmarshal = %s, %v; want %s", &viaCodec, err, a.v)
				}
			})
		})
	}
}

func mustMarshalVV(t fataler, v *VersionVector) []byte {
	t.Helper()
	b, err := v.MarshalCBOR()
	if err != nil {
		t.Fatalf("MarshalCBOR(%s): %v", v, err)
	}
	return b
}

// span is written [lo, hi]; vvOf builds a vector of origin 1 from spans,
// added in the order given.
func vvOf(spans ...span) *VersionVector {
	v := &VersionVector{}
	for _, s := range spans {
		v.AddRange(1, s.Lo, s.Hi)
	}
	return v
}

// TestAddRangeEdgeCases pins how ranges merge: the representation must
// stay minimal whatever the order of arrival.
func TestAddRangeEdgeCases(t *testing.T) {
	const top = math.MaxUint64
	tests := []struct {
		name string
		in   []span
		want string
	}{
		{"empty range ignored", []span{{5, 4}}, "{}"},
		{"counter zero ignored", []span{{0, 0}}, "{}"},
		{"range from zero starts at one", []span{{0, 3}}, "{0000000000000001:3}"},
		{"contiguous from one is base", []span{{1, 3}}, "{0000000000000001:3}"},
		{"gap is an exception", []span{{3, 4}}, "{0000000000000001:0+[3-4]}"},
		{"adjacent to base extends it", []span{{1, 3}, {4, 6}}, "{0000000000000001:6}"},
		{"adjacent exceptions merge", []span{{5, 6}, {7, 8}}, "{0000000000000001:0+[5-8]}"},
		{"adjacent exceptions merge backwards", []span{{7, 8}, {5, 6}}, "{0000000000000001:0+[5-8]}"},
		{"overlapping exceptions merge", []span{{5, 9}, {7, 12}}, "{0000000000000001:0+[5-12]}"},
		{"one range bridges several", []span{{3, 3}, {5, 5}, {9, 9}, {4, 8}}, "{0000000000000001:0+[3-9]}"},
		{"exceptions stay apart", []span{{3, 3}, {5, 5}}, "{0000000000000001:0+[3-3]+[5-5]}"},
		{"base absorbs touching exception", []span{{3, 5}, {1, 2}}, "{0000000000000001:5}"},
		{"base absorbs several", []span{{3, 5}, {7, 9}, {20, 21}, {1, 6}}, "{0000000000000001:9+[20-21]}"},
		{"base absorbs covered exceptions", []span{{3, 5}, {7, 9}, {1, 12}}, "{0000000000000001:12}"},
		{"range inside base is a no-op", []span{{1, 10}, {3, 5}}, "{0000000000000001:10}"},
		{"range inside exception is a no-op", []span{{5, 10}, {6, 7}}, "{0000000000000001:0+[5-10]}"},
		{"top counter alone", []span{{top, top}}, "{0000000000000001:0+[18446744073709551615-18446744073709551615]}"},
		{"range up to top", []span{{5, top}}, "{0000000000000001:0+[5-18446744073709551615]}"},
		{"range to top swallows exceptions", []span{{10, 20}, {5, top}}, "{0000000000000001:0+[5-18446744073709551615]}"},
		{"exception below range to top", []span{{5, top}, {2, 3}}, "{0000000000000001:0+[2-3]+[5-18446744073709551615]}"},
		{"exception touching range to top", []span{{5, top}, {2, 4}}, "{0000000000000001:0+[2-18446744073709551615]}"},
		{"base to top", []span{{1, top}}, "{0000000000000001:18446744073709551615}"},
		{"base to top then anything", []span{{1, top}, {5, 7}, {top, top}}, "{0000000000000001:18446744073709551615}"},
		{"exceptions then base to top", []span{{5, 7}, {1, top}}, "{0000000000000001:18446744073709551615}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vvOf(tt.in...)
			if got := v.String(); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if err := checkVV(v); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVersionVectorZeroValue(t *testing.T) {
	var v VersionVector
	if v.Contains(Dot{Origin: 1, Counter: 1}) || v.Base(1) != 0 || v.Max(1) != 0 || v.HasGaps() || len(v.Origins()) != 0 {
		t.Fatalf("zero vector not empty: %s", &v)
	}
	// Counter 0 names no dot, so every vector contains it.
	if !v.Contains(Dot{Origin: 1, Counter: 0}) {
		t.Fatal("Contains(counter 0) = false")
	}
	if !v.Covers(&VersionVector{}) || !v.Equal(&VersionVector{}) || !(&VersionVector{}).Covers(&v) {
		t.Fatal("empty vectors do not cover each other")
	}
	if b := mustMarshalVV(t, &v); !bytes.Equal(b, []byte{0x80}) {
		t.Fatalf("MarshalCBOR(empty) = %x, want 80", b)
	}
}

// TestVersionVectorCBORGolden pins the wire form: per origin, in order,
// [origin, base, [lo, hi, lo, hi, ...]].
func TestVersionVectorCBORGolden(t *testing.T) {
	v := &VersionVector{}
	v.AddRange(2, 3, 4)
	v.AddRange(1, 1, 5)
	v.Add(Dot{Origin: 1, Counter: 9})
	want := mustHex(t, "82 83 01 05 82 09 09 83 02 00 82 03 04")
	if got := mustMarshalVV(t, v); !bytes.Equal(got, want) {
		t.Fatalf("MarshalCBOR = %x, want %x", got, want)
	}
}

// TestVersionVectorUnmarshalRejects checks malformed vectors from a peer.
// Each must give ErrInvalid: a vector that claims dots it does not mean
// to would make the receiver skip rows forever.
func TestVersionVectorUnmarshalRejects(t *testing.T) {
	const top = uint64(math.MaxUint64)
	tests := []struct {
		name string
		in   []byte
	}{
		{"not an array", anyCBOR(t, 5)},
		{"origin not an array", anyCBOR(t, []any{5})},
		{"origin too short", anyCBOR(t, []any{[]any{1, 2}})},
		{"origins unsorted", anyCBOR(t, []any{[]any{2, 1, []any{}}, []any{1, 1, []any{}}})},
		{"origin repeated", anyCBOR(t, []any{[]any{1, 1, []any{}}, []any{1, 3, []any{}}})},
		{"odd range list", anyCBOR(t, []any{[]any{1, 1, []any{5}}})},
		{"range touching base", anyCBOR(t, []any{[]any{1, 4, []any{5, 6}}})},
		{"range inside base", anyCBOR(t, []any{[]any{1, 4, []any{2, 6}}})},
		{"range reversed", anyCBOR(t, []any{[]any{1, 0, []any{6, 5}}})},
		{"range starting at zero", anyCBOR(t, []any{[]any{1, 0, []any{0, 5}}})},
		{"range starting at one", anyCBOR(t, []any{[]any{1, 0, []any{1, 5}}})},
		{"ranges overlapping", anyCBOR(t, []any{[]any{1, 0, []any{3, 6, 5, 8}}})},
		{"ranges adjacent", anyCBOR(t, []any{[]any{1, 0, []any{3, 6, 7, 8}}})},
		{"ranges unsorted", anyCBOR(t, []any{[]any{1, 0, []any{9, 9, 3, 4}}})},
		{"range above a full base", anyCBOR(t, []any{[]any{1, top, []any{5, 7}}})},
		{"range after one ending at top", anyCBOR(t, []any{[]any{1, 0, []any{10, top, 3, 4}}})},
		{"negative counter", anyCBOR(t, []any{[]any{1, -1, []any{}}})},
		{"trailing bytes", append(anyCBOR(t, []any{}), 0)},
		{"indefinite length", mustHex(t, "9f ff")},
		{"tagged", mustHex(t, "c1 80")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v VersionVector
			if err := v.UnmarshalCBOR(tt.in); !errors.Is(err, ErrInvalid) {
				t.Fatalf("UnmarshalCBOR(%x) = %s, %v; want ErrInvalid", tt.in, &v, err)
			}
		})
	}
}

// TestVersionVectorUnmarshalManyRanges checks that a vector with many
// exceptions decodes in linear time. Ranges arrive sorted; inserting each
// by copying the whole list made this quadratic, and a peer could stall a
// node with a few megabytes.
func TestVersionVectorUnmarshalManyRanges(t *testing.T) {
	const n = 200_000
	extra := make([]uint64, 0, 2*n)
	for i := range uint64(n) {
		extra = append(extra, 3*i+2, 3*i+3)
	}
	in := anyCBOR(t, []any{[]any{1, 0, extra}})
	var v VersionVector
	if err := v.UnmarshalCBOR(in); err != nil {
		t.Fatal(err)
	}
	if !v.Contains(Dot{Origin: 1, Counter: 3*n - 1}) || v.Contains(Dot{Origin: 1, Counter: 3*n + 1}) || v.Max(1) != 3*n {
		t.Fatalf("decoded vector wrong: max %d", v.Max(1))
	}
	// Covers and Intersect on such vectors must not be quadratic either.
	w := v.Clone()
	if !v.Covers(w) || !w.Covers(&v) {
		t.Fatal("vector does not cover its clone")
	}
	if i := v.Intersect(w); !i.Equal(&v) {
		t.Fatal("intersection with a clone differs")
	}
}

func TestVersionVectorPartAndIsEmpty(t *testing.T) {
	var v VersionVector
	if !v.IsEmpty() || !v.Part(1).IsEmpty() {
		t.Fatal("a new vector is not empty")
	}
	v.AddRange(1, 1, 5)
	v.Add(Dot{Origin: 1, Counter: 9})
	v.AddRange(2, 1, 3)
	p := v.Part(1)
	if p.IsEmpty() || !slicesEqual(p.Origins(), []ReplicaID{1}) || p.Base(1) != 5 || !p.Contains(Dot{Origin: 1, Counter: 9}) || p.Contains(Dot{Origin: 1, Counter: 7}) {
		t.Fatalf("Part(1) of %s = %s", &v, p)
	}
	p.Add(Dot{Origin: 1, Counter: 7}) // the part is a copy
	if v.Contains(Dot{Origin: 1, Counter: 7}) {
		t.Fatal("Part shares state with its vector")
	}
}

func slicesEqual(a, b []ReplicaID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestVersionVectorStringBounded (hardening item 11): String was
// quadratic (26 s at 100k ranges, and Status calls it). It now shows at
// most maxStringRanges ranges and says how many it left out.
func TestVersionVectorStringBounded(t *testing.T) {
	v := &VersionVector{}
	for i := range uint64(100_000) {
		v.Add(Dot{Origin: 7, Counter: 2*i + 2})
	}
	s := v.String()
	if len(s) > 4096 || !strings.Contains(s, fmt.Sprintf("(%d more ranges)", 100_000-maxStringRanges)) {
		t.Fatalf("String of %d bytes: %.200s...", len(s), s)
	}
	small := &VersionVector{}
	small.AddRange(1, 1, 3)
	small.Add(Dot{Origin: 1, Counter: 5})
	small.AddRange(2, 1, 9)
	if got := small.String(); got != "{0000000000000001:3+[5-5] 0000000000000002:9}" {
		t.Fatalf("String = %s", got)
	}
}

// TestTrim: Trim keeps the lowest ranges of each origin, forgets the rest,
// and never forgets the base.
func TestTrim(t *testing.T) {
	v := &VersionVector{}
	v.AddRange(1, 1, 10)
	for c := uint64(12); c <= 30; c += 2 { // 10 ranges above the base
		v.Add(Dot{Origin: 1, Counter: c})
	}
	v.Add(Dot{Origin: 2, Counter: 5})
	for _, limit := range []int{11, 10} {
		if v.Clone().Trim(limit) {
			t.Fatalf("Trim(%d) of 10 ranges forgot some", limit)
		}
	}
	w := v.Clone()
	if !w.Trim(9) || w.Ranges() != 9+1 || w.Contains(Dot{Origin: 1, Counter: 30}) || !w.Contains(Dot{Origin: 1, Counter: 28}) {
		t.Fatalf("Trim(9) = %s", w)
	}
	if !w.Trim(0) || w.Ranges() != 0 || w.Base(1) != 10 || v.Covers(w) == false {
		t.Fatalf("Trim(0) = %s", w)
	}
}

func TestSetPart(t *testing.T) {
	v := &VersionVector{}
	v.AddRange(1, 1, 10)
	v.AddRange(2, 1, 3)
	part := &VersionVector{}
	part.AddRange(1, 1, 4)
	part.AddRange(1, 7, 8)
	v.SetPart(1, part)
	part.AddRange(1, 9, 20) // v holds its own copy
	if v.Max(1) != 8 || v.Contains(Dot{Origin: 1, Counter: 5}) || v.Max(2) != 3 {
		t.Fatalf("SetPart: %s", v)
	}
	v.SetPart(2, &VersionVector{})
	if got := v.Origins(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("SetPart with an empty part kept the origin: %s", v)
	}
}
