package crdt

import (
	"fmt"
	"maps"
	"slices"
)

// VersionVector is the set of dots a replica has seen: per origin, every
// counter up to a contiguous base, plus exceptions: counters above the base
// seen out of order, kept as sorted, disjoint, non-adjacent ranges. Deltas
// may arrive in any order, so the exceptions are what lets a replica say
// exactly what it has without claiming the gaps.
//
// The zero value is an empty vector ready to use. Not safe for concurrent use.
type VersionVector struct {
	m map[ReplicaID]*originDots
}

// originDots holds one origin's seen counters: 1..Base and each Extra range.
type originDots struct {
	Base  uint64
	Extra []span // sorted, disjoint, non-adjacent, all above Base+1
}

// span is the inclusive counter range [Lo, Hi].
type span struct{ Lo, Hi uint64 }

// Contains reports whether the vector has seen d.
func (v *VersionVector) Contains(d Dot) bool {
	if d.Counter == 0 {
		return true // no dot has counter 0: nothing to miss
	}
	o := v.m[d.Origin]
	if o == nil {
		return false
	}
	if d.Counter <= o.Base {
		return true
	}
	_, found := slices.BinarySearchFunc(o.Extra, d.Counter, func(s span, c uint64) int {
		switch {
		case s.Hi < c:
			return -1
		case s.Lo > c:
			return 1
		}
		return 0
	})
	return found
}

// Add records that d has been seen.
func (v *VersionVector) Add(d Dot) { v.AddRange(d.Origin, d.Counter, d.Counter) }

// AddRange records that counters lo..hi (inclusive) of origin have been seen.
func (v *VersionVector) AddRange(origin ReplicaID, lo, hi uint64) {
	lo = max(lo, 1)
	if hi < lo {
		return
	}
	o := v.origin(origin)
	if lo <= o.Base+1 {
		o.Base = max(o.Base, hi)
	} else {
		o.Extra = insertSpan(o.Extra, span{lo, hi})
	}
	o.absorb()
}

// Join adds every dot that other has seen.
func (v *VersionVector) Join(other *VersionVector) {
	for id, od := range other.m {
		v.AddRange(id, 1, od.Base)
		for _, s := range od.Extra {
			v.AddRange(id, s.Lo, s.Hi)
		}
	}
}

// Base returns the contiguous counter of origin: every counter up to it has
// been seen. Catch-up scans an origin's index from Base+1.
func (v *VersionVector) Base(origin ReplicaID) uint64 {
	if o := v.m[origin]; o != nil {
		return o.Base
	}
	return 0
}

// Max returns the highest counter of origin that has been seen.
func (v *VersionVector) Max(origin ReplicaID) uint64 {
	o := v.m[origin]
	if o == nil {
		return 0
	}
	if n := len(o.Extra); n > 0 {
		return o.Extra[n-1].Hi
	}
	return o.Base
}

// Origins returns the origins the vector has seen dots of, sorted.
func (v *VersionVector) Origins() []ReplicaID {
	return slices.Sorted(maps.Keys(v.m))
}

// HasGaps reports whether any origin has exceptions above its base.
func (v *VersionVector) HasGaps() bool {
	for _, o := range v.m {
		if len(o.Extra) > 0 {
			return true
		}
	}
	return false
}

// Clone returns an independent copy.
func (v *VersionVector) Clone() *VersionVector {
	out := &VersionVector{}
	out.Join(v)
	return out
}

// Equal reports whether both vectors hold exactly the same dots.
func (v *VersionVector) Equal(o *VersionVector) bool {
	return v.Covers(o) && o.Covers(v)
}

// Covers reports whether v has seen every dot o has seen.
func (v *VersionVector) Covers(o *VersionVector) bool {
	for id, od := range o.m {
		if !v.coversRange(id, 1, od.Base) {
			return false
		}
		for _, s := range od.Extra {
			if !v.coversRange(id, s.Lo, s.Hi) {
				return false
			}
		}
	}
	return true
}

// Intersect returns the dots seen by both v and o.
func (v *VersionVector) Intersect(o *VersionVector) *VersionVector {
	out := &VersionVector{}
	for id, a := range v.m {
		b := o.m[id]
		if b == nil {
			continue
		}
		for _, sa := range a.spans() {
			for _, sb := range b.spans() {
				out.AddRange(id, max(sa.Lo, sb.Lo), min(sa.Hi, sb.Hi))
			}
		}
	}
	return out
}

func (v *VersionVector) coversRange(id ReplicaID, lo, hi uint64) bool {
	if hi < lo || hi == 0 {
		return true
	}
	o := v.m[id]
	if o == nil {
		return false
	}
	for _, s := range o.spans() {
		if s.Lo <= lo && hi <= s.Hi {
			return true
		}
	}
	return false
}

func (v *VersionVector) String() string {
	s := "{"
	for i, id := range v.Origins() {
		if i > 0 {
			s += " "
		}
		o := v.m[id]
		s += fmt.Sprintf("%s:%d", id, o.Base)
		for _, e := range o.Extra {
			s += fmt.Sprintf("+[%d-%d]", e.Lo, e.Hi)
		}
	}
	return s + "}"
}

func (v *VersionVector) origin(id ReplicaID) *originDots {
	if v.m == nil {
		v.m = make(map[ReplicaID]*originDots)
	}
	o := v.m[id]
	if o == nil {
		o = &originDots{}
		v.m[id] = o
	}
	return o
}

// spans returns every seen range of the origin, base first.
func (o *originDots) spans() []span {
	out := make([]span, 0, len(o.Extra)+1)
	if o.Base > 0 {
		out = append(out, span{1, o.Base})
	}
	return append(out, o.Extra...)
}

// absorb moves exception ranges that touch the base into it.
func (o *originDots) absorb() {
	n := 0
	for n < len(o.Extra) && o.Extra[n].Lo <= o.Base+1 {
		o.Base = max(o.Base, o.Extra[n].Hi)
		n++
	}
	o.Extra = slices.Delete(o.Extra, 0, n)
	if len(o.Extra) == 0 {
		o.Extra = nil
	}
}

// insertSpan adds s to sorted, disjoint, non-adjacent spans, merging overlaps.
func insertSpan(spans []span, s span) []span {
	out := make([]span, 0, len(spans)+1)
	i := 0
	for i < len(spans) && spans[i].Hi+1 < s.Lo {
		out = append(out, spans[i])
		i++
	}
	for i < len(spans) && spans[i].Lo <= s.Hi+1 {
		s.Lo, s.Hi = min(s.Lo, spans[i].Lo), max(s.Hi, spans[i].Hi)
		i++
	}
	out = append(out, s)
	return append(out, spans[i:]...)
}
