package wire

import (
	"strings"

	"github.com/shoal-db/shoal/crdt"
)

// Fixed examples: the fuzz seeds and the malformed-input table use them.

func exampleVV() *crdt.VersionVector {
	vv := &crdt.VersionVector{}
	vv.AddRange(1, 1, 40)
	vv.AddRange(1, 45, 47)
	vv.AddRange(0xdeadbeef, 1, 3)
	return vv
}

func exampleRows() []Row {
	now := crdt.Timestamp{Wall: 1_700_000_000_000_000_000, Logical: 2}
	d := func(o crdt.ReplicaID, c uint64) crdt.Dot { return crdt.Dot{Origin: o, Counter: c} }
	reg := crdt.Row{}.Write(crdt.KindRegister, d(1, 41), now, []byte("v"))
	set := crdt.Row{}.Write(crdt.KindSet, d(1, 42), now, nil)
	return []Row{
		{Key: "user/1", RowKey: crdt.RowKey{Kind: crdt.KindRegister}.Append(nil), Row: reg},
		{Key: "user/1", RowKey: crdt.RowKey{Kind: crdt.KindRegister}.Append(nil), Row: reg.Remove(crdt.KindRegister, d(1, 43))},
		{Key: "hits", RowKey: crdt.CounterRow(1).Append(nil), Row: crdt.Row{}.Increment(d(1, 44), now, -3)},
		{Key: "tags", RowKey: crdt.RowKey{Kind: crdt.KindSet, Name: "red"}.Append(nil), Row: set},
		{Key: "profile", RowKey: crdt.RowKey{Kind: crdt.KindMap, Name: "name"}.Append(nil),
			Row: crdt.Row{}.Write(crdt.KindMap, d(2, 1), now, []byte("Ada"))},
	}
}

// exampleMessages holds a valid message of every type (and empty forms).
func exampleMessages() []*Message {
	rows := exampleRows()
	msgs := []*Message{
		{Hello: &Hello{Version: Version, Replica: 0xdeadbeef, VV: exampleVV()}},
		{Hello: &Hello{Version: Version, Replica: 1, VV: &crdt.VersionVector{}}},
		{Batch: &Batch{Rows: rows}},
		{Batch: &Batch{}},
		{Done: &Done{VV: exampleVV()}},
		{Push: &Push{Rows: rows[:1], OwnCounter: 41}},
		{Push: &Push{OwnCounter: 7}}, // every row filtered out: the counter still advances
		{Hello: &Hello{Version: Version, Replica: 2, VV: &crdt.VersionVector{}, Nonce: []byte("nonce"), Bootstrap: &Bootstrap{}}},
		{Hello: &Hello{Version: Version, Replica: 3, VV: exampleVV(), Bootstrap: &Bootstrap{Started: true, Key: "user/1", RowKey: rows[0].RowKey}, Firsthand: exampleVV()}},
		{Start: &Start{VV: exampleVV()}},
		{Hello: &Hello{Version: Version, Replica: 4, VV: exampleVV(), Nonce: []byte("nonce"), Firsthand: exampleVV(), RulesHash: exampleRulesHash()}},
		{Ack: &Ack{VV: exampleVV()}},
	}
	for i, m := range msgs {
		m.Seq = uint64(i + 1)
	}
	msgs[len(msgs)-1].Seq = 1<<64 - 1
	return msgs
}

// exampleRulesHash is a scope rules hash: SHA-256 of no rules under
// crdt/scope's encoding ("shoal scope rules v1\n"), the hash a node
// without rules stands for.
func exampleRulesHash() []byte {
	return []byte{
		0x39, 0x20, 0x2f, 0x1a, 0x86, 0x59, 0x46, 0xfb, 0xf6, 0xf5, 0xac, 0x44, 0xa4, 0x6f, 0x05, 0xfa,
		0x77, 0xa1, 0x56, 0x41, 0xe3, 0x04, 0xf3, 0x02, 0x85, 0x10, 0x6e, 0x75, 0x5f, 0x0a, 0xf9, 0xaa,
	}
}

// rawMarshal encodes v without Validate, to build invalid messages.
func rawMarshal(t fataler, v any) []byte {
	t.Helper()
	b, err := crdt.Marshal(v)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return b
}

// batchOf is a Batch message holding one row.
func batchOf(r Row) *Message { return &Message{Batch: &Batch{Rows: []Row{r}}} }

// malformedBodies are message bodies Decode must refuse, by reason.
func malformedBodies(t fataler) map[string][]byte {
	good := exampleRows()[0]
	with := func(f func(r *Row)) []byte {
		r := good
		f(&r)
		return rawMarshal(t, batchOf(r))
	}
	vv := rawMarshal(t, exampleVV())
	return map[string][]byte{
		"empty input":          {},
		"not a map":            {0x80},
		"no field":             {0xa0},
		"null field":           {0xa1, 0x01, 0xf6},
		"two fields":           rawMarshal(t, &Message{Done: &Done{VV: exampleVV()}, Ack: &Ack{VV: exampleVV()}}),
		"unknown key":          {0xa2, 0x05, 0x81, 0x80, 0x07, 0x00},
		"text key":             {0xa1, 0x61, '5', 0x81, 0x80},
		"duplicate key":        {0xa2, 0x05, 0x81, 0x80, 0x05, 0x81, 0x80},
		"indefinite map":       {0xbf, 0x05, 0x81, 0x80, 0xff},
		"indefinite array":     {0xa1, 0x05, 0x9f, 0x80, 0xff},
		"tag on message":       append([]byte{0xc1}, rawMarshal(t, exampleMessages()[0])...),
		"tag inside":           {0xa1, 0x05, 0x81, 0xc1, 0x80},
		"trailing byte":        append(rawMarshal(t, exampleMessages()[0]), 0x00),
		"truncated":            rawMarshal(t, exampleMessages()[2])[:40],
		"short array":          {0xa1, 0x05, 0x80},
		"long array":           {0xa1, 0x05, 0x82, 0x80, 0x00},
		"hello version 0":      append(append([]byte{0xa1, 0x01, 0x86, 0x00, 0x01}, vv...), 0xf6, 0xf6, 0xf6),
		"hello without vv":     {0xa1, 0x01, 0x86, 0x01, 0x01, 0xf6, 0xf6, 0xf6, 0xf6},
		"hello of version 1":   append([]byte{0xa1, 0x01, 0x83, 0x01, 0x01}, vv...),
		"hello of 8 fields":    append(append([]byte{0xa1, 0x01, 0x88, 0x02, 0x01}, vv...), 0xf6, 0xf6, 0xf6, 0x40, 0xf6),
		"hello rules null":     append(append([]byte{0xa1, 0x01, 0x87, 0x02, 0x01}, vv...), 0xf6, 0xf6, 0xf6, 0xf6),
		"hello rules text":     append(append([]byte{0xa1, 0x01, 0x87, 0x02, 0x01}, vv...), 0xf6, 0xf6, 0xf6, 0x61, 'x'),
		"hello rules empty":    append(append([]byte{0xa1, 0x01, 0x87, 0x02, 0x01}, vv...), 0xf6, 0xf6, 0xf6, 0x40),
		"hello rules short":    rawMarshal(t, &Message{Hello: &Hello{Version: Version, Replica: 1, VV: exampleVV(), RulesHash: make([]byte, RulesHashSize-1)}}),
		"hello rules long":     rawMarshal(t, &Message{Hello: &Hello{Version: Version, Replica: 1, VV: exampleVV(), RulesHash: make([]byte, RulesHashSize+1)}}),
		"hello nonce too long": rawMarshal(t, &Message{Hello: &Hello{Version: Version, Replica: 1, VV: exampleVV(), Nonce: make([]byte, MaxNonceSize+1)}}),
		"bootstrap no key":     rawMarshal(t, &Message{Hello: &Hello{Version: Version, Replica: 1, VV: exampleVV(), Bootstrap: &Bootstrap{Started: true, RowKey: []byte{1}}}}),
		"bootstrap bad rowkey": rawMarshal(t, &Message{Hello: &Hello{Version: Version, Replica: 1, VV: exampleVV(), Bootstrap: &Bootstrap{Started: true, Key: "k", RowKey: []byte{9}}}}),
		"start without vv":     {0xa1, 0x06, 0x81, 0xf6},
		"done without vv":      {0xa1, 0x03, 0x81, 0xf6},
		"ack without vv":       {0xa1, 0x05, 0x81, 0xf6},
		"bad vv":               {0xa1, 0x05, 0x81, 0x82, 0x83, 0x02, 0x01, 0x80, 0x83, 0x01, 0x01, 0x80},
		"huge array length":    {0xa1, 0x02, 0x81, 0x9b, 0, 0, 0, 1, 0, 0, 0, 0},
		"empty key":            with(func(r *Row) { r.Key = "" }),
		"long key":             with(func(r *Row) { r.Key = strings.Repeat("k", MaxKeySize+1) }),
		"key not UTF-8":        with(func(r *Row) { r.Key = "k\xff" }),
		"empty row key":        with(func(r *Row) { r.RowKey = nil }),
		"row key unknown kind": with(func(r *Row) { r.RowKey = []byte{9} }),
		"register row named":   with(func(r *Row) { r.RowKey = []byte{1, 'x'} }),
		"kind mismatch":        with(func(r *Row) { r.RowKey = crdt.RowKey{Kind: crdt.KindSet, Name: "m"}.Append(nil) }),
		"invalid row":          with(func(r *Row) { r.Row.Context = nil }),
		"row unknown kind": with(func(r *Row) {
			r.Row.Kind = 9
			r.RowKey = []byte{9}
		}),
	}
}
