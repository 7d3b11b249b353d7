package crdt

import "slices"

// Re-issuing writes under a fresh replica id.
//
// Two copies of one data directory (a restored backup and the original, a
// cloned disk) both mint dots of the same replica id above the counter
// they shared: their writes there collide, and a peer that has one copy's
// dot skips the other's write under it. The copy that notices takes a
// fresh id and writes again, under it, each effect it made in its window
// (above dot `since` of the old id): the same values, the same times, new
// dots. Outside the window the two copies share their history, so a row
// keeps what it had seen of the old id when the window opened (its
// Baseline): a re-issued overwrite or remove still covers the shared entry
// it replaced, and does not cover what the other copy wrote in its window.

// Baseline is what one row held of a replica's own dots when a window of
// writes opened: the latest of them the row had seen and, for the
// replica's own counter row, the whole row then. The zero Baseline is a
// row that had seen none of them.
type Baseline struct {
	_       struct{} `cbor:",toarray"`
	Origin  ReplicaID
	Latest  uint64
	Counter *Row // the own counter row's state, nil for other rows
}

// BaselineOf returns what row (the row key rk) holds of origin's dots.
func BaselineOf(rk RowKey, row Row, origin ReplicaID) Baseline {
	b := Baseline{Origin: origin, Latest: row.Context.Max(origin)}
	if rk == CounterRow(origin) {
		b.Counter = &row
	}
	return b
}

// Reissue returns the row with every effect old made above since written
// again with dots from mint: each of old's entries above since gets a new
// dot, and a remove marker whose remove old made above since gets a new
// remove dot. What the row had seen of old is set back to base.Latest (at
// most since). Rows old's window did not touch are returned as they are.
// For old's own counter row use ReissueCounter.
func (r Row) Reissue(old ReplicaID, since uint64, base Baseline, mint func() Dot) Row {
	if r.Context.Max(old) <= since {
		return r
	}
	out := Row{Kind: r.Kind, Context: r.Context.without(old)}
	if l := base.Latest; l > 0 && l <= since {
		out.Context = out.Context.With(Dot{Origin: old, Counter: l})
	}
	for _, e := range r.Entries {
		if e.Dot.Origin == old && e.Dot.Counter > since {
			e.Dot = mint()
		}
		out.Entries = append(out.Entries, e)
		out.Context = out.Context.With(e.Dot)
	}
	if len(r.Entries) == 0 { // a remove made in the window: make it again
		out.Context = out.Context.With(mint())
	}
	slices.SortFunc(out.Entries, func(a, b Entry) int { return a.Dot.Compare(b.Dot) })
	return out
}

// ReissueCounter splits old's own counter row, changed in old's window
// above since, into the row to keep under old (its state when the window
// opened, with what it has seen of others since) and the totals the window
// added, for the new id's counter row. A window that removed the row (and
// perhaps counted again after) keeps a re-issued remove of the baseline,
// minted with mint, and hands over what was counted after the remove.
func (r Row) ReissueCounter(old ReplicaID, since uint64, base Baseline, mint func() Dot) (keep Row, inc, dec uint64) {
	if r.Context.Max(old) <= since {
		return r, 0, 0
	}
	before := Row{}
	if base.Counter != nil && base.Counter.Context.Max(old) <= since {
		before = *base.Counter
	}
	keep = before
	if others := r.Context.without(old); len(others) > 0 {
		keep = Join(before, Row{Kind: KindCounter, Context: others})
	}
	cur, live := r.totals(old)
	was, wasLive := before.totals(old)
	switch {
	case live && cur.Inc >= was.Inc && cur.Dec >= was.Dec:
		return keep, cur.Inc - was.Inc, cur.Dec - was.Dec
	case wasLive: // removed in the window: remove the baseline again
		keep = Join(keep, before.Remove(KindCounter, mint()))
	}
	if live {
		return keep, cur.Inc, cur.Dec
	}
	return keep, 0, 0
}

// totals returns origin's live entry of a counter row.
func (r Row) totals(origin ReplicaID) (Entry, bool) {
	for _, e := range r.Entries {
		if e.Dot.Origin == origin {
			return e, true
		}
	}
	return Entry{}, false
}

// AddTotals returns the delta of adding inc and dec to an origin's counter
// row with dot d (Increment for both totals at once).
func (r Row) AddTotals(d Dot, t Timestamp, inc, dec uint64) Row {
	e := Entry{Dot: d, Time: t, Inc: inc, Dec: dec}
	if old, ok := r.totals(d.Origin); ok && old.Dot.Counter < d.Counter {
		e.Inc, e.Dec = old.Inc+inc, old.Dec+dec
	}
	return r.supersede(KindCounter, e)
}

// without returns a copy of c that has seen nothing of origin.
func (c Context) without(origin ReplicaID) Context {
	out := slices.Clone(c)
	if i, ok := out.find(origin); ok {
		return slices.Delete(out, i, i+1)
	}
	return out
}
