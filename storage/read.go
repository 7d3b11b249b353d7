package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Object returns every row of key (remove markers included); an empty
// Object if the key has none.
func (s *Store) Object(key string) (crdt.Object, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return readObject(s.db, key)
}

// Row returns one row of key, or the zero Row if it is absent.
func (s *Store) Row(key string, rk crdt.RowKey) (crdt.Row, error) {
	if err := s.checkOpen(); err != nil {
		return crdt.Row{}, err
	}
	return readRow(s.db, dataKey(key, rk), rk)
}

// readObject reads every row of key from r.
func readObject(r pebble.Reader, key string) (crdt.Object, error) {
	lower := objectPrefix(key)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	obj := crdt.Object{}
	for it.First(); it.Valid(); it.NextPrefix() {
		_, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return nil, err
		}
		obj[rk] = row
	}
	return obj, it.Error()
}

// readRow reads the row stored under dk, whose row key is rk.
func readRow(r pebble.Reader, dk []byte, rk crdt.RowKey) (crdt.Row, error) {
	val, closer, err := r.Get(dk)
	if errors.Is(err, pebble.ErrNotFound) {
		return crdt.Row{}, nil
	}
	if err != nil {
		return crdt.Row{}, err
	}
	defer closer.Close()
	return decodeRow(dk, rk, val)
}

// decodeDataEntry decodes the d/ entry at the iterator's position.
func decodeDataEntry(it *pebble.Iterator) (string, crdt.RowKey, crdt.Row, error) {
	key, rk, err := parseDataKey(it.Key())
	if err != nil {
		return "", rk, crdt.Row{}, corrupt(it.Key(), err)
	}
	val, err := it.ValueAndErr()
	if err != nil {
		return "", rk, crdt.Row{}, err
	}
	row, err := decodeRow(it.Key(), rk, val)
	return key, rk, row, err
}

// decodeRow decodes and checks a stored row: valid, and of its key's kind.
func decodeRow(dk []byte, rk crdt.RowKey, val []byte) (crdt.Row, error) {
	row, err := crdt.DecodeStoredRow(val)
	if err != nil {
		return crdt.Row{}, corrupt(dk, err)
	}
	if row.Kind != rk.Kind {
		return crdt.Row{}, corrupt(dk, fmt.Errorf("%s row under a %s row key", row.Kind, rk.Kind))
	}
	return row, nil
}
