package storage

import (
	"bytes"
	"cmp"
	"errors"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

func TestDataKeyRoundTrip(t *testing.T) {
	rks := []crdt.RowKey{
		{Kind: crdt.KindRegister},
		crdt.CounterRow(0x0102030405060708),
		{Kind: crdt.KindSet, Name: "\x00member\xff"},
		{Kind: crdt.KindMap, Name: ""},
	}
	for _, key := range []string{"", "a", "\x00", "\x00\xff", "a\x00\x01", "\xff\xff"} {
		for _, rk := range rks {
			k, r, err := parseDataKey(dataKey(key, rk))
			if err != nil || k != key || r != rk {
				t.Errorf("parseDataKey(dataKey(%q, %v)) = %q, %v, %v", key, rk, k, r, err)
			}
		}
	}
}

func TestParseDataKeyRejects(t *testing.T) {
	for _, b := range []string{
		"",
		"x/a\x00\x01\x01",        // wrong namespace
		"d/a",                    // no terminator
		"d/a\x00",                // truncated escape
		"d/a\x00\x02\x01",        // bad escape
		"d/a\x00\x01",            // no row key
		"d/a\x00\x01\x09",        // unknown kind
		"d/a\x00\x01\x01x",       // register with a name
		"d/a\x00\x01\x02abc",     // counter name not 8 bytes
		"d/a\x00\xff\x00\x01",    // escaped then truncated row key
		"d/\x00\xff\x00\x01\x00", // kind 0
	} {
		if _, _, err := parseDataKey([]byte(b)); !errors.Is(err, errKey) {
			t.Errorf("parseDataKey(%q) = %v, want errKey", b, err)
		}
	}
}

// byteKeyGen draws raw byte strings (rapid strings are UTF-8).
func byteKeyGen() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		b := rapid.SliceOfN(rapid.SampledFrom([]byte{0x00, 0x01, 'a', 0xfe, 0xff}), 0, 4).Draw(t, "key")
		return string(b)
	})
}

func rowKeyGen() *rapid.Generator[crdt.RowKey] {
	return rapid.Custom(func(t *rapid.T) crdt.RowKey {
		kind := rapid.SampledFrom([]crdt.Kind{crdt.KindRegister, crdt.KindCounter, crdt.KindSet, crdt.KindMap}).Draw(t, "kind")
		switch kind {
		case crdt.KindRegister:
			return crdt.RowKey{Kind: kind}
		case crdt.KindCounter:
			return crdt.CounterRow(crdt.ReplicaID(rapid.Uint64().Draw(t, "origin")))
		}
		return crdt.RowKey{Kind: kind, Name: byteKeyGen().Draw(t, "name")}
	})
}

// TestDataKeyOrder checks the two properties Scan relies on: d/ keys of
// different user keys sort like the user keys whatever their row keys,
// and a user key starts with p iff its d/ keys start with keyPrefix(p).
func TestDataKeyOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, p := byteKeyGen().Draw(t, "a"), byteKeyGen().Draw(t, "b"), byteKeyGen().Draw(t, "p")
		ka, kb := dataKey(a, rowKeyGen().Draw(t, "ra")), dataKey(b, rowKeyGen().Draw(t, "rb"))
		if a != b && cmp.Compare(a, b) != bytes.Compare(ka, kb) {
			t.Fatalf("order of %q, %q differs from %q, %q", a, b, ka, kb)
		}
		if strings.HasPrefix(a, p) != bytes.HasPrefix(ka, keyPrefix(p)) {
			t.Fatalf("prefix %q of %q: key %q", p, a, ka)
		}
		if (a >= p) != (bytes.Compare(ka, keyPrefix(p)) >= 0) {
			t.Fatalf("lower bound %q of %q: key %q", p, a, ka)
		}
	})
}

func TestIndexKeyRoundTrip(t *testing.T) {
	d := crdt.Dot{Origin: 0xfedcba9876543210, Counter: 42}
	got, err := parseIndexKey(indexKey(d))
	if err != nil || got != d {
		t.Fatalf("parseIndexKey = %v, %v", got, err)
	}
	if _, err := parseIndexKey([]byte("i/short")); !errors.Is(err, errKey) {
		t.Fatalf("short index key: %v", err)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"d/", "d0"}, {"d/a\xff", "d/b"}, {"\xff\xff", ""}, {"d/\xff\xff", "d0"},
	} {
		if got := string(prefixEnd([]byte(c.in))); got != c.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzParseDataKey checks that the decoder never panics and accepts only
// what dataKey produces.
func FuzzParseDataKey(f *testing.F) {
	f.Add(dataKey("key", crdt.RowKey{Kind: crdt.KindRegister}))
	f.Add(dataKey("a\x00b", crdt.RowKey{Kind: crdt.KindSet, Name: "m"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		key, rk, err := parseDataKey(b)
		if err != nil {
			if !errors.Is(err, errKey) {
				t.Fatalf("error %v does not wrap errKey", err)
			}
			return
		}
		if got := dataKey(key, rk); !bytes.Equal(got, b) {
			t.Fatalf("dataKey(parseDataKey(%q)) = %q", b, got)
		}
	})
}
