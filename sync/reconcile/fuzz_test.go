package reconcile

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// Fuzz targets for what a peer controls. Seeds are below (f.Add); a
// crasher found later belongs in testdata/fuzz/<target>/. To fuzz:
//
//	go test ./sync/reconcile/ -run='^$' -fuzz='^FuzzDecode$' -fuzztime=30s
//	go test ./sync/reconcile/ -run='^$' -fuzz='^FuzzSession$' -fuzztime=30s
//
// (-fuzzminimizetime=2s keeps the fuzzer from spending most of its time
// minimizing the large seeds' offspring.)

// transcripts returns the messages of a few honest exchanges.
func transcripts(t fataler) [][]byte {
	var out [][]byte
	base := table(400)
	for _, other := range [][]Item{base, nil, mutate(base, 20, newRand(1)), mutate(base, 400, newRand(2))} {
		sa := mustSession(t, mustSorted(t, base), Options{FrameBudget: MinFrameBudget})
		sb := mustSession(t, mustSorted(t, other), Options{Branch: 4, LeafItems: 3})
		msg, err := sa.Initiate()
		for from, to := sa, sb; msg != nil; from, to = to, from {
			if err != nil {
				t.Fatalf("%v", err)
			}
			out = append(out, msg)
			msg, err = to.Step(msg)
		}
	}
	return out
}

// FuzzDecode: Decode never panics; what it accepts is within the limits
// and re-encodes to the same bytes; what it refuses wraps ErrMalformed or
// ErrTooLarge.
func FuzzDecode(f *testing.F) {
	for _, m := range exampleMessages() {
		f.Add(mustEncode(f, m))
	}
	for _, name := range sortedKeys(malformedBodies(f)) {
		f.Add(malformedBodies(f)[name])
	}
	for _, b := range transcripts(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, spans, err := decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		if len(b) > MaxMessageBytes || len(spans) > MaxEntries || m.Total > MaxTotal {
			t.Fatalf("accepted a message over a limit: %d bytes, %d entries, total %d", len(b), len(spans), m.Total)
		}
		items, keyLen := 0, 0
		var prev []byte
		for _, sp := range spans {
			keys := sp.keys
			for _, it := range sp.items {
				keys = append(keys, it.Key)
			}
			for _, k := range keys {
				if len(k) > MaxKeyLen || !sp.r.Contains(k) || prev != nil && bytes.Compare(k, prev) <= 0 {
					t.Fatalf("accepted a key of %d bytes out of its range or order", len(k))
				}
				prev = k
			}
			items += len(keys)
			keyLen += len(sp.r.Hi)
			for _, k := range keys {
				keyLen += len(k)
			}
			if len(sp.r.Hi) > 0 && (bytes.Compare(sp.r.Hi, sp.r.Lo) <= 0 || len(sp.r.Hi) > MaxKeyLen) {
				t.Fatalf("accepted a range [%q, %q)", sp.r.Lo, sp.r.Hi)
			}
		}
		if items > MaxItems || keyLen > MaxKeyBytes {
			t.Fatalf("accepted %d keys of %d bytes", items, keyLen)
		}
		again, err := Encode(m)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted bytes do not re-encode to themselves: %v", err)
		}
	})
}

// FuzzSession feeds a session a series of well-formed messages built from
// the fuzzer's bytes (see gen): ranges on bounds near its own keys, its own
// fingerprints or others, lists close to its items, reports true or false.
// The session must not panic, must answer within its budget with messages
// that decode, must record no more differences than the two sets could
// hold, must keep within MaxRounds, and may fail only with a sentinel for
// a peer's fault (never ErrMalformed: the messages are well-formed).
func FuzzSession(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, true)
	f.Add(bytes.Repeat([]byte{0x5a, 0x13, 0xc7, 0x02}, 64), false)
	f.Add(bytes.Repeat([]byte{0xff, 0x00, 0x81}, 200), true)
	for i := range 8 {
		r := newRand(uint64(i))
		b := make([]byte, 300)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		f.Add(b, i%2 == 0)
	}
	universe := fuzzUniverse()
	var mine []Item
	for i, k := range universe {
		if i%3 != 1 {
			mine = append(mine, item(k, i%5))
		}
	}
	set := mustSorted(f, mine)
	f.Fuzz(func(t *testing.T, seed []byte, initiate bool) {
		g := &gen{b: seed, universe: universe, set: set}
		o := Options{Branch: 2 + g.intn(6), LeafItems: 1 + g.intn(8), FrameBudget: MinFrameBudget}
		s := mustSession(t, set, o)
		total := 1 + g.intn(200)
		var last []span
		if initiate {
			out, err := s.Initiate()
			if err != nil {
				t.Fatal(err)
			}
			_, last, _ = decode(out)
		}
		limit := MaxRounds(max(set.Len(), total))
		for round := 1; !g.empty() && !s.Done(); round++ {
			m := g.message(total, last)
			b, err := Encode(m)
			if err != nil {
				t.Fatalf("the generator built a bad message: %v", err)
			}
			out, err := s.Step(b)
			if err != nil {
				if errors.Is(err, ErrMalformed) || !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrTooManyRounds) {
					t.Fatalf("round %d: a well-formed message gave %v", round, err)
				}
				if errors.Is(err, ErrTooManyRounds) && round <= limit {
					t.Fatalf("round %d of %d: %v", round, limit, err)
				}
				return
			}
			if round > limit {
				t.Fatalf("round %d taken, over the limit of %d", round, limit)
			}
			if len(out) > o.FrameBudget {
				t.Fatalf("answer of %d bytes over the budget of %d", len(out), o.FrameBudget)
			}
			if out != nil {
				if _, last, err = decode(out); err != nil {
					t.Fatalf("our own answer does not decode: %v", err)
				}
			}
			d := s.Differences()
			if len(d.LocalOnly)+len(d.Changed) > set.Len() || len(d.RemoteOnly) > total {
				t.Fatalf("recorded %d differences of ours and %d of theirs", len(d.LocalOnly)+len(d.Changed), len(d.RemoteOnly))
			}
		}
	})
}

// fuzzUniverse is the key space of FuzzSession: every key of one to three
// letters of "abc".
func fuzzUniverse() []string {
	var out []string
	for i := range 39 {
		out = append(out, keyOf(i, 1, 0))
	}
	slices.Sort(out)
	return out
}

// gen turns fuzzer bytes into well-formed messages; when the bytes run out
// it reads zeros.
type gen struct {
	b        []byte
	universe []string
	set      *Sorted
}

func (g *gen) empty() bool { return len(g.b) == 0 }

func (g *gen) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

// intn returns a number in [0, n), n at most 256.
func (g *gen) intn(n int) int { return int(g.byte()) % n }

// message builds a message whose bounds come from the universe and from
// the ranges of our last message (so that reports can answer our lists).
func (g *gen) message(total int, last []span) *Message {
	cands := slices.Clone(g.universe)
	for _, sp := range last {
		if len(sp.r.Hi) > 0 {
			cands = append(cands, string(sp.r.Hi))
		}
		cands = append(cands, string(sp.r.Lo))
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	var bounds []string
	for _, c := range cands {
		if c != "" && g.intn(4) == 0 {
			bounds = append(bounds, c)
		}
	}
	if g.intn(2) == 0 {
		bounds = append(bounds, "") // the last range unbounded
	}
	var es []ent
	lo, listed := "", 0
	for _, hi := range bounds {
		r := Range{Lo: []byte(lo), Hi: []byte(hi)}
		var in []string // universe keys in r
		for _, k := range g.universe {
			if r.Contains([]byte(k)) {
				in = append(in, k)
			}
		}
		e := ent{hi: hi}
		switch g.intn(4) {
		case 1:
			sum := g.set.Summarize(r)
			e.kind, e.count = kindFingerprint, max(1, min(total, sum.Count+g.intn(3)-1))
			if g.intn(2) == 0 { // ours: a match, if the count is ours too
				fp := sum.Fingerprint()
				e.hash = fp[:]
			}
		case 2:
			e.kind = kindList
			for _, k := range in {
				if listed < total && g.intn(3) != 0 {
					e.items = append(e.items, item(k, g.intn(6)))
					listed++
				}
			}
		case 3:
			e.kind = kindReport
			for _, k := range in {
				if g.intn(3) == 0 {
					e.keys = append(e.keys, k)
					tag := byte(TagSenderOnly) // true if we lack it
					if g.set.Summarize(Range{Lo: []byte(k), Hi: successor([]byte(k))}).Count > 0 {
						tag = byte(TagReceiverOnly + g.intn(2))
					}
					if g.intn(8) == 0 { // a lie now and then
						tag = byte(g.intn(3))
					}
					e.tags = append(e.tags, tag)
				}
			}
			if len(e.keys) == 0 {
				e.kind = kindSkip
			}
		}
		if e.kind == kindSkip && (len(es) > 0 && es[len(es)-1].kind == kindSkip) {
			es[len(es)-1].hi = hi // merge skips
		} else {
			es = append(es, e)
		}
		lo = hi
	}
	if len(es) > 0 && es[len(es)-1].kind == kindSkip {
		es = es[:len(es)-1]
	}
	return msgOf(uint64(total), es...)
}
