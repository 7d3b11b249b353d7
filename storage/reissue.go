package storage

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// A copy of this directory (a restored backup, a cloned disk) that keeps
// writing mints the dots the original mints too: a peer holding the
// original's dot skips the copy's write under it. A node learns it is such
// a copy when a peer shows it its own dots above its counter. It then
// takes a fresh replica id (Rekey) and re-issues under it what it wrote in
// its window (crdt/reissue.go), so that those writes reach every peer.
//
// A re-issue must be exact: a write it re-issues that a peer already holds
// under the old dot shows twice there, and a re-issued increment is
// counted twice. So the window is what this node is sure is its own and no
// peer has seen:
//   - it starts at this run's Open: a copy is always opened before it
//     writes, so every write of this run is the copy's own. Earlier runs
//     may be the original's (a directory copied after the original
//     restarted offline holds them) and are never re-issued;
//   - it is empty once a peer session came up in this run: that peer may
//     hold the window's writes under the old dots.
//
// So the window is held in memory only. For each row the window changes
// that held own dots from before it, the store keeps what the row had
// seen of them then (b/, a crdt.Baseline, dropped at every Open): a
// re-issued overwrite then still covers the shared value it replaced, and
// not what the original wrote since.
//
//	m/reissue -> a re-issue under way: the old id and its window start
//	b/ d/...  -> the row's Baseline when this run's window first changed it
var (
	reissueKey     = []byte("m/reissue")
	baselinePrefix = []byte("b/")
)

// ReissueBatchRows is how many rows one commit of a re-issue rewrites.
const ReissueBatchRows = 1000

// reissue is a re-issue under way (m/reissue): the writes Old made above
// Since are written again under the current id.
type reissue struct {
	_     struct{} `cbor:",toarray"`
	Old   crdt.ReplicaID
	Since uint64
}

func baselineKey(dk []byte) []byte { return append(bytes.Clone(baselinePrefix), dk...) }

// loadWindow reads the pending re-issue and opens this run's window at the
// current counter, dropping the last run's baselines unless a re-issue
// still needs them.
func (s *Store) loadWindow() error {
	pending, err := loadReissue(s.db)
	if err != nil {
		return err
	}
	s.applied.reissue = pending
	s.reissuing.Store(pending != nil)
	s.applied.since = s.mu.lastCounter
	if pending != nil {
		return nil
	}
	return s.db.DeleteRange(baselinePrefix, prefixEnd(baselinePrefix), pebble.NoSync)
}

func loadReissue(r pebble.Reader) (*reissue, error) {
	v, err := getBytes(r, reissueKey)
	if err != nil || v == nil {
		return nil, err
	}
	var p reissue
	if err := crdt.UnmarshalStored(v, &p); err != nil {
		return nil, corrupt(reissueKey, err)
	}
	return &p, nil
}

// WindowStart returns the own counter this run's write window starts
// above. The committing goroutine only.
func (s *Store) WindowStart() uint64 { return s.applied.since }

// PeerSeen records that a peer session came up in this run (its Hello
// passed the checks): the window's writes may be at that peer, so they
// are no longer re-issued. Safe for concurrent use.
func (s *Store) PeerSeen() { s.peerSeen.Store(true) }

// writeBaseline adds to b the baseline of a row the window changes for the
// first time: one that held own dots from before the window.
func (c *Commit) writeBaseline(b *pebble.Batch, dk []byte, ch Change, stored crdt.Row) error {
	latest := stored.Context.Max(c.self)
	if latest == 0 || latest > c.s.applied.since || ch.Row.Context.Max(c.self) <= c.s.applied.since {
		return nil
	}
	enc, err := crdt.Marshal(crdt.BaselineOf(ch.RowKey, stored, c.self))
	if err != nil {
		return err
	}
	return b.Set(baselineKey(dk), enc, nil)
}

// readBaseline returns the baseline stored for the row dk of origin, or
// the zero one (the row held none of origin's dots before the window).
func readBaseline(r pebble.Reader, dk []byte, origin crdt.ReplicaID) (crdt.Baseline, error) {
	v, err := getBytes(r, baselineKey(dk))
	if err != nil || v == nil {
		return crdt.Baseline{Origin: origin}, err
	}
	var b crdt.Baseline
	if err := crdt.UnmarshalStored(v, &b); err != nil {
		return crdt.Baseline{}, corrupt(baselineKey(dk), err)
	}
	if b.Origin != origin {
		return crdt.Baseline{Origin: origin}, nil // of an earlier id's window
	}
	return b, nil
}

// ReissuePending reports whether a re-issue is under way. Safe for
// concurrent use.
func (s *Store) ReissuePending() bool { return s.reissuing.Load() }

// Reissue writes again, under the current replica id, every effect the
// previous id made in its window (see Rekey), ReissueBatchRows rows per
// commit, then stops claiming the previous id's dots above the window
// start, so that peers send this node the original's writes under them.
// It returns the rows rewritten. The caller must be the committing
// goroutine, with every started commit waited for. After a crash it
// resumes where it stopped: a rewritten row holds no dot of the window.
func (s *Store) Reissue() (int, error) {
	p := s.applied.reissue
	if p == nil {
		return 0, nil
	}
	total := 0
	for {
		rows, err := s.windowRows(p, ReissueBatchRows)
		if err != nil || len(rows) == 0 {
			if err == nil {
				err = s.finishReissue(p)
			}
			return total, err
		}
		if err := s.reissueBatch(p, rows); err != nil {
			return total, err
		}
		total += len(rows)
	}
}

// windowRows returns up to n rows that hold a dot of p.Old above p.Since,
// in dot order (the dot index).
func (s *Store) windowRows(p *reissue, n int) ([]Change, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: indexKey(crdt.Dot{Origin: p.Old, Counter: p.Since + 1}),
		UpperBound: prefixEnd(indexKey(crdt.Dot{Origin: p.Old})[:2+8]),
	})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Change
	for valid := it.First(); valid && len(out) < n; valid = it.Next() {
		dk, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		key, rk, err := parseDataKey(dk)
		if err != nil {
			return nil, corrupt(it.Key(), err)
		}
		row, err := readRow(s.db, dk, rk)
		if err != nil {
			return nil, err
		}
		out = append(out, Change{Key: key, RowKey: rk, Row: row})
	}
	return out, it.Error()
}

// errReissueStuck guards the loop: a rewritten row must leave the window.
var errReissueStuck = errors.New("storage: a re-issued row still holds a dot of the window")

// reissueBatch rewrites rows in one commit.
func (s *Store) reissueBatch(p *reissue, rows []Change) error {
	c := s.NewCommit()
	for _, ch := range rows {
		if err := c.reissueRow(p, ch); err != nil {
			return err
		}
	}
	return c.Apply()
}

// reissueRow rewrites one row of the window under the commit's id.
func (c *Commit) reissueRow(p *reissue, ch Change) error {
	dk := dataKey(ch.Key, ch.RowKey)
	base, err := readBaseline(c.s.db, dk, p.Old)
	if err != nil {
		return err
	}
	if ch.RowKey != crdt.CounterRow(p.Old) {
		return c.replace(ch.Key, ch.RowKey, ch.Row.Reissue(p.Old, p.Since, base, c.NextDot), p)
	}
	keep, inc, dec := ch.Row.ReissueCounter(p.Old, p.Since, base, c.NextDot)
	if err := c.replace(ch.Key, ch.RowKey, keep, p); err != nil {
		return err
	}
	if inc == 0 && dec == 0 {
		return nil
	}
	mine := crdt.CounterRow(c.self)
	cur, err := c.Row(ch.Key, mine)
	if err != nil {
		return err
	}
	var at crdt.Timestamp // the window's last increment
	if len(ch.Row.Entries) > 0 {
		at = ch.Row.Entries[0].Time
	}
	return c.replace(ch.Key, mine, crdt.Join(cur, cur.AddTotals(c.NextDot(), at, inc, dec)), nil)
}

// replace records next as the row's new state, not joined with the stored
// one (a re-issue sets back what a row has seen of the old id).
func (c *Commit) replace(key string, rk crdt.RowKey, next crdt.Row, p *reissue) error {
	if p != nil && next.Context.Max(p.Old) > p.Since {
		return fmt.Errorf("%w: key %q", errReissueStuck, key)
	}
	if !next.IsZero() {
		if err := checkDelta(rk, next); err != nil {
			return err
		}
	}
	cur, err := c.Row(key, rk)
	if err != nil {
		return err
	}
	c.record(rowID{key, rk}, cur, next)
	return nil
}

// finishReissue stops claiming p.Old's dots above p.Since in both vectors
// and ends the re-issue, in one synced batch.
func (s *Store) finishReissue(p *reissue) error {
	window := &crdt.VersionVector{}
	if p.Since > 0 {
		window.AddRange(p.Old, 1, p.Since)
	}
	old := s.applied.vv
	next := vectors{old.all.WithPart(p.Old, old.all.Part(p.Old).Intersect(window)),
		old.direct.WithPart(p.Old, old.direct.Part(p.Old).Intersect(window))}
	b := s.db.NewBatch()
	defer b.Close()
	for _, part := range []struct {
		prefix []byte
		vv     *crdt.VersionVector
	}{{vvPrefix, next.all}, {dvPrefix, next.direct}} {
		if err := writePart(b, part.prefix, part.vv, p.Old); err != nil {
			return err
		}
	}
	if err := b.Delete(reissueKey, nil); err != nil {
		return err
	}
	if err := b.DeleteRange(baselinePrefix, prefixEnd(baselinePrefix), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	s.applied.vv, s.applied.reissue = next, nil
	s.reissuing.Store(false)
	s.mu.Lock()
	s.mu.vv = next.clone()
	s.mu.changes.reset()
	s.mu.Unlock()
	s.logger.Warn("storage: re-issued the writes of a copied directory's window", "previous", p.Old, "window_start", p.Since)
	return nil
}

// writePart writes origin's part of vv under prefix, deleting it if empty.
func writePart(b *pebble.Batch, prefix []byte, vv *crdt.VersionVector, origin crdt.ReplicaID) error {
	part := vv.Part(origin)
	if part.IsEmpty() {
		return b.Delete(partKey(prefix, origin), nil)
	}
	enc, err := crdt.Marshal(part)
	if err != nil {
		return err
	}
	return b.Set(partKey(prefix, origin), enc, nil)
}
