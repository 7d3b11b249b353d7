package reconcile

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestIdenticalSets(t *testing.T) {
	for _, n := range []int{0, 1, 16, 17, 10000} {
		items := table(n)
		x := check(t, items, items, Options{}, Options{})
		if x.messages != 2 || x.bytes > 64 {
			t.Errorf("%d equal items: %d messages, %d bytes; want one round trip of at most 64 bytes", n, x.messages, x.bytes)
		}
	}
}

func TestEmptyVersusFull(t *testing.T) {
	t.Parallel()
	// 6000 items at the smallest budget: more differing keys than a
	// report can hold.
	for _, c := range []struct {
		n int
		o Options
	}{{3000, Options{}}, {6000, Options{FrameBudget: MinFrameBudget}}} {
		full := table(c.n)
		check(t, nil, full, c.o, c.o)
		check(t, full, nil, c.o, c.o)
	}
}

// TestOwnLimits: with the largest budget, our answer to a peer that holds
// nothing meets MaxItems (many short keys) or MaxKeyBytes (many long keys
// that front-code small) before the budget; the builder cuts there, and
// the message decodes (the peer refuses more).
func TestOwnLimits(t *testing.T) {
	t.Parallel()
	short := make([]Item, MaxItems+5000)
	for i := range short {
		short[i] = Item{Key: []byte(key4(i))}
	}
	long := make([]Item, MaxKeyBytes/MaxKeyLen+1000)
	pad := strings.Repeat("k", MaxKeyLen-4)
	for i := range long {
		long[i] = Item{Key: []byte(pad + key4(i))}
	}
	for _, c := range []struct {
		name       string
		items      []Item
		keys, kmin int // keys and key bytes in the answer: at most, at least
		bytes      int
	}{
		{"items", short, MaxItems, 0, 0},
		{"key bytes", long, MaxKeyBytes / MaxKeyLen, MaxKeyBytes - MaxKeyLen, 0},
	} {
		s := mustSession(t, mustSorted(t, c.items), Options{FrameBudget: MaxMessageBytes})
		out, err := s.Step(mustEncode(t, msgOf(0, listOf(""))))
		if err != nil {
			t.Fatal(err)
		}
		_, spans, err := decode(out)
		if err != nil {
			t.Fatalf("%s: our answer does not decode: %v", c.name, err)
		}
		keys, keyLen := 0, 0
		for _, sp := range spans {
			keys += len(sp.keys)
			keyLen += len(sp.r.Hi)
			for _, k := range sp.keys {
				keyLen += len(k)
			}
		}
		if len(out) > MaxMessageBytes/2 || keys > c.keys || keys < c.keys-1 || keyLen < c.kmin {
			t.Errorf("%s: answer of %d bytes, %d keys, %d key bytes: not cut at the limit", c.name, len(out), keys, keyLen)
		}
	}
}

// TestCutWhereWeHoldNothing: a peer's many fingerprints of ranges where we
// hold nothing are answered with empty lists until the budget is full;
// the rest of the key space, where we hold nothing either, is handed back
// as one empty list.
func TestCutWhereWeHoldNothing(t *testing.T) {
	s := mustSession(t, mustSorted(t, []Item{item("\x00", 1)}), Options{FrameBudget: MinFrameBudget})
	var es []ent
	for i := range 4000 {
		es = append(es, fpOf(key4(i+1), 1))
	}
	out, err := s.Step(mustEncode(t, msgOf(4000, es...)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(out)
	if err != nil || len(out) > MinFrameBudget {
		t.Fatalf("answer of %d bytes: %v", len(out), err)
	}
	last := m.Entries[len(m.Entries)-1]
	if len(m.Entries) >= 4000 || last.List == nil || len(last.List.Keys.Shared) != 0 || last.Shared != 0 || len(last.Suffix) != 0 {
		t.Fatalf("%d entries, the last %+v: want a cut ending in an unbounded empty list", len(m.Entries), last)
	}
}

// TestOneDifference puts one difference of each kind at the start, in the
// middle and at the end of the key space, on each side.
func TestOneDifference(t *testing.T) {
	base := table(1000)
	sorted := mustSorted(t, base).Items()
	for _, at := range []int{0, len(sorted) / 2, len(sorted) - 1} {
		k := string(sorted[at].Key)
		removed := slices.Delete(slices.Clone(sorted), at, at+1)
		changed := slices.Clone(sorted)
		changed[at] = item(k, 2)
		before := append(slices.Clone(sorted), item(k[:len(k)-1], 1)) // sorts just before k
		after := append(slices.Clone(sorted), item(k+"\x00", 1))      // just after k
		first := append(slices.Clone(sorted), item("", 1))            // the smallest key
		last := append(slices.Clone(sorted), item("\xff\xff", 1))     // after every key
		for name, other := range map[string][]Item{"removed": removed, "changed": changed, "added before": before, "added after": after, "added first": first, "added last": last} {
			x := check(t, sorted, other, Options{}, Options{})
			check(t, other, sorted, Options{}, Options{})
			if d := x.a.Differences(); d.Len() != 1 {
				t.Errorf("%s at %d: %v", name, at, d)
			}
		}
	}
}

func TestValueChanges(t *testing.T) {
	a := table(2000)
	b := slices.Clone(a)
	for i := 0; i < len(b); i += 7 {
		b[i] = item(string(b[i].Key), 2)
	}
	x := check(t, a, b, Options{}, Options{})
	if d := x.a.Differences(); len(d.Changed) != (len(b)+6)/7 || len(d.LocalOnly)+len(d.RemoteOnly) != 0 {
		t.Fatalf("changed values: %d changed, %d local only, %d remote only", len(d.Changed), len(d.LocalOnly), len(d.RemoteOnly))
	}
}

func TestDisjointSets(t *testing.T) {
	var a, b []Item
	for i := range 2000 {
		if i%2 == 0 {
			a = append(a, item(scope(i), 1))
		} else {
			b = append(b, item(scope(i), 1))
		}
	}
	for _, o := range []Options{{}, {FrameBudget: MinFrameBudget}, {Branch: 2, LeafItems: 1}} {
		check(t, a, b, o, o)
	}
	check(t, table(500), []Item{item("zzz", 1)}, Options{}, Options{})
}

func TestManyRandomDifferences(t *testing.T) {
	t.Parallel()
	base := table(1000)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, d := range []int{1, 10, 100, 1000} {
		other := mutate(base, d, rng)
		for _, o := range []Options{{}, {FrameBudget: MinFrameBudget}, {Branch: 2, LeafItems: 1, FrameBudget: MinFrameBudget}, {Branch: MaxBranch, LeafItems: 200}} {
			check(t, base, other, o, Options{})
			check(t, other, base, Options{}, o)
		}
	}
}

// TestLongKeys runs exchanges of keys of MaxKeyLen bytes at the smallest
// frame budget, where each message holds only a dozen of them, and checks
// the round limit holds (RoundsPerItems is set from such runs).
func TestLongKeys(t *testing.T) {
	t.Parallel()
	long := func(n int) []Item {
		out := make([]Item, n)
		for i := range out {
			k := fmt.Sprintf("%08d", i*7919%100003)
			out[i] = item(k+strings.Repeat("x", MaxKeyLen-len(k)), 1)
		}
		return out
	}
	base := long(400)
	rng := rand.New(rand.NewPCG(3, 3))
	other := mutate(base, 400, rng)
	for _, o := range []Options{{FrameBudget: MinFrameBudget}, {Branch: 2, LeafItems: 1, FrameBudget: MinFrameBudget}, {Branch: MaxBranch, LeafItems: MaxLeafItems, FrameBudget: MinFrameBudget}} {
		check(t, base, other, o, o)
		check(t, nil, base, o, o)
		check(t, base, nil, o, o)
	}
}

// TestDeterministic: the same sets and options give the same bytes.
func TestDeterministic(t *testing.T) {
	a := table(2000)
	b := mutate(a, 50, rand.New(rand.NewPCG(1, 2)))
	transcript := func() []byte {
		sa, sb := mustSession(t, mustSorted(t, a), Options{}), mustSession(t, mustSorted(t, b), Options{})
		var all []byte
		msg, err := sa.Initiate()
		for from, to := sa, sb; msg != nil && err == nil; from, to = to, from {
			all = append(all, msg...)
			msg, err = to.Step(msg)
		}
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	if !bytes.Equal(transcript(), transcript()) {
		t.Fatal("two runs over the same sets sent different bytes")
	}
}

func TestSessionOutOfOrder(t *testing.T) {
	set := mustSorted(t, table(10))
	s := mustSession(t, set, Options{})
	if _, err := s.Initiate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Initiate(); !errors.Is(err, ErrState) {
		t.Fatalf("second Initiate: %v, want ErrState", err)
	}
	r := mustSession(t, set, Options{})
	first, _ := mustSession(t, set, Options{}).Initiate()
	if _, err := r.Step(first); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Initiate(); !errors.Is(err, ErrState) {
		t.Fatalf("Initiate after Step: %v, want ErrState", err)
	}
	if !r.Done() {
		t.Fatal("equal sets: the responder is not done after its answer")
	}
	if _, err := r.Step(first); !errors.Is(err, ErrState) {
		t.Fatalf("Step after the end: %v, want ErrState", err)
	}
	bad := mustSession(t, set, Options{})
	if _, err := bad.Step([]byte{0xff}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("garbage: %v, want ErrMalformed", err)
	}
	if _, err := bad.Step(first); !errors.Is(err, ErrState) {
		t.Fatalf("Step after an error: %v, want ErrState", err)
	}
}

// TestOptionLimits checks each option at, just inside and just outside
// its range.
func TestOptionLimits(t *testing.T) {
	set := mustSorted(t, nil)
	for _, c := range []struct {
		o  Options
		ok bool
	}{
		{Options{}, true},
		{Options{Branch: MinBranch - 1}, false},
		{Options{Branch: MinBranch}, true},
		{Options{Branch: MinBranch + 1}, true},
		{Options{Branch: MaxBranch - 1}, true},
		{Options{Branch: MaxBranch}, true},
		{Options{Branch: MaxBranch + 1}, false},
		{Options{LeafItems: -1}, false},
		{Options{LeafItems: 1}, true},
		{Options{LeafItems: MaxLeafItems - 1}, true},
		{Options{LeafItems: MaxLeafItems}, true},
		{Options{LeafItems: MaxLeafItems + 1}, false},
		{Options{FrameBudget: MinFrameBudget - 1}, false},
		{Options{FrameBudget: MinFrameBudget}, true},
		{Options{FrameBudget: MinFrameBudget + 1}, true},
		{Options{FrameBudget: MaxMessageBytes - 1}, true},
		{Options{FrameBudget: MaxMessageBytes}, true},
		{Options{FrameBudget: MaxMessageBytes + 1}, false},
		{Options{MaxPeerItems: -1}, false},
		{Options{MaxPeerItems: 1}, true},
		{Options{MaxPeerItems: MaxTotal - 1}, true},
		{Options{MaxPeerItems: MaxTotal}, true},
		{Options{MaxPeerItems: MaxTotal + 1}, false},
	} {
		_, err := NewSession(set, c.o)
		if c.ok != (err == nil) || err != nil && !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: %v", c.o, err)
		}
	}
}

// TestLimitMaxPeerItems: a peer may declare MaxPeerItems items, not one
// more.
func TestLimitMaxPeerItems(t *testing.T) {
	set := mustSorted(t, table(5))
	for _, n := range []int{99, 100, 101} {
		s := mustSession(t, set, Options{MaxPeerItems: 100})
		_, err := s.Step(mustEncode(t, msgOf(uint64(n), fpOf("", 1))))
		if n <= 100 && err != nil || n > 100 && !errors.Is(err, ErrTooLarge) {
			t.Errorf("peer declaring %d of 100: %v", n, err)
		}
	}
}

// TestLimitMaxRounds: a peer that asks the same thing forever is stopped
// after MaxRounds messages: the last one allowed is answered, the next one
// fails with ErrTooManyRounds.
func TestLimitMaxRounds(t *testing.T) {
	for _, c := range []struct{ ours, theirs int }{{100, 5}, {5, 3000}} {
		s := mustSession(t, mustSorted(t, table(c.ours)), Options{})
		ask := mustEncode(t, msgOf(uint64(c.theirs), fpOf("", c.theirs)))
		limit := MaxRounds(max(c.ours, c.theirs))
		for i := 1; i <= limit; i++ {
			out, err := s.Step(ask)
			if err != nil || out == nil {
				t.Fatalf("%+v: message %d of %d: %v (answer %d bytes)", c, i, limit, err, len(out))
			}
		}
		if _, err := s.Step(ask); !errors.Is(err, ErrTooManyRounds) {
			t.Fatalf("%+v: message %d: %v, want ErrTooManyRounds", c, limit+1, err)
		}
	}
	if MaxRounds(0) != RoundsBase || MaxRounds(10000) != RoundsBase+RoundsPerLevel*14+2500 {
		t.Fatalf("MaxRounds(0) = %d, MaxRounds(10000) = %d", MaxRounds(0), MaxRounds(10000))
	}
}

// TestPeerLies sends well-formed messages that contradict the session.
func TestPeerLies(t *testing.T) {
	ours := mustSorted(t, []Item{item("a", 1), item("b", 1)})
	// start returns a session that has answered a fingerprint of the whole
	// key space by listing its two items.
	start := func() *Session {
		s := mustSession(t, ours, Options{})
		out, err := s.Step(mustEncode(t, msgOf(5, fpOf("", 5))))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Decode(out)
		if len(m.Entries) != 1 || m.Entries[0].List == nil {
			t.Fatalf("expected our list, got %+v", m)
		}
		return s
	}
	tagged := func(hi string, key string, tag byte) ent {
		return ent{hi: hi, kind: kindReport, keys: []string{key}, tags: []byte{tag}}
	}
	sixKeys := ent{hi: "", kind: kindReport, keys: []string{"c", "d", "e", "f", "g", "h"}, tags: make([]byte, 6)}
	for _, c := range []struct {
		name string
		msg  *Message
		want string
	}{
		{"we hold what they say we lack", msgOf(5, tagged("", "a", TagSenderOnly)), "we lack a key we hold"},
		{"we lack what they say we listed", msgOf(5, tagged("", "c", TagReceiverOnly)), "we hold a key we lack"},
		{"we lack what they say is changed", msgOf(5, tagged("", "c", TagChanged)), "we hold a key we lack"},
		{"total changed", msgOf(6, tagged("", "a", TagChanged)), "total changed"},
		{"more keys than declared", msgOf(5, sixKeys), "more keys we lack than"},
	} {
		_, err := start().Step(mustEncode(t, c.msg))
		if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrProtocol: %s", c.name, err, c.want)
		}
	}

	// Reports where we did not list: after a fingerprint (Initiate), and
	// in the gap between two listed ranges.
	s := mustSession(t, ours, Options{})
	if _, err := s.Initiate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(mustEncode(t, msgOf(5, tagged("", "c", TagSenderOnly)))); !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "did not list") {
		t.Errorf("report after our fingerprint: %v", err)
	}
	abc := mustSorted(t, []Item{item("a", 1), item("b", 1), item("c", 1)})
	s = mustSession(t, abc, Options{})
	same := abc.Summarize(Range{Lo: []byte("b"), Hi: []byte("c")}).Fingerprint()
	ask := msgOf(5, fpOf("b", 5), ent{hi: "c", kind: kindFingerprint, count: 1, hash: same[:]}, fpOf("", 5))
	out, err := s.Step(mustEncode(t, ask))
	if m, _ := Decode(out); err != nil || len(m.Entries) != 3 || m.Entries[0].List == nil || m.Entries[2].List == nil {
		t.Fatalf("expected lists of [start, b) and [c, ...): %v, %+v", err, m)
	}
	if _, err := s.Step(mustEncode(t, msgOf(5, skipTo("b\x00"), tagged("", "z", TagSenderOnly)))); !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "did not list") {
		t.Errorf("report across the gap: %v", err)
	}

	// A peer that calls "a" changed, then asks again and calls it missing.
	s = start()
	again := msgOf(5, tagged("a\x00", "a", TagChanged), fpOf("", 5))
	if _, err := s.Step(mustEncode(t, again)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(mustEncode(t, msgOf(5, fpOf("", 5)))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(mustEncode(t, msgOf(5, tagged("", "a", TagReceiverOnly)))); !errors.Is(err, ErrProtocol) {
		t.Fatalf("contradiction: %v, want ErrProtocol", err)
	}

	// A report in a range we listed, told the truth, is taken.
	s = start()
	if out, err := s.Step(mustEncode(t, msgOf(5, tagged("", "c", TagSenderOnly)))); err != nil || out != nil {
		t.Fatalf("a true report: %v, answer %d bytes", err, len(out))
	}
	if d := s.Differences(); len(d.RemoteOnly) != 1 || string(d.RemoteOnly[0]) != "c" {
		t.Fatalf("differences %v", d)
	}
}
