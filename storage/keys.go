package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/shoal-db/shoal/crdt"
)

// Pebble key layout. Every key starts with a one-letter namespace and '/':
//
//	d/ escaped(key) 0x00 0x01 rowkey      -> crdt.EncodeRow(row)
//	i/ origin(8 BE) counter(8 BE)         -> the row's d/ key (the dot index)
//	m/replica                             -> own replica id (8 BE)
//	m/dots                                -> last own counter used (8 BE)
//	m/vv/ origin(8 BE)                    -> that origin's part of the VV
//	m/rules                               -> the scope rules written with (rules.go)
//	m/peer/...                            -> reserved (acknowledged VVs)
//	k/ escaped(key) 0x00 0x01             -> of a key with counter, set or map
//	                                         rows: its live rows per kind and
//	                                         its counter total (livecount.go)
//	m/totals                              -> the totals are built (totals.go)
//	b/ d/...                              -> a row's baseline (reissue.go)
//	m/reissue                             -> a re-issue under way (reissue.go)
//
// In d/ keys the user key is escaped (0x00 -> 0x00 0xFF) and terminated by
// 0x00 0x01. The terminator sorts below every escaped byte, so the byte order
// of d/ keys is the byte order of user keys, and the rows of the keys that
// start with P are exactly the d/ keys that start with d/ escaped(P).
var (
	dataPrefix    = []byte("d/")
	indexPrefix   = []byte("i/")
	replicaKey    = []byte("m/replica")
	dotsKey       = []byte("m/dots")
	vvPrefix      = []byte("m/vv/")
	countPrefix   = []byte("k/")
	dataPrefixEnd = prefixEnd(dataPrefix)
	indexEnd      = prefixEnd(indexPrefix)
)

const (
	escByte  = 0x00 // starts an escape or the terminator
	escZero  = 0xFF // 0x00 0xFF is an escaped 0x00 byte of the user key
	escTerm  = 0x01 // 0x00 0x01 ends the user key
	indexLen = 2 + 8 + 8
)

// errKey marks a malformed Pebble key; callers wrap it into ErrCorrupt
// together with the key.
var errKey = errors.New("malformed key")

// appendEscaped appends key with every 0x00 byte escaped, unterminated.
func appendEscaped(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		dst = append(dst, key[i])
		if key[i] == escByte {
			dst = append(dst, escZero)
		}
	}
	return dst
}

// keyPrefix returns the prefix shared by the d/ keys of every user key
// that starts with p (p itself included).
func keyPrefix(p string) []byte {
	return appendEscaped(bytes.Clone(dataPrefix), p)
}

// objectPrefix returns the prefix of the d/ keys of exactly one user key.
func objectPrefix(key string) []byte {
	return append(keyPrefix(key), escByte, escTerm)
}

// dataKey returns the d/ key of one row.
func dataKey(key string, rk crdt.RowKey) []byte {
	return rk.Append(objectPrefix(key))
}

// parseDataKey decodes a d/ key. It rejects anything dataKey cannot
// produce, so that parseDataKey(b) succeeding implies dataKey(...) == b.
func parseDataKey(b []byte) (string, crdt.RowKey, error) {
	rest, ok := bytes.CutPrefix(b, dataPrefix)
	if !ok {
		return "", crdt.RowKey{}, fmt.Errorf("%w: no %q prefix", errKey, dataPrefix)
	}
	key, rest, err := unescapeKey(rest)
	if err != nil {
		return "", crdt.RowKey{}, err
	}
	rk, err := crdt.ParseRowKey(rest)
	if err != nil {
		return "", crdt.RowKey{}, fmt.Errorf("%w: %v", errKey, err)
	}
	return key, rk, nil
}

// unescapeKey decodes an escaped, terminated user key at the start of b
// and returns what follows the terminator.
func unescapeKey(b []byte) (string, []byte, error) {
	key := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != escByte {
			key = append(key, b[i])
			continue
		}
		if i+1 == len(b) {
			break
		}
		switch b[i+1] {
		case escZero:
			key = append(key, escByte)
			i++
		case escTerm:
			return string(key), b[i+2:], nil
		default:
			return "", nil, fmt.Errorf("%w: bad escape 0x00 0x%02x", errKey, b[i+1])
		}
	}
	return "", nil, fmt.Errorf("%w: unterminated user key", errKey)
}

// indexKey returns the dot index key of d.
func indexKey(d crdt.Dot) []byte {
	b := make([]byte, 0, indexLen)
	b = append(b, indexPrefix...)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Origin))
	return binary.BigEndian.AppendUint64(b, d.Counter)
}

// parseIndexKey decodes an i/ key.
func parseIndexKey(b []byte) (crdt.Dot, error) {
	if len(b) != indexLen || !bytes.HasPrefix(b, indexPrefix) {
		return crdt.Dot{}, fmt.Errorf("%w: index key of %d bytes", errKey, len(b))
	}
	return crdt.Dot{
		Origin:  crdt.ReplicaID(binary.BigEndian.Uint64(b[2:10])),
		Counter: binary.BigEndian.Uint64(b[10:]),
	}, nil
}

// vvKey returns the m/vv/ key of origin's part of the version vector.
func vvKey(origin crdt.ReplicaID) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(vvPrefix), uint64(origin))
}

// prefixEnd returns the smallest key above every key that starts with p,
// or nil (no bound) if p is all 0xFF bytes.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for len(end) > 0 && end[len(end)-1] == 0xFF {
		end = end[:len(end)-1]
	}
	if len(end) == 0 {
		return nil
	}
	end[len(end)-1]++
	return end
}

// corrupt wraps err into ErrCorrupt, naming the Pebble key that failed.
func corrupt(key []byte, err error) error {
	return fmt.Errorf("%w: key %q: %v", ErrCorrupt, key, err)
}
