package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// A directory written before counter totals existed has no record for a
// counter key (a register or counter key had none), and the record of a
// key holding counter rows beside set or map rows carries no total. The
// first Open of this version builds them: one scan of the rows in key
// order (totals are per key, and a counter's rows are in its key's
// range), writing the record of every key that has counter rows, from a
// recount of all its rows. Until it finished, m/totals says where to
// resume:
//
//	m/totals -> 0x01                       the records are built
//	m/totals -> 0x00, then a d/ key        built for the keys below it
//
// The scan is idempotent (a record is a recount of its key's rows) and
// resumable (each batch of records is written with the position after
// it); nothing else writes while Open runs it. Set and map keys without
// counter rows keep what they have: their records are the same in both
// layouts (a zero total is left out), and one written before live counts
// existed is still counted at its first commit (livecount.go).
var totalsKey = []byte("m/totals")

const (
	totalsBuilt   = 0x01
	totalsResume  = 0x00
	totalsPerStep = 10_000 // keys read per batch of records
)

// buildTotals builds the counter totals of a directory that lacks them,
// resuming where an earlier Open stopped.
func (s *Store) buildTotals() error {
	state, err := getBytes(s.db, totalsKey)
	if err != nil {
		return err
	}
	from := dataPrefix
	switch {
	case len(state) == 1 && state[0] == totalsBuilt:
		return nil
	case len(state) > 0 && state[0] == totalsResume && hasPrefix(state[1:], dataPrefix):
		from = state[1:]
	case state != nil:
		return corrupt(totalsKey, fmt.Errorf("state %x", state))
	}
	keys, records := 0, 0
	for from != nil {
		var k, r int
		if from, k, r, err = buildTotalsStep(s.db, from, totalsPerStep); err != nil {
			return err
		}
		keys, records = keys+k, records+r
	}
	if records > 0 {
		s.logger.Info("storage: built the counter totals", "keys_read", keys, "records", records)
	}
	return nil
}

// buildTotalsStep reads the rows of up to maxKeys keys from the d/ key
// from on and writes, with the position after them, the record of each
// that has counter rows. It returns where the next step starts (nil once
// the records are built), the keys read and the records written. The
// batch is not synced: a crash only repeats the step, and Open's synced
// write of m/runs follows.
func buildTotalsStep(db *pebble.DB, from []byte, maxKeys int) (next []byte, keys, records int, err error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: from, UpperBound: dataPrefixEnd})
	if err != nil {
		return nil, 0, 0, err
	}
	defer it.Close()
	b := db.NewBatch()
	defer b.Close()
	var (
		cur     string
		started bool // cur is a key being read
		rec     liveRecord
		counter bool // cur has counter rows
	)
	finish := func() error { // the end of cur's rows
		if !started {
			return nil
		}
		keys++
		if !counter {
			return nil
		}
		records++
		return b.Set(countKey(cur), rec.encode(), nil)
	}
	for valid := it.First(); valid; valid = it.Next() {
		key, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return nil, 0, 0, err
		}
		if started && key != cur {
			if err := finish(); err != nil {
				return nil, 0, 0, err
			}
			if keys == maxKeys {
				next = objectPrefix(key) // below every row of key, above those of cur
				break
			}
			rec, counter = liveRecord{}, false
		}
		cur, started = key, true
		rec.add(rk.Kind, row)
		counter = counter || rk.Kind == crdt.KindCounter
	}
	if err := it.Error(); err != nil {
		return nil, 0, 0, err
	}
	state := []byte{totalsBuilt}
	if next != nil {
		state = append([]byte{totalsResume}, next...)
	} else if err := finish(); err != nil {
		return nil, 0, 0, err
	}
	if err := b.Set(totalsKey, state, nil); err != nil {
		return nil, 0, 0, err
	}
	return next, keys, records, b.Commit(pebble.NoSync)
}
