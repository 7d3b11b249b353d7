package crdt

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

const (
	copyID  ReplicaID = 0x10 // the copy's old id
	otherID ReplicaID = 0x20 // another replica writing the same row
	freshID ReplicaID = 0x30 // the copy's fresh id
)

// windowHistory plays random writes of the copy's old id and of another
// replica on one row; the copy's window opens after `since` of its own
// dots. It returns the row, its baseline and the window start.
func windowHistory(t *rapid.T, kind Kind) (Row, Baseline, uint64) {
	rk := RowKey{Kind: kind}
	if kind == KindCounter {
		rk = CounterRow(copyID)
	}
	var row Row
	var counter, otherCounter uint64
	since := uint64(rapid.IntRange(0, 5).Draw(t, "since"))
	base := Baseline{Origin: copyID}
	for i := range rapid.IntRange(1, 12).Draw(t, "steps") {
		ts := Timestamp{Wall: int64(i + 1)}
		switch op := rapid.IntRange(0, 3).Draw(t, "op"); {
		case kind == KindCounter && op < 3:
			counter++
			row = Join(row, row.Increment(Dot{Origin: copyID, Counter: counter}, ts, rapid.Int64Range(-5, 9).Draw(t, "n")))
		case kind != KindCounter && op < 2:
			counter++
			row = Join(row, row.Write(kind, Dot{Origin: copyID, Counter: counter}, ts, []byte{byte(i)}))
		case op == 2:
			counter++
			row = Join(row, row.Remove(kind, Dot{Origin: copyID, Counter: counter}))
		case kind != KindCounter: // the other replica writes, concurrently or not
			otherCounter++
			d := Dot{Origin: otherID, Counter: otherCounter}
			seen := row
			if rapid.Bool().Draw(t, "concurrent") {
				seen = Row{}
			}
			row = Join(row, seen.Write(kind, d, ts, []byte{byte(100 + i)}))
		}
		if counter <= since {
			base = BaselineOf(rk, row, copyID)
		}
	}
	return row, base, since
}

func minter() func() Dot {
	var n uint64
	return func() Dot { n++; return Dot{Origin: freshID, Counter: n} }
}

// TestReissueKeepsValues: a re-issued row is valid, holds no dot of the
// window, shows the same values at the same times, and still covers every
// entry of the old id the window had superseded.
func TestReissueKeepsValues(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]Kind{KindRegister, KindSet, KindMap}).Draw(t, "kind")
		row, base, since := windowHistory(t, kind)
		if row.IsZero() {
			return
		}
		got := row.Reissue(copyID, since, base, minter())
		if err := got.Validate(); err != nil {
			t.Fatalf("re-issued row invalid: %v\n%+v", err, got)
		}
		if got.Context.Max(copyID) > since {
			t.Fatalf("re-issued row still holds %d > window start %d", got.Context.Max(copyID), since)
		}
		if !slices.Equal(liveValues(got), liveValues(row)) {
			t.Fatalf("values %v, want %v", liveValues(got), liveValues(row))
		}
		if row.Context.Max(copyID) > since && base.Latest > 0 && !got.Context.Covers(Dot{Origin: copyID, Counter: base.Latest}) {
			t.Fatalf("the shared dot %d the window superseded is no longer covered: %+v", base.Latest, got)
		}
		if row.Context.Max(copyID) <= since && !rowEqual(got, row) {
			t.Fatalf("a row the window did not touch changed: %+v -> %+v", row, got)
		}
	})
}

// TestReissueCounterKeepsTotal: the old id's share keeps its value from
// before the window, the new share takes what the window counted, and
// together they make the same total.
func TestReissueCounterKeepsTotal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		row, base, since := windowHistory(t, KindCounter)
		keep, inc, dec := row.ReissueCounter(copyID, since, base, minter())
		if !keep.IsZero() {
			if err := keep.Validate(); err != nil {
				t.Fatalf("kept share invalid: %v\n%+v", err, keep)
			}
		}
		if keep.Context.Max(copyID) > since {
			t.Fatalf("kept share holds %d > window start %d", keep.Context.Max(copyID), since)
		}
		if got := keep.CounterTotal() + int64(inc) - int64(dec); got != row.CounterTotal() {
			t.Fatalf("total %d + %d - %d = %d, want %d", keep.CounterTotal(), inc, dec, got, row.CounterTotal())
		}
		fresh := Row{}.AddTotals(Dot{Origin: freshID, Counter: 9}, Timestamp{}, inc, dec)
		if fresh.CounterTotal() != int64(inc)-int64(dec) {
			t.Fatalf("AddTotals: %d", fresh.CounterTotal())
		}
	})
}

// liveValues lists a row's (time, value) pairs, sorted.
func liveValues(r Row) []string {
	var out []string
	for _, e := range r.Entries {
		out = append(out, e.Time.String()+"="+string(e.Value))
	}
	slices.Sort(out)
	return out
}

func rowEqual(a, b Row) bool {
	x, _ := EncodeRow(a)
	y, _ := EncodeRow(b)
	return string(x) == string(y)
}

func TestWithPart(t *testing.T) {
	v := &VersionVector{}
	v.AddRange(copyID, 1, 10)
	v.AddRange(otherID, 1, 3)
	part := &VersionVector{}
	part.AddRange(copyID, 1, 4)
	got := v.WithPart(copyID, part)
	if got.Max(copyID) != 4 || got.Max(otherID) != 3 || v.Max(copyID) != 10 {
		t.Fatalf("WithPart: %s (from %s)", got, v)
	}
	if got := v.WithPart(copyID, &VersionVector{}); len(got.Origins()) != 1 {
		t.Fatalf("WithPart with an empty part: %s", got)
	}
}
