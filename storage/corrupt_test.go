package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

// plant writes key -> val straight into the Pebble of a closed store.
func plant(t *testing.T, fs vfs.FS, key, val []byte) {
	t.Helper()
	db := rawDB(t, fs)
	if err := db.Set(key, val, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// wantCorrupt checks that err wraps ErrCorrupt and names key.
func wantCorrupt(t *testing.T, what string, err error, key []byte) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: %v, want ErrCorrupt", what, err)
	}
	if q := fmt.Sprintf("%q", key); !strings.Contains(err.Error(), q) {
		t.Fatalf("%s: %v does not name key %s", what, err, q)
	}
}

// scanErr returns the error a full Scan ends with.
func scanErr(s *Store) error {
	for _, err := range s.Scan(ScanOptions{}) {
		if err != nil {
			return err
		}
	}
	return nil
}

// missingErr walks the dot index: against a peer that has something (an
// empty vector is served by a key-order scan that does not read the index).
func missingErr(s *Store) error {
	have := &crdt.VersionVector{}
	have.Add(crdt.Dot{Origin: 1 << 62, Counter: 1})
	_, err := s.Missing(have, func(Change) error { return nil })
	return err
}

// newCorruptible returns a closed store holding one row under "k".
func newCorruptible(t *testing.T) vfs.FS {
	s, fs := openMem(t)
	localWrite(t, s, "k", reg, "v")
	mustClose(t, s)
	return fs
}

func TestCorruptRows(t *testing.T) {
	marker := crdt.Row{}.Remove(crdt.KindSet, crdt.Dot{Origin: 1, Counter: 1})
	wrongKind, _ := crdt.EncodeRow(marker)
	for name, c := range map[string]struct{ key, val []byte }{
		"garbage":    {dataKey("k", reg), []byte{0xff, 0x00, 0x13}},
		"empty":      {dataKey("k", reg), nil},
		"wrong kind": {dataKey("k\x00", reg), wrongKind},
	} {
		t.Run(name, func(t *testing.T) {
			fs := newCorruptible(t)
			plant(t, fs, c.key, c.val)
			s := reopen(t, fs)
			defer mustClose(t, s)
			key, rk, _ := parseDataKey(c.key)
			_, err := s.Object(key)
			wantCorrupt(t, "Object", err, c.key)
			_, err = s.Row(key, rk)
			wantCorrupt(t, "Row", err, c.key)
			wantCorrupt(t, "Scan", scanErr(s), c.key)
			_, err = s.NewCommit().Merge(key, rk, foreignWrite(peerA, 1, "x"))
			wantCorrupt(t, "Merge", err, c.key)
		})
	}
}

func TestCorruptKeys(t *testing.T) {
	row, _ := crdt.EncodeRow(foreignWrite(peerA, 1, "v"))
	for name, c := range map[string]struct {
		key, val []byte
		check    func(*Store) error
	}{
		"unterminated data key": {[]byte("d/x"), row, scanErr},
		"bad escape":            {[]byte("d/x\x00\x07\x01"), row, scanErr},
		"index to bad key":      {indexKey(crdt.Dot{Origin: peerA, Counter: 1}), []byte("d/k"), missingErr},
		"dangling index":        {indexKey(crdt.Dot{Origin: peerA, Counter: 1}), dataKey("nope", reg), missingErr},
		"index to wrong dot":    {indexKey(crdt.Dot{Origin: peerA, Counter: 1}), dataKey("k", reg), missingErr},
	} {
		t.Run(name, func(t *testing.T) {
			fs := newCorruptible(t)
			plant(t, fs, c.key, c.val)
			// Missing reads the index of the origins the peer lacks
			// something of: make peerA one.
			part := &crdt.VersionVector{}
			part.Add(crdt.Dot{Origin: peerA, Counter: 1})
			enc, _ := crdt.Marshal(part)
			plant(t, fs, partKey(vvPrefix, peerA), enc)
			s := reopen(t, fs)
			defer mustClose(t, s)
			wantCorrupt(t, name, c.check(s), c.key)
		})
	}
}

func TestCorruptMeta(t *testing.T) {
	onlyB := crdt.VersionVector{}
	onlyB.Add(crdt.Dot{Origin: peerB, Counter: 1})
	partB, _ := crdt.Marshal(&onlyB)
	for name, c := range map[string]struct{ key, val []byte }{
		"vv garbage":      {vvKey(peerA), []byte{0x01, 0x02}},
		"vv other origin": {vvKey(peerA), partB},
		"vv empty part":   {vvKey(peerA), []byte{0x80}},
		"vv short key":    {[]byte("m/vv/\x01"), partB},
		"dots length":     {dotsKey, []byte{1, 2, 3}},
		"replica zero":    {replicaKey, make([]byte, 8)},
		"replica length":  {replicaKey, []byte{1}},
	} {
		t.Run(name, func(t *testing.T) {
			fs := newCorruptible(t)
			plant(t, fs, c.key, c.val)
			_, err := Open(testDir, testOptions(fs))
			wantCorrupt(t, "Open", err, c.key)
		})
	}
}
