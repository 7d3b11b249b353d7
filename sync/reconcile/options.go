package reconcile

import (
	"fmt"
	"math/bits"
)

// Defaults of the zero Options fields, and the ranges of the fields.
const (
	DefaultBranch = 16
	MinBranch     = 2
	MaxBranch     = 64

	DefaultLeafItems = 16
	MaxLeafItems     = 4096

	DefaultFrameBudget = 64 << 10
	// MinFrameBudget leaves room, past the message's head, for a skip to a
	// bound of MaxKeyLen bytes, one listed item with such a key and its
	// bound, and the entry that defers the rest: every message settles
	// something, whatever the keys.
	MinFrameBudget = 16 << 10

	DefaultMaxPeerItems = 1 << 24
)

// Options tune a Session; zero fields take defaults. The two sides of an
// exchange need not agree on any of them: each decides only how it answers.
type Options struct {
	// Branch is how many parts a range whose fingerprints differ is split
	// into (DefaultBranch if 0; MinBranch to MaxBranch). More parts mean
	// fewer rounds and more bytes per difference.
	Branch int
	// LeafItems: a range whose fingerprints differ and that holds at most
	// this many of our items is listed rather than split
	// (DefaultLeafItems if 0; 1 to MaxLeafItems).
	LeafItems int
	// FrameBudget bounds the encoded size of each message this side sends
	// (DefaultFrameBudget if 0; MinFrameBudget to MaxMessageBytes). Work
	// that does not fit is deferred to the next round.
	FrameBudget int
	// MaxPeerItems is the largest set the peer may declare
	// (DefaultMaxPeerItems if 0; at most MaxTotal); a peer declaring more
	// fails the session at once (ErrTooLarge). Through MaxRounds it bounds
	// how long a peer can keep the exchange going, and it bounds the keys
	// we record as held by the peer alone.
	MaxPeerItems int
}

// withDefaults returns o with its zero fields set, or an error wrapping
// ErrOptions for a field out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Branch == 0 {
		o.Branch = DefaultBranch
	}
	if o.LeafItems == 0 {
		o.LeafItems = DefaultLeafItems
	}
	if o.FrameBudget == 0 {
		o.FrameBudget = DefaultFrameBudget
	}
	if o.MaxPeerItems == 0 {
		o.MaxPeerItems = DefaultMaxPeerItems
	}
	switch {
	case o.Branch < MinBranch || o.Branch > MaxBranch:
		return o, fmt.Errorf("%w: Branch %d, out of %d..%d", ErrOptions, o.Branch, MinBranch, MaxBranch)
	case o.LeafItems < 1 || o.LeafItems > MaxLeafItems:
		return o, fmt.Errorf("%w: LeafItems %d, out of 1..%d", ErrOptions, o.LeafItems, MaxLeafItems)
	case o.FrameBudget < MinFrameBudget || o.FrameBudget > MaxMessageBytes:
		return o, fmt.Errorf("%w: FrameBudget %d, out of %d..%d", ErrOptions, o.FrameBudget, MinFrameBudget, MaxMessageBytes)
	case o.MaxPeerItems < 1 || o.MaxPeerItems > MaxTotal:
		return o, fmt.Errorf("%w: MaxPeerItems %d, out of 1..%d", ErrOptions, o.MaxPeerItems, MaxTotal)
	}
	return o, nil
}

// Round limit constants (see MaxRounds).
const (
	RoundsBase     = 8
	RoundsPerLevel = 2
	RoundsPerItems = 4
)

// MaxRounds returns how many messages a Session accepts from its peer,
// where n is the larger of the two sets' sizes (ours, and the Total the
// peer declares); one more fails with ErrTooManyRounds:
//
//	RoundsBase + RoundsPerLevel·⌈log₂(n+1)⌉ + ⌈n/RoundsPerItems⌉
//
// The logarithmic part is the descent: each side splits a differing range
// into at least MinBranch parts by its own items, so every two messages
// at least halve both sides' counts in every open range, and a range
// small on both sides is listed and answered. The linear part pays for
// the frame budget: a message that would exceed it defers the rest of
// the key space to the next round, so moving many differences takes
// rounds in proportion to them; n bounds the differences. At the smallest
// budget a message holds about a dozen items of MaxKeyLen bytes, and the
// worst honest runs measured (keys of MaxKeyLen, Branch 2, LeafItems 1,
// as many differences as items; TestLongKeys) took one message per side for
// every twelve items: one round per RoundsPerItems items leaves a margin
// of three. Between caught-up hubs the exchange takes two messages, and
// with a few differences about 2·log_Branch(n). A peer can thus
// keep a session alive only as long as an honest peer with the set it
// declares could, and no longer than MaxRounds(Options.MaxPeerItems).
func MaxRounds(n int) int {
	if n < 0 {
		n = 0
	}
	return RoundsBase + RoundsPerLevel*bits.Len64(uint64(n)) + (n+RoundsPerItems-1)/RoundsPerItems
}
