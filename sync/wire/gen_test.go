package wire

import (
	"math"

	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// Generators of valid messages for property tests. Rows are built with
// crdt's own mutators and joins (concurrent deltas from older states give
// siblings and remove markers), so they are states a node could hold.

var replicas = []crdt.ReplicaID{1, 2, 3, 0xdeadbeef, math.MaxUint64}

func genReplica(t *rapid.T, label string) crdt.ReplicaID {
	return rapid.SampledFrom(replicas).Draw(t, label)
}

func genVV(t *rapid.T) *crdt.VersionVector {
	vv := &crdt.VersionVector{}
	for range rapid.IntRange(0, 6).Draw(t, "ranges") {
		lo := rapid.Uint64Range(1, 1<<20).Draw(t, "lo")
		hi := lo + rapid.Uint64Range(0, 1<<10).Draw(t, "len")
		vv.AddRange(genReplica(t, "origin"), lo, hi)
	}
	return vv
}

func genRowKey(t *rapid.T) crdt.RowKey {
	kind := crdt.Kind(rapid.IntRange(int(crdt.KindRegister), int(crdt.KindMap)).Draw(t, "kind"))
	switch kind {
	case crdt.KindRegister:
		return crdt.RowKey{Kind: kind}
	case crdt.KindCounter:
		return crdt.CounterRow(genReplica(t, "counter origin"))
	default:
		return crdt.RowKey{Kind: kind, Name: rapid.String().Draw(t, "name")}
	}
}

// genState returns a valid row of kind after a few writes, removes or
// increments, each made from some earlier state.
func genState(t *rapid.T, kind crdt.Kind) crdt.Row {
	next := map[crdt.ReplicaID]uint64{}
	states := []crdt.Row{{}}
	for range rapid.IntRange(1, 6).Draw(t, "ops") {
		base := states[rapid.IntRange(0, len(states)-1).Draw(t, "base")]
		o := genReplica(t, "origin")
		next[o] += rapid.Uint64Range(1, 1<<30).Draw(t, "step")
		d := crdt.Dot{Origin: o, Counter: next[o]}
		ts := crdt.Timestamp{Wall: rapid.Int64().Draw(t, "wall"), Logical: rapid.Uint32().Draw(t, "logical")}
		var delta crdt.Row
		switch op := rapid.IntRange(0, 2).Draw(t, "op"); {
		case op == 2:
			delta = base.Remove(kind, d)
		case kind == crdt.KindCounter:
			delta = base.Increment(d, ts, rapid.Int64Range(-1000, 1000).Draw(t, "n"))
		default:
			delta = base.Write(kind, d, ts, rapid.SliceOfN(rapid.Byte(), 0, 16).Draw(t, "value"))
		}
		states = append(states, crdt.Join(states[len(states)-1], delta))
	}
	return states[len(states)-1]
}

func genRow(t *rapid.T) Row {
	rk := genRowKey(t)
	return Row{
		Key:    rapid.StringN(1, 40, MaxKeySize).Draw(t, "key"),
		RowKey: rk.Append(nil),
		Row:    genState(t, rk.Kind),
	}
}

func genRows(t *rapid.T) []Row {
	return rapid.SliceOfN(rapid.Custom(genRow), 0, 5).Draw(t, "rows")
}

// genMessage returns a valid message of any type.
func genMessage(t *rapid.T) *Message {
	m := genBody(t)
	m.Seq = rapid.Uint64().Draw(t, "seq")
	return m
}

// genBody returns a message with one body field set and no Seq.
func genBody(t *rapid.T) *Message {
	switch rapid.IntRange(0, 5).Draw(t, "type") {
	case 0:
		h := &Hello{
			Version: rapid.Uint32Min(1).Draw(t, "version"),
			Replica: crdt.ReplicaID(rapid.Uint64().Draw(t, "replica")),
			VV:      genVV(t),
			Nonce:   rapid.SliceOfN(rapid.Byte(), 0, MaxNonceSize).Draw(t, "nonce"),
		}
		if len(h.Nonce) == 0 {
			h.Nonce = nil
		}
		if rapid.Bool().Draw(t, "firsthand") {
			h.Firsthand = genVV(t)
		}
		if rapid.Bool().Draw(t, "rules") {
			h.RulesHash = rapid.SliceOfN(rapid.Byte(), RulesHashSize, RulesHashSize).Draw(t, "rules hash")
		}
		if rapid.Bool().Draw(t, "bootstrap") {
			h.Bootstrap = &Bootstrap{}
			if rapid.Bool().Draw(t, "started") {
				r := genRow(t)
				h.Bootstrap = &Bootstrap{Started: true, Key: r.Key, RowKey: r.RowKey}
			}
		}
		return &Message{Hello: h}
	case 5:
		return &Message{Start: &Start{VV: genVV(t)}}
	case 1:
		return &Message{Batch: &Batch{Rows: genRows(t)}}
	case 2:
		return &Message{Done: &Done{VV: genVV(t)}}
	case 3:
		return &Message{Push: &Push{Rows: genRows(t), OwnCounter: rapid.Uint64().Draw(t, "own")}}
	default:
		return &Message{Ack: &Ack{VV: genVV(t)}}
	}
}
