package reconcile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// ent is an entry with absolute keys, for building messages in tests. hi
// "" is no upper bound.
type ent struct {
	hi    string
	kind  kind
	count int
	hash  []byte   // fingerprint hash (FingerprintSize bytes if nil)
	items []Item   // list
	keys  []string // report
	tags  []byte   // report (TagSenderOnly for each key if nil)
}

func skipTo(hi string) ent { return ent{hi: hi} }
func fpOf(hi string, count int) ent {
	return ent{hi: hi, kind: kindFingerprint, count: count}
}
func listOf(hi string, items ...Item) ent { return ent{hi: hi, kind: kindList, items: items} }
func reportOf(hi string, keys ...string) ent {
	return ent{hi: hi, kind: kindReport, keys: keys}
}

// msgOf front-codes entries into a Message, without checking them.
func msgOf(total uint64, entries ...ent) *Message {
	m := &Message{Total: total, Entries: []Entry{}}
	prev := []byte{}
	code := func(k []byte) (uint64, []byte) {
		s := commonPrefix(prev, k)
		prev = k
		return uint64(s), append([]byte{}, k[s:]...)
	}
	for _, e := range entries {
		var out Entry
		switch e.kind {
		case kindFingerprint:
			h := e.hash
			if h == nil {
				h = make([]byte, FingerprintSize)
			}
			out.Fingerprint = &Fingerprint{Count: uint64(e.count), Hash: h}
		case kindList:
			l := &List{Keys: Keys{Shared: []uint64{}, Suffixes: [][]byte{}}, Values: []byte{}}
			for _, it := range e.items {
				s, suf := code(it.Key)
				l.Keys.Shared = append(l.Keys.Shared, s)
				l.Keys.Suffixes = append(l.Keys.Suffixes, suf)
				l.Values = append(l.Values, it.Value[:]...)
			}
			out.List = l
		case kindReport:
			r := &Report{Keys: Keys{Shared: []uint64{}, Suffixes: [][]byte{}}, Tags: e.tags}
			if r.Tags == nil {
				r.Tags = make([]byte, len(e.keys))
			}
			for _, k := range e.keys {
				s, suf := code([]byte(k))
				r.Keys.Shared = append(r.Keys.Shared, s)
				r.Keys.Suffixes = append(r.Keys.Suffixes, suf)
			}
			out.Report = r
		}
		if e.hi == "" {
			out.Suffix = []byte{}
		} else {
			out.Shared, out.Suffix = code([]byte(e.hi))
		}
		m.Entries = append(m.Entries, out)
	}
	return m
}

// rawEncode encodes m without checking it (to build bad messages).
func rawEncode(t fataler, m *Message) []byte {
	t.Helper()
	b, err := encMode.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func mustEncode(t fataler, m *Message) []byte {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

// exampleMessages are valid messages of every shape.
func exampleMessages() []*Message {
	return []*Message{
		msgOf(0),
		msgOf(0, listOf("")),
		msgOf(3, fpOf("", 3)),
		msgOf(10, fpOf("b", 2), skipTo("c"), fpOf("d", 1), listOf("", item("d", 1), item("e", 2))),
		msgOf(5, listOf("m", item("", 1), item("a", 1), item("abc", 1)), skipTo("x"), reportOf("", "x", "xy", "z")),
		msgOf(2, ent{hi: "q", kind: kindReport, keys: []string{"a", "b", "c"}, tags: []byte{TagSenderOnly, TagReceiverOnly, TagChanged}}),
		msgOf(1, skipTo("scope-000100"), fpOf("scope-000200", 1), listOf("", item("scope-000200", 1))),
		msgOf(1, listOf("a\x00", item("a", 7))),
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for i, m := range exampleMessages() {
		b := mustEncode(t, m)
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("example %d: Decode: %v", i, err)
		}
		if again := mustEncode(t, got); !bytes.Equal(again, b) {
			t.Fatalf("example %d: re-encoding differs", i)
		}
	}
}

// TestMessageSizeAccounting checks the builder's byte count against the
// encoder on messages the sessions build (send also checks it on every
// message; this makes the claim explicit).
func TestMessageSizeAccounting(t *testing.T) {
	b := newBuilder(mustSorted(t, table(300)), DefaultFrameBudget, 300)
	set := mustSorted(t, table(300))
	all := Range{Lo: []byte{}}
	for _, p := range []Range{{Lo: []byte{}, Hi: []byte(scope(10))}, {Lo: []byte(scope(10)), Hi: []byte(scope(50))}} {
		if !b.addFingerprint(p, set.Summarize(p)) {
			t.Fatal("fingerprint does not fit")
		}
	}
	r := Range{Lo: []byte(scope(60)), Hi: []byte(scope(70))}
	if cut, _ := b.addList(r, set.AppendItems(nil, r, -1)); cut {
		t.Fatal("list does not fit")
	}
	r = Range{Lo: []byte(scope(80)), Hi: []byte(scope(90))}
	if _, cut, _ := b.addReport(r, [][]byte{[]byte(scope(81)), []byte(scope(85))}, []byte{0, 2}, nil); cut {
		t.Fatal("report does not fit")
	}
	b.cut([]byte(scope(95)))
	_ = all
	enc := mustEncode(t, &b.msg)
	if len(enc) != b.encodedSize() {
		t.Fatalf("encoded %d bytes, counted %d", len(enc), b.encodedSize())
	}
}

// TestDecodeMalformed feeds messages that break one rule each.
func TestDecodeMalformed(t *testing.T) {
	for name, b := range malformedBodies(t) {
		_, err := Decode(b)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	// Encode refuses what Decode would: a local bug shows up here.
	for _, m := range []*Message{msgOf(1, skipTo("b")), msgOf(2, fpOf("b", 1), fpOf("a", 1)), msgOf(0, fpOf("", 1))} {
		if _, err := Encode(m); !errors.Is(err, ErrMalformed) {
			t.Errorf("Encode of a bad message: %v, want ErrMalformed", err)
		}
	}
}

// malformedBodies are bodies that break one rule each (and no limit).
func malformedBodies(t fataler) map[string][]byte {
	enc := func(m *Message) []byte { return rawEncode(t, m) }
	good := enc(msgOf(3, fpOf("b", 2), listOf("", item("c", 1))))
	with := func(f func(m *Message)) []byte {
		m := msgOf(3, fpOf("b", 2), skipTo("c"), listOf("x", item("c", 1), item("d", 1)), reportOf("", "y"))
		f(m)
		return enc(m)
	}
	out := map[string][]byte{
		"empty":               {},
		"not cbor":            {0xff, 0x00},
		"truncated":           good[:len(good)-1],
		"trailing bytes":      append(bytes.Clone(good), 0x00),
		"map not array":       {0xa0},
		"short array":         {0x81, 0x00},
		"null entries":        {0x82, 0x00, 0xf6},
		"indefinite entries":  {0x82, 0x00, 0x9f, 0xff},
		"non-canonical total": {0x82, 0x18, 0x01, 0x80},
		"skip last":           enc(msgOf(1, fpOf("b", 1), skipTo("c"))),
		"only a skip":         enc(msgOf(1, skipTo("c"))),
		"two skips":           enc(msgOf(1, skipTo("b"), skipTo("c"), fpOf("", 1))),
		"unbounded not last":  enc(msgOf(2, fpOf("", 1), fpOf("", 1))),
		"bounds equal":        enc(msgOf(2, fpOf("b", 1), fpOf("b", 1))),
		"bounds descending":   enc(msgOf(2, fpOf("c", 1), fpOf("b", 1))),
		"key at the bound":    enc(msgOf(2, listOf("b", item("b", 1)))),
		"key over the bound":  enc(msgOf(2, listOf("b", item("c", 1)))),
		"key below lower":     enc(msgOf(2, fpOf("b", 1), listOf("", item("a", 1)))),
		"keys repeated":       enc(msgOf(2, listOf("", item("a", 1), item("a", 1)))),
		"keys descending":     enc(msgOf(2, listOf("", item("b", 1), item("a", 1)))),
		"report empty":        enc(msgOf(2, reportOf(""))),
		"fingerprint count 0": enc(msgOf(2, fpOf("", 0))),
		"count over total":    enc(msgOf(2, fpOf("", 3))),
		"list over total":     enc(msgOf(1, listOf("", item("a", 1), item("b", 1)))),
		"two bodies": with(func(m *Message) {
			m.Entries[0].List = &List{Keys: Keys{Shared: []uint64{}, Suffixes: [][]byte{}}, Values: []byte{}}
		}),
		"short hash":        with(func(m *Message) { m.Entries[0].Fingerprint.Hash = make([]byte, FingerprintSize-1) }),
		"long hash":         with(func(m *Message) { m.Entries[0].Fingerprint.Hash = make([]byte, FingerprintSize+1) }),
		"values short":      with(func(m *Message) { m.Entries[2].List.Values = m.Entries[2].List.Values[:63] }),
		"values long":       with(func(m *Message) { m.Entries[2].List.Values = append(m.Entries[2].List.Values, 0) }),
		"prefix count":      with(func(m *Message) { m.Entries[2].List.Keys.Shared = m.Entries[2].List.Keys.Shared[:1] }),
		"tags short":        with(func(m *Message) { m.Entries[3].Report.Tags = []byte{} }),
		"tag unknown":       with(func(m *Message) { m.Entries[3].Report.Tags = []byte{3} }),
		"shared too long":   with(func(m *Message) { m.Entries[0].Shared = 5 }),
		"bound empty":       with(func(m *Message) { m.Entries[1].Shared, m.Entries[1].Suffix = 0, []byte{} }),
		"bound prefix only": with(func(m *Message) { m.Entries[1].Shared, m.Entries[1].Suffix = 1, []byte{} }),
	}
	// Front coding that shares less than the whole common prefix: "ac"
	// after "ab" written as 0, "ac".
	m := msgOf(2, fpOf("ab", 1), fpOf("ac", 1))
	m.Entries[1].Shared, m.Entries[1].Suffix = 0, []byte("ac")
	out["shared not whole"] = enc(m)
	// null where an empty array or byte string belongs: it decodes as
	// nil, which encodes as empty; two encodings of one message.
	nullMode, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatalf("%v", err)
	}
	null, err := nullMode.Marshal(&Message{Entries: []Entry{{Suffix: []byte{}, List: &List{}}}})
	if err != nil {
		t.Fatalf("%v", err)
	}
	out["null keys"] = null
	return out
}

// TestLimitMaxMessageBytes: valid messages of MaxMessageBytes-1 and
// MaxMessageBytes bytes are taken; any bytes over it are refused on the
// count alone, and Encode refuses to build such a message.
func TestLimitMaxMessageBytes(t *testing.T) {
	t.Parallel()
	for _, size := range []int{MaxMessageBytes - 1, MaxMessageBytes} {
		b := mustEncode(t, messageOfSize(t, size))
		if len(b) != size {
			t.Fatalf("built %d bytes, want %d", len(b), size)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("message of %d bytes: %v", size, err)
		}
		if size == MaxMessageBytes {
			if _, err := Decode(append(b, 0)); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("message of MaxMessageBytes+1: %v, want ErrTooLarge", err)
			}
		}
	}
	if _, err := Encode(messageOfSize(t, MaxMessageBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encode of MaxMessageBytes+1: %v, want ErrTooLarge", err)
	}
}

// messageOfSize returns a valid message that encodes in exactly size bytes
// (near MaxMessageBytes): a list of items with keys of 602 bytes that
// share at most one, then one whose key is padded to fit.
func messageOfSize(t fataler, size int) *Message {
	t.Helper()
	pad := strings.Repeat("p", 1000)
	enc := func(items []Item) int { return len(rawEncode(t, msgOf(uint64(len(items)), listOf("", items...)))) }
	var items []Item
	// Each item costs about 640 bytes, the last one 340 to 1060: stop
	// within one item of size-340.
	for n := 0; n+640 <= size-340; {
		items = append(items, item(string([]byte{byte(len(items) >> 8), byte(len(items))})+pad[:600], 1))
		if len(items)%64 == 0 || n+2000 > size {
			n = enc(items)
		} else {
			n += 640
		}
	}
	last := func(extra int) []Item { // after every other key; a three-byte string head
		return append(slices.Clone(items), item("\xff\xff"+pad[:300+extra], 1))
	}
	extra := size - enc(last(0))
	m := msgOf(uint64(len(items)+1), listOf("", last(extra)...))
	if got := len(rawEncode(t, m)); got != size || extra < 0 {
		t.Fatalf("messageOfSize(%d) built %d", size, got)
	}
	return m
}

// key4 is a four-byte key in order of i.
func key4(i int) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i))
	return "\x01" + string(b[1:])
}

// TestLimitMaxEntries: MaxEntries-1 and MaxEntries ranges are taken, one
// more is refused.
func TestLimitMaxEntries(t *testing.T) {
	t.Parallel()
	// Skips and empty lists in turn, lists only at the end (a skip may not
	// be last), so that each prefix is a valid message.
	var es []ent
	for i := range MaxEntries + 1 {
		if i%2 == 0 && i < MaxEntries-3 {
			es = append(es, skipTo(key4(i)))
		} else {
			es = append(es, listOf(key4(i)))
		}
	}
	m := msgOf(0, es...)
	all := m.Entries
	for _, n := range []int{MaxEntries - 1, MaxEntries} {
		m.Entries = all[:n]
		if _, err := Decode(rawEncode(t, m)); err != nil {
			t.Fatalf("%d entries: %v", n, err)
		}
	}
	m.Entries = all
	if _, err := Decode(rawEncode(t, m)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxEntries+1 entries: %v, want ErrTooLarge", err)
	}
}

// TestLimitMaxItems: MaxItems-1 and MaxItems keys in reports are taken,
// one more is refused, also when split between two bodies.
func TestLimitMaxItems(t *testing.T) {
	t.Parallel()
	keys := func(from, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = key4(from + i)
		}
		return out
	}
	for _, n := range []int{MaxItems - 1, MaxItems} {
		if _, err := Decode(rawEncode(t, msgOf(0, reportOf("", keys(0, n)...)))); err != nil {
			t.Fatalf("%d keys: %v", n, err)
		}
	}
	if _, err := Decode(rawEncode(t, msgOf(0, reportOf("", keys(0, MaxItems+1)...)))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxItems+1 keys: %v, want ErrTooLarge", err)
	}
	half := MaxItems / 2
	two := msgOf(0, reportOf(key4(half), keys(0, half)...), reportOf("", keys(half, half+1)...))
	if _, err := Decode(rawEncode(t, two)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxItems+1 keys in two reports: %v, want ErrTooLarge", err)
	}
}

// TestLimitMaxKeyLen: bounds and keys of MaxKeyLen-1 and MaxKeyLen bytes
// are taken, one byte more is refused.
func TestLimitMaxKeyLen(t *testing.T) {
	k := func(n int) string { return strings.Repeat("k", n) }
	for _, n := range []int{MaxKeyLen - 1, MaxKeyLen} {
		if _, err := Decode(mustEncode(t, msgOf(1, fpOf(k(n), 1), listOf("", item(k(n)+"", 1))))); err != nil {
			t.Fatalf("bound of %d bytes: %v", n, err)
		}
		if _, err := Decode(mustEncode(t, msgOf(1, listOf("", item(k(n), 1))))); err != nil {
			t.Fatalf("key of %d bytes: %v", n, err)
		}
	}
	if _, err := Decode(rawEncode(t, msgOf(1, fpOf(k(MaxKeyLen+1), 1)))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bound of MaxKeyLen+1 bytes: %v, want ErrTooLarge", err)
	}
	if _, err := Decode(rawEncode(t, msgOf(1, listOf("", item(k(MaxKeyLen+1), 1))))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("key of MaxKeyLen+1 bytes: %v, want ErrTooLarge", err)
	}
}

// TestLimitMaxKeyBytes: front-coded keys that decode to MaxKeyBytes-1 and
// MaxKeyBytes bytes are taken (in a message of some 60 KB), one more is
// refused.
func TestLimitMaxKeyBytes(t *testing.T) {
	t.Parallel()
	n := MaxKeyBytes / MaxKeyLen
	build := func(extra int) *Message {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = "\x01" + strings.Repeat("a", MaxKeyLen-4) + key4(i)[1:]
		}
		// The bound "\x02" adds one byte: take it from the first key, then
		// give back extra.
		keys[0] = keys[0][:MaxKeyLen-1+extra]
		return msgOf(0, reportOf("\x02", keys...))
	}
	for _, extra := range []int{-1, 0} {
		m := build(extra)
		if _, err := Decode(mustEncode(t, m)); err != nil {
			t.Fatalf("%d key bytes: %v", MaxKeyBytes+extra, err)
		}
	}
	if _, err := Decode(rawEncode(t, build(1))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxKeyBytes+1 key bytes: %v, want ErrTooLarge", err)
	}
}

// TestLimitMaxTotal: a declared total of MaxTotal-1 and MaxTotal is taken,
// one more is refused.
func TestLimitMaxTotal(t *testing.T) {
	for _, n := range []uint64{MaxTotal - 1, MaxTotal} {
		if _, err := Decode(mustEncode(t, msgOf(n, fpOf("", 1)))); err != nil {
			t.Fatalf("total %d: %v", n, err)
		}
	}
	if _, err := Decode(rawEncode(t, msgOf(MaxTotal+1, fpOf("", 1)))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("total MaxTotal+1: %v, want ErrTooLarge", err)
	}
}
