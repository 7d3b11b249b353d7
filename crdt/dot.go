package crdt

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
)

// ReplicaID names a replica. It is random, stable for the life of a node's
// data directory, and bound to the node's TLS identity.
type ReplicaID uint64

// String formats the id as 16 hex digits, the form used in logs and APIs.
func (r ReplicaID) String() string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- { // by hand: it is on every read's path
		b[i] = digits[r&0xf]
		r >>= 4
	}
	return string(b[:])
}

// ReplicaIDFor derives the replica id that key (the hash of a node's
// certificate public key) and nonce name: the first 8 bytes of a SHA-256
// over both, never 0. A node proves an id is its own by presenting the
// certificate and the nonce; another certificate cannot produce the same
// id without a 64-bit preimage search. A node takes a fresh id by taking a
// fresh nonce.
func ReplicaIDFor(key, nonce []byte) ReplicaID {
	h := sha256.New()
	h.Write([]byte("shoal replica id\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(key)))
	h.Write(n[:])
	h.Write(key)
	h.Write(nonce)
	id := ReplicaID(binary.BigEndian.Uint64(h.Sum(nil)))
	if id == 0 {
		id = 1 // a probability of 2^-64; 0 means "none" everywhere
	}
	return id
}

// LogValue logs the id in hex, as everywhere else, not as a number.
func (r ReplicaID) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Dot names one mutation: the replica that made it and that replica's
// counter at the time. Counters start at 1; a dot is never reused.
type Dot struct {
	_       struct{} `cbor:",toarray"`
	Origin  ReplicaID
	Counter uint64
}

func (d Dot) String() string { return fmt.Sprintf("%s:%d", d.Origin, d.Counter) }

// Compare orders dots by origin, then counter.
func (d Dot) Compare(o Dot) int {
	if c := cmp.Compare(d.Origin, o.Origin); c != 0 {
		return c
	}
	return cmp.Compare(d.Counter, o.Counter)
}

// Context is the causal context of one row: for each origin, the highest
// counter of that origin's dots the row has seen. A max per origin is exact
// for a row because each mutation of a row supersedes every entry its origin
// has observed there, so an origin's later dot on a row dominates its earlier
// ones on the same row. Kept sorted by origin, for canonical encoding.
type Context []Dot

// Covers reports whether the context has seen d.
func (c Context) Covers(d Dot) bool {
	i, ok := c.find(d.Origin)
	return ok && c[i].Counter >= d.Counter
}

// Max returns the highest counter seen for origin, or 0.
func (c Context) Max(origin ReplicaID) uint64 {
	if i, ok := c.find(origin); ok {
		return c[i].Counter
	}
	return 0
}

func (c Context) find(origin ReplicaID) (int, bool) {
	return slices.BinarySearchFunc(c, origin, func(d Dot, o ReplicaID) int { return cmp.Compare(d.Origin, o) })
}

// With returns a copy of c that has also seen d.
func (c Context) With(d Dot) Context {
	out := slices.Clone(c)
	i, ok := out.find(d.Origin)
	if ok {
		out[i].Counter = max(out[i].Counter, d.Counter)
		return out
	}
	return slices.Insert(out, i, Dot{Origin: d.Origin, Counter: d.Counter})
}

// JoinContexts returns the least context that has seen everything a or b has.
func JoinContexts(a, b Context) Context {
	out := make(Context, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := cmp.Compare(a[i].Origin, b[j].Origin); {
		case c < 0:
			out = append(out, a[i])
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, Dot{Origin: a[i].Origin, Counter: max(a[i].Counter, b[j].Counter)})
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// validate checks that c is sorted by origin with no duplicates or zero counters.
func (c Context) validate() error {
	for i, d := range c {
		if d.Counter == 0 {
			return fmt.Errorf("%w: context has a zero counter for %s", ErrInvalid, d.Origin)
		}
		if i > 0 && c[i-1].Origin >= d.Origin {
			return fmt.Errorf("%w: context not sorted by origin", ErrInvalid)
		}
	}
	return nil
}
