package crdt

import (
	"maps"
	"slices"
	"strconv"
	"strings"
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
	_, found := o.findExtra(d.Counter)
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
	// Comparisons here are written as lo-1 <= x rather than lo <= x+1:
	// counters go up to the top of uint64, where x+1 wraps to zero.
	switch n := len(o.Extra); {
	case lo-1 <= o.Base:
		o.Base = max(o.Base, hi)
	case n == 0 || lo-1 > o.Extra[n-1].Hi:
		// Ranges mostly arrive in order (decoding, Join, Intersect):
		// appending keeps building a vector linear.
		o.Extra = append(o.Extra, span{lo, hi})
	default:
		o.Extra = mergeSpans(o.Extra, []span{{lo, hi}})
	}
	o.absorb()
}

// Join adds every dot that other has seen. It takes time linear in the
// size of both vectors.
func (v *VersionVector) Join(other *VersionVector) {
	for id, od := range other.m {
		o := v.origin(id)
		o.Base = max(o.Base, od.Base)
		o.Extra = mergeSpans(o.Extra, od.Extra)
		o.absorb()
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

// Part returns a copy holding only origin's dots.
func (v *VersionVector) Part(origin ReplicaID) *VersionVector {
	out := &VersionVector{}
	if o := v.m[origin]; o != nil {
		out.m = map[ReplicaID]*originDots{origin: {Base: o.Base, Extra: slices.Clone(o.Extra)}}
	}
	return out
}

// IsEmpty reports whether the vector has seen no dot at all.
func (v *VersionVector) IsEmpty() bool { return len(v.m) == 0 }

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
		if !v.coversOrigin(id, od) {
			return false
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
		// Walk both sorted span lists together: the overlaps come out in
		// order, so each AddRange appends.
		as, bs := a.spans(), b.spans()
		for i, j := 0, 0; i < len(as) && j < len(bs); {
			out.AddRange(id, max(as[i].Lo, bs[j].Lo), min(as[i].Hi, bs[j].Hi))
			if as[i].Hi < bs[j].Hi {
				i++
			} else {
				j++
			}
		}
	}
	return out
}

// coversRange reports whether v has seen every counter lo..hi of id. The
// spans are disjoint and non-adjacent, so a covered range lies within one
// span: the base, or the exception holding lo.
func (v *VersionVector) coversRange(id ReplicaID, lo, hi uint64) bool {
	lo = max(lo, 1)
	if hi < lo {
		return true
	}
	o := v.m[id]
	switch {
	case o == nil:
		return false
	case hi <= o.Base:
		return true
	case lo <= o.Base:
		return false // the range runs past the base, into a gap
	}
	i, found := o.findExtra(lo)
	return found && hi <= o.Extra[i].Hi
}

// String formats the vector as {origin:base+[lo-hi]...}, in time linear
// in its size (Status prints it, and a vector may hold many ranges). A
// vector of more than maxStringRanges ranges is cut short with a count of
// what was left out: a log line or a status page has no use for a
// megabyte of ranges.
func (v *VersionVector) String() string {
	var b strings.Builder
	b.WriteByte('{')
	shown := 0
	for i, id := range v.Origins() {
		if i > 0 {
			b.WriteByte(' ')
		}
		o := v.m[id]
		b.WriteString(id.String())
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(o.Base, 10))
		for j, e := range o.Extra {
			if shown == maxStringRanges {
				b.WriteString("+(" + strconv.Itoa(len(o.Extra)-j) + " more ranges)")
				break
			}
			shown++
			b.WriteString("+[" + strconv.FormatUint(e.Lo, 10) + "-" + strconv.FormatUint(e.Hi, 10) + "]")
		}
	}
	b.WriteByte('}')
	return b.String()
}

// maxStringRanges bounds the exception ranges String shows.
const maxStringRanges = 64

// Ranges returns the number of exception ranges of every origin together:
// the part of the vector's size that can grow with the order dots arrive in.
func (v *VersionVector) Ranges() int {
	n := 0
	for _, o := range v.m {
		n += len(o.Extra)
	}
	return n
}

// Trim forgets exception ranges beyond maxPerOrigin per origin, keeping the
// lowest ones (those nearest the base, which later dots fill first), and
// reports whether it forgot any. Forgetting dots is always safe: a vector
// that claims less only makes peers send again what it already has. It is
// what keeps a vector small whatever order rows arrive in.
func (v *VersionVector) Trim(maxPerOrigin int) bool {
	trimmed := false
	for _, o := range v.m {
		if len(o.Extra) > maxPerOrigin {
			o.Extra = slices.Clip(o.Extra[:max(maxPerOrigin, 0)])
			if len(o.Extra) == 0 {
				o.Extra = nil
			}
			trimmed = true
		}
	}
	return trimmed
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

// findExtra returns the index of the exception range holding counter c.
func (o *originDots) findExtra(c uint64) (int, bool) {
	return slices.BinarySearchFunc(o.Extra, c, func(s span, c uint64) int {
		switch {
		case s.Hi < c:
			return -1
		case s.Lo > c:
			return 1
		}
		return 0
	})
}

// absorb moves exception ranges that touch the base into it.
func (o *originDots) absorb() {
	n := 0
	for n < len(o.Extra) && o.Extra[n].Lo-1 <= o.Base {
		o.Base = max(o.Base, o.Extra[n].Hi)
		n++
	}
	o.Extra = slices.Delete(o.Extra, 0, n)
	if len(o.Extra) == 0 {
		o.Extra = nil
	}
}

// mergeSpans returns the union of two sorted, disjoint, non-adjacent span
// lists in the same form, in one pass. It never returns b's array, so two
// vectors never share one.
func mergeSpans(a, b []span) []span {
	if len(b) == 0 {
		return a
	}
	out := make([]span, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		var s span
		if len(b) == 0 || len(a) > 0 && a[0].Lo <= b[0].Lo {
			s, a = a[0], a[1:]
		} else {
			s, b = b[0], b[1:]
		}
		if n := len(out); n > 0 && s.Lo-1 <= out[n-1].Hi {
			out[n-1].Hi = max(out[n-1].Hi, s.Hi)
		} else {
			out = append(out, s)
		}
	}
	return out
}

// WithPart returns a copy of v whose part of origin is part's (which must
// hold no other origin).
func (v *VersionVector) WithPart(origin ReplicaID, part *VersionVector) *VersionVector {
	out := &VersionVector{}
	for _, o := range v.Origins() {
		if o != origin {
			out.Join(v.Part(o))
		}
	}
	out.Join(part.Part(origin))
	return out
}

// SetPart replaces origin's dots with part's (which must hold no other
// origin; an empty part removes the origin). It changes v in place, in
// time linear in the part alone.
func (v *VersionVector) SetPart(origin ReplicaID, part *VersionVector) {
	o := part.m[origin]
	if o == nil {
		delete(v.m, origin)
		return
	}
	v.origin(origin).Base, v.m[origin].Extra = o.Base, slices.Clone(o.Extra)
}

// Lacking returns a copy of the parts of v's origins whose part have does
// not cover: what a peer with have could learn from v.
func (v *VersionVector) Lacking(have *VersionVector) *VersionVector {
	out := &VersionVector{}
	for id, o := range v.m {
		if !have.coversOrigin(id, o) {
			if out.m == nil {
				out.m = map[ReplicaID]*originDots{}
			}
			out.m[id] = &originDots{Base: o.Base, Extra: slices.Clone(o.Extra)}
		}
	}
	return out
}

// coversOrigin reports whether v holds every dot of o (origin id's dots).
func (v *VersionVector) coversOrigin(id ReplicaID, o *originDots) bool {
	if !v.coversRange(id, 1, o.Base) {
		return false
	}
	for _, s := range o.Extra {
		if !v.coversRange(id, s.Lo, s.Hi) {
			return false
		}
	}
	return true
}
