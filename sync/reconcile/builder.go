package reconcile

import "bytes"

// builder assembles one outgoing message within a byte budget and the
// format's limits. It always keeps room for one more entry, the restart:
// an unbounded Fingerprint (or empty List) of our items from some bound
// on, which hands the rest of the key space back to the peer when the
// message is full. So a message never exceeds the budget, and a full one
// still covers the key space: what it could not answer, the peer compares
// again next round (negentropy's frame size limit works the same way).
type builder struct {
	set    Set
	budget int
	msg    Message
	size   int    // encoded size so far, the message's head included
	hi     []byte // upper bound of the last entry; the start at first
	ended  bool   // the last entry is unbounded
	items  int    // keys listed and reported
	keyLen int    // bytes of keys and bounds, decoded
	asks   bool   // holds a Fingerprint or a List
	listed []listed
}

// listed is a range our message lists, and how many of our items it holds:
// the peer's Reports must fall within one.
type listed struct {
	r     Range
	count int
}

func newBuilder(set Set, budget, total int) *builder {
	return &builder{set: set, budget: budget, msg: Message{Total: uint64(total)}, size: headerCost(total), hi: []byte{}}
}

// encodedSize is the exact encoded size of the message so far (size counts
// the entry count's head at its largest).
func (b *builder) encodedSize() int {
	return b.size - headSize(MaxEntries) + headSize(uint64(len(b.msg.Entries)))
}

// skipCost returns the bytes, decoded key bytes and entries of the skip
// needed before an entry starting at lo.
func (b *builder) skipCost(lo []byte) (size, keyLen, entries int) {
	if bytes.Equal(b.hi, lo) {
		return 0, 0, 0
	}
	return skipOverhead + keyCost(b.hi, lo), len(lo), 1
}

// room returns the bytes left for an entry starting at lo, after its skip
// and the restart's reserve, or -1 if the entry limits leave none.
func (b *builder) room(lo []byte, keyLen int) int {
	size, kl, entries := b.skipCost(lo)
	if b.ended || len(b.msg.Entries)+entries+2 > MaxEntries || b.keyLen+kl+keyLen > MaxKeyBytes {
		return -1
	}
	return b.budget - b.size - maxRestartCost - size
}

// push appends e, the entry for the range from lo to hi, after a skip to
// lo if needed; size is e's encoded size, keyLen the decoded bytes of its
// keys and bound.
func (b *builder) push(lo, hi []byte, e Entry, size, items, keyLen int) {
	if s, kl, n := b.skipCost(lo); n > 0 {
		shared, suffix := frontCode(b.hi, lo)
		b.msg.Entries = append(b.msg.Entries, Entry{Shared: shared, Suffix: suffix})
		b.size += s
		b.keyLen += kl
	}
	b.msg.Entries = append(b.msg.Entries, e)
	b.size += size
	b.items += items
	b.keyLen += keyLen
	b.hi = hi
	b.ended = len(hi) == 0
	if e.Fingerprint != nil || e.List != nil {
		b.asks = true
	}
}

// addFingerprint adds our summary of r (an empty range is listed
// instead); it returns false, adding nothing, if it does not fit.
func (b *builder) addFingerprint(r Range, sum Summary) bool {
	if sum.Count == 0 {
		cut, _ := b.addList(r, nil)
		return !cut
	}
	size := entryOverhead + boundCost(r.Lo, r.Hi) + fingerprintCost(sum.Count)
	if size > b.room(r.Lo, len(r.Hi)) {
		return false
	}
	fp := sum.Fingerprint()
	shared, suffix := frontCode(r.Lo, r.Hi)
	b.push(r.Lo, r.Hi, Entry{Shared: shared, Suffix: suffix, Fingerprint: &Fingerprint{Count: uint64(sum.Count), Hash: fp[:]}}, size, 0, len(r.Hi))
	return true
}

// addList adds our items of r, or as many of the first as fit. If not all
// fit it returns cut and the bound to cut at: after the last one added (or
// r.Lo if none).
func (b *builder) addList(r Range, items []Item) (cut bool, at []byte) {
	keys := make([][]byte, len(items))
	for i := range items {
		keys[i] = items[i].Key
	}
	n, hi, ok := b.fitKeys(r, keys, nil, listCost)
	if !ok {
		return true, r.Lo
	}
	ks, kl := keysOf(r.Lo, keys[:n])
	values := make([]byte, 0, 32*n)
	for _, it := range items[:n] {
		values = append(values, it.Value[:]...)
	}
	last := lastKey(r.Lo, keys[:n])
	shared, suffix := frontCode(last, hi)
	size := entryOverhead + boundCost(last, hi) + listCost(n, ks.cost)
	b.push(r.Lo, hi, Entry{Shared: shared, Suffix: suffix, List: &List{Keys: ks.Keys, Values: values}}, size, n, kl+len(hi))
	b.listed = append(b.listed, listed{r: Range{Lo: r.Lo, Hi: hi}, count: n})
	return n < len(items), hi
}

// addReport adds the differing keys of r (at least one) with their tags,
// or as many of the first as fit; next, if not nil, is a further
// differing key of r that the caller did not pass. It returns how many it
// added and, if not all (or next is set), cut and the bound to cut at.
func (b *builder) addReport(r Range, keys [][]byte, tags []byte, next []byte) (n int, cut bool, at []byte) {
	n, hi, ok := b.fitKeys(r, keys, next, reportCost)
	if !ok || n == 0 {
		return 0, true, r.Lo
	}
	ks, kl := keysOf(r.Lo, keys[:n])
	last := lastKey(r.Lo, keys[:n])
	shared, suffix := frontCode(last, hi)
	size := entryOverhead + boundCost(last, hi) + reportCost(n, ks.cost)
	b.push(r.Lo, hi, Entry{Shared: shared, Suffix: suffix, Report: &Report{Keys: ks.Keys, Tags: append([]byte(nil), tags[:n]...)}}, size, n, kl+len(hi))
	return n, n < len(keys) || next != nil, hi
}

// fitKeys finds the longest prefix of keys (the keys of a body for r, in
// order, followed in r by next unless next is nil) that fits, with the
// bound of its entry: r.Hi if all of them fit and next is nil, else the
// separator before the first left out. ok is false if none fits (or, for
// no keys at all, the empty body does not).
func (b *builder) fitKeys(r Range, keys [][]byte, next []byte, bodyCost func(n, keyCost int) int) (n int, hi []byte, ok bool) {
	room := b.room(r.Lo, 0)
	if b.items >= MaxItems && len(keys) > 0 {
		return 0, nil, false
	}
	prev, cost, keyLen := r.Lo, 0, 0
	n = -1
	for k := 0; k <= len(keys); k++ {
		if k > 0 {
			cost += keyCost(prev, keys[k-1])
			keyLen += len(keys[k-1])
			prev = keys[k-1]
			if b.items+k > MaxItems || entryOverhead+bodyCost(k, cost) > room {
				break
			}
		}
		var bound []byte
		switch {
		case k == len(keys) && next == nil:
			bound = r.Hi
		case k == 0:
			continue
		case k == len(keys):
			bound = Separator(prev, next)
		default:
			bound = Separator(prev, keys[k])
		}
		if entryOverhead+boundCost(prev, bound)+bodyCost(k, cost) <= b.room(r.Lo, keyLen+len(bound)) {
			n, hi = k, bound
		}
	}
	if n < 0 {
		return 0, nil, false
	}
	return n, hi, true
}

// cut ends the message with the restart: our summary of the key space
// from at on (or from the last entry's bound, if a skip to at does not
// fit), so that the peer compares it again next round.
func (b *builder) cut(at []byte) {
	if b.ended {
		return
	}
	if size, kl, n := b.skipCost(at); b.size+size+maxRestartCost > b.budget ||
		len(b.msg.Entries)+n+1 > MaxEntries || b.keyLen+kl > MaxKeyBytes {
		at = b.hi
	}
	rest := Range{Lo: at}
	sum := b.set.Summarize(rest)
	if sum.Count == 0 {
		size := entryOverhead + infCost + listCost(0, 0)
		b.push(at, nil, Entry{List: &List{}}, size, 0, 0)
		b.listed = append(b.listed, listed{r: rest})
		return
	}
	fp := sum.Fingerprint()
	size := entryOverhead + infCost + fingerprintCost(sum.Count)
	b.push(at, nil, Entry{Fingerprint: &Fingerprint{Count: uint64(sum.Count), Hash: fp[:]}}, size, 0, 0)
}

// codedKeys is a front-coded Keys with its encoded cost (see keyCost).
type codedKeys struct {
	Keys
	cost int
}

// keysOf front-codes keys after prev; it returns them and their decoded
// length.
func keysOf(prev []byte, keys [][]byte) (codedKeys, int) {
	out := codedKeys{Keys: Keys{Shared: make([]uint64, len(keys)), Suffixes: make([][]byte, len(keys))}}
	n := 0
	for i, k := range keys {
		out.Shared[i], out.Suffixes[i] = frontCode(prev, k)
		out.cost += keyCost(prev, k)
		n += len(k)
		prev = k
	}
	return out, n
}

// frontCode returns key as the length of its common prefix with prev and
// the rest; an empty key (no upper bound) is 0 and nothing.
func frontCode(prev, key []byte) (uint64, []byte) {
	if len(key) == 0 {
		return 0, []byte{}
	}
	s := commonPrefix(prev, key)
	return uint64(s), key[s:]
}

// lastKey returns the last of keys, or lo if there are none.
func lastKey(lo []byte, keys [][]byte) []byte {
	if len(keys) == 0 {
		return lo
	}
	return keys[len(keys)-1]
}
