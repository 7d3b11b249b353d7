package reconcile

import (
	"bytes"
	"fmt"
	"slices"
)

// Session is one side of one reconciliation with one peer. The initiator
// calls Initiate and sends what it returns; then each side passes every
// message it receives to Step and sends what Step returns, until Step
// returns no message: the exchange has ended, and Differences is complete
// on both sides. A Session does no I/O and keeps no clock; the caller moves
// the bytes, in order, over a stream it trusts to deliver them. It is not
// safe for concurrent use.
type Session struct {
	set   Set
	opts  Options
	total int

	state     state
	peerTotal int
	maxRounds int
	listed    []listed // the ranges our last message listed
	diff      map[string]category
	remote    int // keys in diff as categoryRemoteOnly
	stats     Stats
}

type state uint8

const (
	stateNew state = iota
	stateRunning
	stateDone
	stateFailed
)

// category is how a key differs.
type category uint8

const (
	categoryLocalOnly category = iota + 1
	categoryRemoteOnly
	categoryChanged
)

// Differences are the keys that differ between the two sets, each sorted.
// Keys we hold that the peer lacks or holds with another value are
// LocalOnly and Changed; keys the peer holds that we lack are RemoteOnly.
type Differences struct {
	LocalOnly  [][]byte // we hold it, the peer does not
	RemoteOnly [][]byte // the peer holds it, we do not
	Changed    [][]byte // both hold it, with different values
}

// Len returns the number of differing keys.
func (d Differences) Len() int { return len(d.LocalOnly) + len(d.RemoteOnly) + len(d.Changed) }

// Stats count what a session sent and received.
type Stats struct {
	Sent, Received           int // messages
	BytesSent, BytesReceived int
}

// NewSession returns a session over set (which must not change until the
// session ends) with the given options.
func NewSession(set Set, opts Options) (*Session, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	total := set.Summarize(Range{}).Count
	if total > MaxTotal {
		return nil, fmt.Errorf("%w: set of %d items, over %d", ErrTooLarge, total, MaxTotal)
	}
	return &Session{set: set, opts: o, total: total, diff: map[string]category{}}, nil
}

// Initiate returns the first message of the exchange; the other side
// starts with Step. It is our fingerprint of the whole set: between equal
// sets the exchange ends with the answer, a couple of dozen bytes in all.
func (s *Session) Initiate() ([]byte, error) {
	if s.state != stateNew {
		return nil, fmt.Errorf("%w: Initiate on a session already started", ErrState)
	}
	s.state = stateRunning
	b := newBuilder(s.set, s.opts.FrameBudget, s.total)
	all := Range{Lo: []byte{}}
	if !b.addFingerprint(all, s.set.Summarize(all)) {
		b.cut(all.Lo)
	}
	return s.send(b)
}

// Step takes the peer's next message and returns ours, or nil if the
// exchange has ended (Done is then true, and nothing is to be sent). An
// error ends the session: errors wrapping ErrMalformed or ErrTooLarge for
// bytes that break the format, ErrProtocol for a message that
// contradicts the session, ErrTooManyRounds past MaxRounds, ErrState for a
// call after the end.
func (s *Session) Step(msg []byte) ([]byte, error) {
	switch s.state {
	case stateDone:
		return nil, fmt.Errorf("%w: Step after the exchange ended", ErrState)
	case stateFailed:
		return nil, fmt.Errorf("%w: Step after an error", ErrState)
	}
	s.state = stateRunning
	out, err := s.step(msg)
	if err != nil {
		s.state = stateFailed
		return nil, err
	}
	return out, nil
}

// Done reports whether the exchange has ended.
func (s *Session) Done() bool { return s.state == stateDone }

// Stats returns what the session has sent and received.
func (s *Session) Stats() Stats { return s.stats }

// Differences returns the differing keys found so far; complete once Done.
// The caller may keep and modify the slices.
func (s *Session) Differences() Differences {
	var d Differences
	for k, c := range s.diff {
		switch c {
		case categoryLocalOnly:
			d.LocalOnly = append(d.LocalOnly, []byte(k))
		case categoryRemoteOnly:
			d.RemoteOnly = append(d.RemoteOnly, []byte(k))
		case categoryChanged:
			d.Changed = append(d.Changed, []byte(k))
		}
	}
	for _, l := range [][][]byte{d.LocalOnly, d.RemoteOnly, d.Changed} {
		slices.SortFunc(l, bytes.Compare)
	}
	return d
}

func (s *Session) step(in []byte) ([]byte, error) {
	s.stats.Received++
	s.stats.BytesReceived += len(in)
	m, spans, err := decode(in)
	if err != nil {
		return nil, err
	}
	if s.stats.Received == 1 {
		if m.Total > uint64(s.opts.MaxPeerItems) {
			return nil, fmt.Errorf("%w: peer declares %d items, over the %d allowed", ErrTooLarge, m.Total, s.opts.MaxPeerItems)
		}
		s.peerTotal = int(m.Total)
		s.maxRounds = MaxRounds(max(s.total, s.peerTotal))
	} else if int(m.Total) != s.peerTotal {
		return nil, fmt.Errorf("%w: total changed from %d to %d", ErrProtocol, s.peerTotal, m.Total)
	}
	if s.stats.Received > s.maxRounds {
		return nil, fmt.Errorf("%w: message %d, over %d for sets of %d and %d items", ErrTooManyRounds, s.stats.Received, s.maxRounds, s.total, s.peerTotal)
	}
	prevListed := s.listed
	s.listed = nil
	b := newBuilder(s.set, s.opts.FrameBudget, s.total)
	asks, cut, lp := false, false, 0
	for i := range spans {
		sp := &spans[i]
		switch sp.kind {
		case kindReport:
			if err := s.applyReport(sp, prevListed, &lp); err != nil {
				return nil, err
			}
		case kindFingerprint:
			asks = true
			if !cut {
				cut = s.answerFingerprint(b, sp)
			}
		case kindList:
			asks = true
			if !cut {
				if cut, err = s.answerList(b, sp); err != nil {
					return nil, err
				}
			}
		}
	}
	if !asks {
		s.state = stateDone
		return nil, nil
	}
	return s.send(b)
}

// send encodes the message b built and records it.
func (s *Session) send(b *builder) ([]byte, error) {
	out, err := Encode(&b.msg)
	if err != nil {
		return nil, fmt.Errorf("reconcile: our own message: %w", err)
	}
	if len(out) != b.encodedSize() || len(out) > s.opts.FrameBudget {
		// A bug in the size accounting: better an error than a message
		// over the budget.
		return nil, fmt.Errorf("reconcile: our own message of %d bytes, counted %d, budget %d", len(out), b.encodedSize(), s.opts.FrameBudget)
	}
	s.listed = b.listed
	if !b.asks {
		s.state = stateDone
	}
	s.stats.Sent++
	s.stats.BytesSent += len(out)
	return out, nil
}

// answerFingerprint answers the peer's fingerprint of a range: nothing if
// ours is the same, else our items if few, else our fingerprints of its
// parts. It reports whether it had to cut the message.
func (s *Session) answerFingerprint(b *builder, sp *span) bool {
	mine := s.set.Summarize(sp.r)
	if mine.Count == sp.count && mine.Fingerprint() == sp.fp {
		return false
	}
	if mine.Count <= s.opts.LeafItems {
		cut, at := b.addList(sp.r, s.set.AppendItems(nil, sp.r, mine.Count))
		if cut {
			b.cut(at)
		}
		return cut
	}
	bounds := s.set.Split(sp.r, s.opts.Branch)
	lo := sp.r.Lo
	for k := 0; k <= len(bounds); k++ {
		hi := sp.r.Hi
		if k < len(bounds) {
			hi = bounds[k]
		}
		part := Range{Lo: lo, Hi: hi}
		if !b.addFingerprint(part, s.set.Summarize(part)) {
			b.cut(lo)
			return true
		}
		lo = hi
	}
	return false
}

// answerList answers the peer's list of a range with a report of the keys
// that differ, recording them. It reports whether it had to cut the
// message (then only the keys reported are recorded: the rest of the range
// comes back next round).
func (s *Session) answerList(b *builder, sp *span) (bool, error) {
	// At most this many keys can fit (each costs at least three bytes);
	// one more tells whether the report is complete.
	limit := min(MaxItems-b.items, max(0, b.budget-b.size)/3) + 1
	var keys [][]byte
	var tags []byte
	theirs := sp.items
	add := func(k []byte, t byte) bool {
		keys = append(keys, k)
		tags = append(tags, t)
		return len(keys) < limit
	}
	r := sp.r
	const chunk = 256
	var ours []Item
collect:
	for {
		ours = s.set.AppendItems(ours[:0], r, chunk)
		for _, it := range ours {
			for len(theirs) > 0 && bytes.Compare(theirs[0].Key, it.Key) < 0 {
				if !add(theirs[0].Key, TagReceiverOnly) {
					break collect
				}
				theirs = theirs[1:]
			}
			switch {
			case len(theirs) > 0 && bytes.Equal(theirs[0].Key, it.Key):
				v := theirs[0].Value
				theirs = theirs[1:]
				if v != it.Value && !add(it.Key, TagChanged) {
					break collect
				}
			default:
				if !add(it.Key, TagSenderOnly) {
					break collect
				}
			}
		}
		if len(ours) < chunk {
			for _, t := range theirs {
				if !add(t.Key, TagReceiverOnly) {
					break collect
				}
			}
			break
		}
		r.Lo = successor(ours[len(ours)-1].Key)
	}
	var next []byte
	if len(keys) == limit { // the last one only says there is more
		next = keys[len(keys)-1]
		keys, tags = keys[:len(keys)-1], tags[:len(tags)-1]
	}
	if len(keys) == 0 && next == nil {
		return false, nil // the same items: nothing to say
	}
	n, cut, at := 0, true, sp.r.Lo
	if len(keys) > 0 {
		n, cut, at = b.addReport(sp.r, keys, tags, next)
	}
	for i := range n {
		c := categoryLocalOnly
		switch tags[i] {
		case TagReceiverOnly:
			c = categoryRemoteOnly
		case TagChanged:
			c = categoryChanged
		}
		if err := s.record(keys[i], c); err != nil {
			return false, err
		}
	}
	if cut {
		b.cut(at)
	}
	return cut, nil
}

// applyReport checks the peer's report against the ranges our last
// message listed and against our set, and records its keys.
func (s *Session) applyReport(sp *span, prev []listed, lp *int) error {
	for *lp < len(prev) && len(prev[*lp].r.Hi) > 0 && bytes.Compare(prev[*lp].r.Hi, sp.r.Lo) <= 0 {
		*lp++
	}
	if *lp == len(prev) || !within(sp.r, prev[*lp].r) {
		return fmt.Errorf("%w: report on a range we did not list", ErrProtocol)
	}
	ours := s.set.AppendItems(nil, sp.r, prev[*lp].count+1)
	for i, k := range sp.keys {
		for len(ours) > 0 && bytes.Compare(ours[0].Key, k) < 0 {
			ours = ours[1:]
		}
		have := len(ours) > 0 && bytes.Equal(ours[0].Key, k)
		var c category
		switch sp.tags[i] {
		case TagSenderOnly:
			c = categoryRemoteOnly
		case TagReceiverOnly:
			c = categoryLocalOnly
		case TagChanged:
			c = categoryChanged
		}
		switch {
		case have && c == categoryRemoteOnly:
			return fmt.Errorf("%w: report says we lack a key we hold", ErrProtocol)
		case !have && c != categoryRemoteOnly:
			return fmt.Errorf("%w: report says we hold a key we lack", ErrProtocol)
		}
		if err := s.record(k, c); err != nil {
			return err
		}
	}
	return nil
}

// record notes how key differs. The two sets are fixed, so a key's
// category never changes: a peer that says otherwise contradicts itself.
func (s *Session) record(key []byte, c category) error {
	old, ok := s.diff[string(key)]
	if ok {
		if old != c {
			return fmt.Errorf("%w: peer contradicts itself on a key", ErrProtocol)
		}
		return nil
	}
	if c == categoryRemoteOnly {
		if s.remote >= s.peerTotal {
			return fmt.Errorf("%w: more keys we lack than the %d items the peer declared", ErrProtocol, s.peerTotal)
		}
		s.remote++
	}
	s.diff[string(key)] = c
	return nil
}

// within reports whether r lies inside outer.
func within(r, outer Range) bool {
	if bytes.Compare(r.Lo, outer.Lo) < 0 {
		return false
	}
	if len(outer.Hi) == 0 {
		return true
	}
	return len(r.Hi) > 0 && bytes.Compare(r.Hi, outer.Hi) <= 0
}

// successor returns the smallest key after k.
func successor(k []byte) []byte {
	return append(slices.Clip(k), 0)
}
