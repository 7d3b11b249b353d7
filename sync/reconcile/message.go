package reconcile

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Limits on one message from a peer. Decode refuses a message over any of
// them (ErrTooLarge), and a Session never builds one: it defers work to
// the next round instead.
const (
	// MaxMessageBytes bounds an encoded message; it is checked on the byte
	// count, before decoding. It is also the largest FrameBudget.
	MaxMessageBytes = 1 << 20
	// MaxEntries bounds the ranges of a message, skipped ones included.
	// A message within the default budget holds at most a few thousand;
	// a larger budget buys fewer rounds up to this.
	MaxEntries = 1 << 14
	// MaxItems bounds the keys a message lists or reports, all its ranges
	// together (a report within the default budget holds at most some
	// 13,000).
	MaxItems = 1 << 14
	// MaxKeyLen bounds a key or a range bound, in bytes (the node's key
	// limit; a longer identity, such as a key and a row key together, is
	// hashed by the caller's Set).
	MaxKeyLen = 1024
	// MaxKeyBytes bounds the keys and bounds of a message once decoded,
	// all together. Keys are front-coded (each shares a prefix with the one
	// before), so a small message can name long keys: without this bound a
	// megabyte could decode into a hundred.
	MaxKeyBytes = 8 << 20
	// MaxTotal bounds the set size a peer may declare.
	MaxTotal = 1 << 32
)

// Message is one turn of the exchange. Its entries cover the key space in
// order: entry i is the range from the previous entry's upper bound (the
// start of the key space for the first) to its own; the key space past
// the last entry is skipped. Each entry holds at most one body:
//
//   - none (skip): nothing to say about the range, it is settled;
//   - Fingerprint: the sender's count and fingerprint of its items in the
//     range; the receiver compares them with its own and, if they differ,
//     splits the range or lists it;
//   - List: every item the sender holds in the range; the receiver answers
//     with a Report (or a skip if the items are exactly its own);
//   - Report: the answer to a List, final: the keys of the range that
//     differ.
//
// A message with no Fingerprint and no List asks nothing: the exchange
// ends with it. Every sequence of keys in a message (bounds, the keys of a
// list or a report, in key order) is front-coded: each key is Shared bytes
// of the key before it in the message followed by Suffix, the first
// starting from the empty key. Encodings are canonical: Shared is the
// whole common prefix, skips are merged and never last, and Decode refuses
// any bytes that Encode would not produce.
type Message struct {
	_ struct{} `cbor:",toarray"`
	// Total is the sender's number of items, the same in each of its
	// messages (it sizes the round limit; see MaxRounds).
	Total   uint64
	Entries []Entry
}

// Entry is one range of a message: its upper bound (exclusive), front-coded
// after the last key of its body, and its body. The bound Shared 0, empty
// Suffix stands for no upper bound (the empty key bounds nothing, so it
// is free); only the last entry may have it.
type Entry struct {
	_           struct{} `cbor:",toarray"`
	Shared      uint64
	Suffix      []byte
	Fingerprint *Fingerprint
	List        *List
	Report      *Report
}

// Fingerprint is the sender's summary of a range it holds items in: their
// count (at least one; an empty range is listed, not fingerprinted) and
// Summary.Fingerprint (FingerprintSize bytes).
type Fingerprint struct {
	_     struct{} `cbor:",toarray"`
	Count uint64
	Hash  []byte
}

// List is every item the sender holds in a range: keys in order, and their
// value hashes concatenated (32 bytes each).
type List struct {
	_      struct{} `cbor:",toarray"`
	Keys   Keys
	Values []byte
}

// Report answers a List: the keys of the range that differ, in order, at
// least one, each with a tag byte saying how (from the sender's side).
type Report struct {
	_    struct{} `cbor:",toarray"`
	Keys Keys
	Tags []byte
}

// Report tags.
const (
	// TagSenderOnly: the report's sender holds the key, the receiver does
	// not (it was not in the list).
	TagSenderOnly = 0
	// TagReceiverOnly: the receiver listed the key, the sender lacks it.
	TagReceiverOnly = 1
	// TagChanged: both hold the key, with different values.
	TagChanged = 2
)

// Keys is a front-coded run of keys: key i is Shared[i] bytes of the key
// before it followed by Suffixes[i].
type Keys struct {
	_        struct{} `cbor:",toarray"`
	Shared   []uint64
	Suffixes [][]byte
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	// crdt's canonical encoding, with nil slices as empty ones so that
	// every message has one encoding (the decoder refuses null for them).
	eo := cbor.CoreDetEncOptions()
	eo.NilContainers = cbor.NilContainerAsEmpty
	var err error
	if encMode, err = eo.EncMode(); err != nil {
		panic(err)
	}
	// crdt's strict options, with array sizes cut to this package's
	// limits (the encoded size bounds the rest).
	do := crdt.StrictDecOptions()
	do.MaxArrayElements = max(MaxEntries, MaxItems)
	do.MaxMapPairs = 16
	if decMode, err = do.DecMode(); err != nil {
		panic(err)
	}
}

// Encode returns the canonical bytes of m. It refuses a message that
// Decode would refuse, so that a local bug (a Set breaking its contract)
// shows up here rather than as a peer ending the session.
func Encode(m *Message) ([]byte, error) {
	if _, err := m.parse(); err != nil {
		return nil, err
	}
	b, err := encMode.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("reconcile: encode: %w", err)
	}
	if len(b) > MaxMessageBytes {
		return nil, fmt.Errorf("%w: message of %d bytes, over %d", ErrTooLarge, len(b), MaxMessageBytes)
	}
	return b, nil
}

// Decode decodes and checks a message from a peer: its size first, then
// strict CBOR, then every rule of the format and every limit, then that
// the bytes are the canonical encoding. Any bad input gives an error
// wrapping ErrMalformed or ErrTooLarge, never a panic; the memory it
// allocates is bounded by the limits.
func Decode(b []byte) (*Message, error) {
	m, _, err := decode(b)
	return m, err
}

func decode(b []byte) (*Message, []span, error) {
	if len(b) > MaxMessageBytes {
		return nil, nil, fmt.Errorf("%w: message of %d bytes, over %d", ErrTooLarge, len(b), MaxMessageBytes)
	}
	var m Message
	if err := decMode.Unmarshal(b, &m); err != nil {
		if _, ok := errors.AsType[*cbor.MaxArrayElementsError](err); ok {
			return nil, nil, fmt.Errorf("%w: %w", ErrTooLarge, err) // MaxEntries or MaxItems
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	spans, err := m.parse()
	if err != nil {
		return nil, nil, err
	}
	again, err := encMode.Marshal(&m)
	if err != nil || !bytes.Equal(again, b) {
		return nil, nil, fmt.Errorf("%w: not the canonical encoding", ErrMalformed)
	}
	return &m, spans, nil
}

// kind is the body of an entry.
type kind uint8

const (
	kindSkip kind = iota
	kindFingerprint
	kindList
	kindReport
)

// span is an entry decoded: its range with absolute keys, and its body.
type span struct {
	r     Range
	kind  kind
	count int                   // kindFingerprint
	fp    [FingerprintSize]byte // kindFingerprint
	items []Item                // kindList
	keys  [][]byte              // kindReport
	tags  []byte                // kindReport
}

// malformed returns an ErrMalformed error about entry i.
func malformed(i int, format string, args ...any) error {
	return fmt.Errorf("%w: entry %d: %s", ErrMalformed, i, fmt.Sprintf(format, args...))
}

// tooLarge returns an ErrTooLarge error.
func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTooLarge, fmt.Sprintf(format, args...))
}

// parse checks m against the format and the limits and returns its entries
// with their keys decoded. It allocates no more than the limits allow,
// counting before it copies.
func (m *Message) parse() ([]span, error) {
	if m.Total > MaxTotal {
		return nil, tooLarge("total of %d items, over %d", m.Total, uint64(MaxTotal))
	}
	if len(m.Entries) > MaxEntries {
		return nil, tooLarge("%d entries, over %d", len(m.Entries), MaxEntries)
	}
	d := decoder{}
	out := make([]span, 0, len(m.Entries))
	var listed uint64
	lo := []byte{}
	for i := range m.Entries {
		e := &m.Entries[i]
		sp := span{r: Range{Lo: lo}}
		bodies := 0
		if e.Fingerprint != nil {
			bodies++
			sp.kind = kindFingerprint
			f := e.Fingerprint
			if len(f.Hash) != FingerprintSize {
				return nil, malformed(i, "fingerprint of %d bytes", len(f.Hash))
			}
			if f.Count == 0 || f.Count > m.Total {
				return nil, malformed(i, "fingerprint of %d items, out of 1..%d", f.Count, m.Total)
			}
			sp.count = int(f.Count)
			copy(sp.fp[:], f.Hash)
		}
		if e.List != nil {
			bodies++
			sp.kind = kindList
			keys, err := d.keys(i, &e.List.Keys)
			if err != nil {
				return nil, err
			}
			if len(e.List.Values) != 32*len(keys) {
				return nil, malformed(i, "%d keys with %d bytes of values", len(keys), len(e.List.Values))
			}
			if listed += uint64(len(keys)); listed > m.Total {
				return nil, malformed(i, "lists more than its total of %d items", m.Total)
			}
			sp.items = make([]Item, len(keys))
			for k, key := range keys {
				sp.items[k].Key = key
				copy(sp.items[k].Value[:], e.List.Values[32*k:])
			}
		}
		if e.Report != nil {
			bodies++
			sp.kind = kindReport
			keys, err := d.keys(i, &e.Report.Keys)
			if err != nil {
				return nil, err
			}
			if len(keys) == 0 {
				return nil, malformed(i, "empty report (a skip says that)")
			}
			if len(e.Report.Tags) != len(keys) {
				return nil, malformed(i, "%d keys with %d tags", len(keys), len(e.Report.Tags))
			}
			for _, t := range e.Report.Tags {
				if t > TagChanged {
					return nil, malformed(i, "report tag %d", t)
				}
			}
			sp.keys, sp.tags = keys, e.Report.Tags
		}
		if bodies > 1 {
			return nil, malformed(i, "%d bodies", bodies)
		}
		if bodies == 0 && (i == len(m.Entries)-1 || i > 0 && out[i-1].kind == kindSkip) {
			return nil, malformed(i, "skip not merged (last, or after a skip)")
		}
		if e.Shared == 0 && len(e.Suffix) == 0 {
			if i != len(m.Entries)-1 {
				return nil, malformed(i, "unbounded range before the last")
			}
		} else {
			hi, err := d.key(i, e.Shared, e.Suffix)
			if err != nil {
				return nil, err
			}
			if bytes.Compare(hi, d.prev) <= 0 || len(hi) == 0 {
				return nil, malformed(i, "bound not above the range's keys and lower bound")
			}
			d.prev = hi
			sp.r.Hi = hi
		}
		lo = sp.r.Hi
		out = append(out, sp)
	}
	return out, nil
}

// decoder decodes the front-coded keys of a message in order.
type decoder struct {
	prev     []byte // the last key or bound decoded
	items    int
	keyBytes int
}

// key decodes one front-coded key after d.prev, checking the encoding is
// canonical and the limits hold; it does not check order.
func (d *decoder) key(i int, shared uint64, suffix []byte) ([]byte, error) {
	if shared > uint64(len(d.prev)) {
		return nil, malformed(i, "shares %d bytes of a %d-byte key", shared, len(d.prev))
	}
	s := int(shared)
	if s < len(d.prev) && len(suffix) > 0 && suffix[0] == d.prev[s] {
		return nil, malformed(i, "front coding not canonical")
	}
	n := s + len(suffix)
	if n > MaxKeyLen {
		return nil, tooLarge("entry %d: key of %d bytes, over %d", i, n, MaxKeyLen)
	}
	if d.keyBytes += n; d.keyBytes > MaxKeyBytes {
		return nil, tooLarge("over %d bytes of keys", MaxKeyBytes)
	}
	k := make([]byte, n)
	copy(k, d.prev[:s])
	copy(k[s:], suffix)
	return k, nil
}

// keys decodes the keys of a body: strictly ascending, the first at least
// the range's lower bound, d.prev when it is called (the caller checks the
// upper bound, which follows them).
func (d *decoder) keys(i int, ks *Keys) ([][]byte, error) {
	if len(ks.Shared) != len(ks.Suffixes) {
		return nil, malformed(i, "%d prefix lengths for %d suffixes", len(ks.Shared), len(ks.Suffixes))
	}
	if d.items += len(ks.Shared); d.items > MaxItems {
		return nil, tooLarge("over %d keys", MaxItems)
	}
	out := make([][]byte, len(ks.Shared))
	for k := range ks.Shared {
		key, err := d.key(i, ks.Shared[k], ks.Suffixes[k])
		if err != nil {
			return nil, err
		}
		// The first key may equal the lower bound (d.prev then), which is
		// inclusive; after it, keys strictly ascend.
		if c := bytes.Compare(key, d.prev); c < 0 || c == 0 && k > 0 {
			return nil, malformed(i, "keys not ascending from the lower bound")
		}
		d.prev = key
		out[k] = key
	}
	return out, nil
}

// Encoded sizes, computed as the canonical encoder lays them out: a
// Session uses them to keep each message within its budget.

// headSize is the size of a CBOR head carrying n.
func headSize(n uint64) int {
	switch {
	case n < 24:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case n <= 0xffffffff:
		return 5
	}
	return 9
}

// bstrSize is the size of a byte string of n bytes.
func bstrSize(n int) int { return headSize(uint64(n)) + n }

// keyCost is the size of one front-coded key (its Shared and its Suffix
// together) after prev.
func keyCost(prev, key []byte) int {
	s := commonPrefix(prev, key)
	return headSize(uint64(s)) + bstrSize(len(key)-s)
}

// infCost is the size of the bound "no upper bound".
const infCost = 2

// boundCost is the size of an entry's upper bound after prev (nil hi: no
// upper bound).
func boundCost(prev, hi []byte) int {
	if len(hi) == 0 {
		return infCost
	}
	return keyCost(prev, hi)
}

// Sizes of an entry around its bound and body: the array head, and the
// null of each absent body.
const (
	entryOverhead = 1 + 2 // array head, two absent bodies
	skipOverhead  = 1 + 3 // array head, three absent bodies
)

// fingerprintCost is the size of a Fingerprint body.
func fingerprintCost(count int) int { return 1 + headSize(uint64(count)) + bstrSize(FingerprintSize) }

// keysCost is the size of a Keys of n keys whose Shared and Suffix sizes
// add up to keyBytes (see keyCost).
func keysCost(n, keyBytes int) int { return 1 + 2*headSize(uint64(n)) + keyBytes }

// listCost and reportCost are the sizes of a List and a Report body.
func listCost(n, keyBytes int) int   { return 1 + keysCost(n, keyBytes) + bstrSize(32*n) }
func reportCost(n, keyBytes int) int { return 1 + keysCost(n, keyBytes) + bstrSize(n) }

// headerCost bounds the size of a message's own head, total and entry
// count.
func headerCost(total int) int { return 1 + headSize(uint64(total)) + headSize(MaxEntries) }

// maxRestartCost bounds the entry that defers the rest of the key space:
// an unbounded Fingerprint, or an empty List, which is smaller.
const maxRestartCost = entryOverhead + infCost + 1 + 9 + 1 + FingerprintSize
