package reconcile

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
)

// fataler is what the helpers need of a *testing.T, *testing.B, *testing.F
// or *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// item returns the item of a key with the value hash of a version number.
func item(key string, version int) Item {
	return Item{Key: []byte(key), Value: sha256.Sum256(fmt.Appendf(nil, "%s@%d", key, version))}
}

// scope returns the i-th scope name of a generated table.
func scope(i int) string { return fmt.Sprintf("tenant-%03d/scope-%06d", i%97, i) }

// table returns n scopes, each at version 1.
func table(n int) []Item {
	out := make([]Item, n)
	for i := range out {
		out[i] = item(scope(i), 1)
	}
	return out
}

func mustSorted(t fataler, items []Item) *Sorted {
	t.Helper()
	s, err := NewSorted(items)
	if err != nil {
		t.Fatalf("NewSorted: %v", err)
	}
	return s
}

func mustSession(t fataler, set Set, o Options) *Session {
	t.Helper()
	s, err := NewSession(set, o)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	return s
}

// exchange is the outcome of a run of the protocol between two sessions.
type exchange struct {
	a, b     *Session
	messages int    // both directions
	bytes    int    // both directions
	largest  [2]int // largest message from the initiator, the responder
	sent     [][]byte
}

// run reconciles a (the initiator) with b to the end and fails on any
// error or on a run longer than both sides' round limits.
func run(t fataler, a, b Set, oa, ob Options) exchange {
	t.Helper()
	x := exchange{a: mustSession(t, a, oa), b: mustSession(t, b, ob)}
	msg, err := x.a.Initiate()
	if err != nil {
		t.Fatalf("Initiate: %v", err)
	}
	from, to := x.a, x.b
	for msg != nil {
		x.messages++
		x.bytes += len(msg)
		x.sent = append(x.sent, msg)
		if from == x.a {
			x.largest[0] = max(x.largest[0], len(msg))
		} else {
			x.largest[1] = max(x.largest[1], len(msg))
		}
		if x.messages > 2*MaxRounds(MaxTotal)+2 {
			t.Fatalf("no end after %d messages", x.messages)
		}
		if msg, err = to.Step(msg); err != nil {
			t.Fatalf("message %d (to the %s): %v", x.messages, map[bool]string{true: "initiator", false: "responder"}[to == x.a], err)
		}
		from, to = to, from
	}
	if !x.a.Done() || !x.b.Done() {
		t.Fatalf("exchange ended with a side not done: initiator %v, responder %v", x.a.Done(), x.b.Done())
	}
	return x
}

// want returns the true differences of a against b, as a's Differences.
func want(a, b []Item) Differences {
	am, bm := map[string][32]byte{}, map[string][32]byte{}
	for _, it := range a {
		am[string(it.Key)] = it.Value
	}
	for _, it := range b {
		bm[string(it.Key)] = it.Value
	}
	var d Differences
	for k, v := range am {
		w, ok := bm[k]
		switch {
		case !ok:
			d.LocalOnly = append(d.LocalOnly, []byte(k))
		case v != w:
			d.Changed = append(d.Changed, []byte(k))
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			d.RemoteOnly = append(d.RemoteOnly, []byte(k))
		}
	}
	for _, l := range [][][]byte{d.LocalOnly, d.RemoteOnly, d.Changed} {
		slices.SortFunc(l, bytes.Compare)
	}
	return d
}

// swap returns d as seen from the other side.
func (d Differences) swap() Differences {
	return Differences{LocalOnly: d.RemoteOnly, RemoteOnly: d.LocalOnly, Changed: d.Changed}
}

func equalDiff(a, b Differences) bool {
	eq := func(x, y [][]byte) bool { return slices.EqualFunc(x, y, bytes.Equal) }
	return eq(a.LocalOnly, b.LocalOnly) && eq(a.RemoteOnly, b.RemoteOnly) && eq(a.Changed, b.Changed)
}

func (d Differences) String() string {
	return fmt.Sprintf("local only %q, remote only %q, changed %q", d.LocalOnly, d.RemoteOnly, d.Changed)
}

// check runs the exchange of a with b and checks both sides' differences
// against a direct comparison.
func check(t fataler, a, b []Item, oa, ob Options) exchange {
	t.Helper()
	x := run(t, mustSorted(t, a), mustSorted(t, b), oa, ob)
	w := want(a, b)
	if got := x.a.Differences(); !equalDiff(got, w) {
		t.Fatalf("initiator's differences:\n got %v\nwant %v", got, w)
	}
	if got := x.b.Differences(); !equalDiff(got, w.swap()) {
		t.Fatalf("responder's differences:\n got %v\nwant %v", got, w.swap())
	}
	n := max(len(a), len(b))
	if x.a.Stats().Received > MaxRounds(n) || x.b.Stats().Received > MaxRounds(n) {
		t.Fatalf("%d messages, over the limit of %d per side", x.messages, MaxRounds(n))
	}
	for i, o := range []Options{oa, ob} {
		if budget := cmp.Or(o.FrameBudget, DefaultFrameBudget); x.largest[i] > budget {
			t.Fatalf("side %d sent a message of %d bytes, over its budget of %d", i, x.largest[i], budget)
		}
	}
	return x
}

// mutate returns a copy of items with d random differences: about a third
// each removed, changed and added.
func mutate(items []Item, d int, rng *rand.Rand) []Item {
	out := slices.Clone(items)
	for i := range d {
		switch k := rng.IntN(3); {
		case k == 0 && len(out) > 0:
			j := rng.IntN(len(out))
			out = slices.Delete(out, j, j+1)
		case k == 1 && len(out) > 0:
			j := rng.IntN(len(out))
			out[j] = item(string(out[j].Key), 1000+i)
		default:
			out = append(out, item(fmt.Sprintf("added-%d-%d", rng.IntN(1<<30), i), 1))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }
