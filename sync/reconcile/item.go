package reconcile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// Item is one element of a reconciled set: a key and the hash of its value
// (for the scope table, the SHA-256 of the scope's version vector). Two
// items are equal iff both fields are; a set holds each key at most once.
type Item struct {
	Key   []byte
	Value [32]byte
}

// Sum is a sum of item hashes modulo 2^256, as four little-endian 64-bit
// limbs. Addition is commutative and invertible, so the sum of any key
// range is the difference of two prefix sums: a Set keeps those and
// answers a range in O(log n), and the sum does not depend on the order in
// which items were added.
type Sum [4]uint64

// HashItem returns SHA-256(key || value) as a Sum. The value has a fixed
// length, so the concatenation is unambiguous without a length prefix.
func HashItem(it Item) Sum {
	h := sha256.New()
	h.Write(it.Key)
	h.Write(it.Value[:])
	var d [32]byte
	h.Sum(d[:0])
	return SumFromBytes(d)
}

// SumFromBytes reads a Sum from its 32 little-endian bytes.
func SumFromBytes(b [32]byte) Sum {
	var s Sum
	for i := range s {
		s[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return s
}

// Bytes returns the 32 little-endian bytes of s (to store it).
func (s Sum) Bytes() [32]byte {
	var b [32]byte
	for i, w := range s {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

// Add returns s + t mod 2^256.
func (s Sum) Add(t Sum) Sum {
	var out Sum
	var c uint64
	for i := range s {
		out[i], c = bits.Add64(s[i], t[i], c)
	}
	return out
}

// Sub returns s - t mod 2^256.
func (s Sum) Sub(t Sum) Sum {
	var out Sum
	var b uint64
	for i := range s {
		out[i], b = bits.Sub64(s[i], t[i], b)
	}
	return out
}

// Summary is what a Set says about a key range: how many items it holds
// and the sum of their hashes.
type Summary struct {
	Count int
	Sum   Sum
}

// FingerprintSize is the length of a range's fingerprint on the wire.
const FingerprintSize = 16

// fingerprintTag separates fingerprints from any other SHA-256 use.
const fingerprintTag = "shoal/reconcile/fingerprint/v1\x00"

// Fingerprint returns the fingerprint of a range from its summary: the
// first FingerprintSize bytes of SHA-256(tag || sum || count). This is
// negentropy's construction. Why it is safe enough:
//
//   - Against the peer it does not need to be: the peer computes its own
//     fingerprints and may send any bytes it likes. A lying peer can make
//     a range look equal and so hide a difference, but only one involving
//     its own items (what it has or lacks), which it could hide as well by
//     not having the item. Reconciliation only reports keys; the caller
//     then syncs those through the ordinary protocol, whose joins and
//     checks do not depend on anything said here. A liar can at most keep
//     itself stale; it can never make us lose or overwrite data.
//   - Between two honest sets, an accidental collision has probability
//     about 2^-128 per comparison: SHA-256 output, truncated.
//   - A third party who chooses items in both sets (writes scope names,
//     say) would have to make two different multisets of SHA-256 outputs
//     sum to the same value mod 2^256 over the same range, with the count
//     bound in, and values it does not control (the hashes of each side's
//     state). The known attacks on additive hashing (Wagner's generalized
//     birthday) need vast numbers of chosen items placed in one range, and
//     the prize is a delayed sync of a scope: its next change alters its
//     hash and the difference shows.
//
// The additive combination is what makes a range's fingerprint O(1) from
// prefix sums; a multiplicative one (MuHash) would resist the third party
// better at the cost of a modular inverse per range.
func (s Summary) Fingerprint() [FingerprintSize]byte {
	h := sha256.New()
	h.Write([]byte(fingerprintTag))
	b := s.Sum.Bytes()
	h.Write(b[:])
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], uint64(s.Count))
	h.Write(c[:])
	var d [32]byte
	h.Sum(d[:0])
	var fp [FingerprintSize]byte
	copy(fp[:], d[:])
	return fp
}

// Range is the half-open key range [Lo, Hi) in bytes.Compare order. An
// empty Lo is the start of the key space; an empty Hi means no upper bound
// (no key is below the empty key, so an empty Hi could bound nothing).
type Range struct {
	Lo, Hi []byte
}

// Contains reports whether key lies in r.
func (r Range) Contains(key []byte) bool {
	return bytes.Compare(key, r.Lo) >= 0 && (len(r.Hi) == 0 || bytes.Compare(key, r.Hi) < 0)
}

// Separator returns the shortest key b with prev < b <= next, for
// prev < next: the shortest prefix of next that sorts after prev. It is
// the bound a Set should return between two neighbouring items: short
// bounds make short messages.
func Separator(prev, next []byte) []byte {
	p := commonPrefix(prev, next)
	if p >= len(next) { // prev >= next: not a valid pair; next is still <= next
		return next
	}
	return next[:p+1]
}

// commonPrefix returns the length of the longest common prefix of a and b.
// Keys of a set share long prefixes; bytes.Equal skips them a block at a
// time.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+64 <= n && bytes.Equal(a[i:i+64], b[i:i+64]) {
		i += 64
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}
