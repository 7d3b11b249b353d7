package storage

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// tricky keys: empty, 0x00 and 0xFF bytes, keys that are prefixes of others.
var trickyKeys = []string{
	"", "\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00\x00", "a\x00b",
	"a\x01", "ab", "abc", "a\xff", "b", "\xff", "\xff\xff",
}

// writeEveryKind commits a register, a set member, a removed set member, a
// map field and a counter row under each key, in one commit, and returns
// what each key should hold.
func writeEveryKind(t *testing.T, s *Store, keys []string) map[string]crdt.Object {
	t.Helper()
	want := map[string]crdt.Object{}
	c := s.NewCommit()
	for i, key := range keys {
		want[key] = crdt.Object{}
		for _, w := range []struct {
			rk    crdt.RowKey
			value string
		}{
			{crdt.RowKey{Kind: crdt.KindRegister}, "v" + key},
			{crdt.RowKey{Kind: crdt.KindSet, Name: "m\x00" + key}, "add"},
			{crdt.RowKey{Kind: crdt.KindSet, Name: "gone"}, ""},
			{crdt.RowKey{Kind: crdt.KindMap, Name: "f"}, "field"},
			{crdt.CounterRow(s.ReplicaID()), strings.Repeat("+", i)},
		} {
			want[key][w.rk] = localMerge(t, c, key, w.rk, w.value)
		}
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestRoundTrip(t *testing.T) {
	s, fs := openMem(t)
	want := writeEveryKind(t, s, trickyKeys)
	check := func(s *Store) {
		for key, obj := range want {
			got, err := s.Object(key)
			if err != nil || !objectsEqual(got, obj) {
				t.Fatalf("Object(%q) = %v, %v; want %v", key, got, err, obj)
			}
			for rk, row := range obj {
				got, err := s.Row(key, rk)
				if err != nil || !rowsEqual(got, row) {
					t.Fatalf("Row(%q, %v) = %v, %v; want %v", key, rk, got, err, row)
				}
			}
		}
		if obj, err := s.Object("absent"); err != nil || obj == nil || len(obj) != 0 {
			t.Fatalf("Object(absent) = %v, %v", obj, err)
		}
		if row, err := s.Row("a", crdt.RowKey{Kind: crdt.KindSet, Name: "no"}); err != nil || !row.IsZero() {
			t.Fatalf("Row(absent) = %v, %v", row, err)
		}
		checkIndex(t, s)
	}
	check(s)
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	check(s)
}

// scanRef is what Scan must list: the sorted keys that pass the options.
func scanRef(keys []string, o ScanOptions) []string {
	sorted := slices.Clone(keys)
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		if strings.HasPrefix(k, o.Prefix) && k >= o.Start && (o.End == "" || k < o.End) {
			out = append(out, k)
		}
	}
	if o.Limit > 0 && len(out) > o.Limit {
		out = out[:o.Limit]
	}
	return out
}

// checkScan compares one Scan with the reference, objects included.
func checkScan(t tb, s *Store, want map[string]crdt.Object, o ScanOptions) {
	t.Helper()
	var got []string
	for ko, err := range s.Scan(o) {
		if err != nil {
			t.Fatalf("Scan(%#v): %v", o, err)
		}
		if !objectsEqual(ko.Object, want[ko.Key]) {
			t.Fatalf("Scan(%#v): key %q holds %v, want %v", o, ko.Key, ko.Object, want[ko.Key])
		}
		got = append(got, ko.Key)
	}
	if ref := scanRef(slices.Collect(maps.Keys(want)), o); !slices.Equal(got, ref) {
		t.Fatalf("Scan(%#v) = %q, want %q", o, got, ref)
	}
}

func TestScanOptions(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	want := writeEveryKind(t, s, trickyKeys)
	bounds := []string{"", "\x00", "a", "a\x00", "a\x00\x00", "a\x01", "ab", "b", "\xff", "\xff\xff", "zz"}
	for _, prefix := range bounds {
		for _, start := range bounds {
			for _, end := range bounds {
				for _, limit := range []int{0, 1, 3} {
					checkScan(t, s, want, ScanOptions{Prefix: prefix, Start: start, End: end, Limit: limit})
				}
			}
		}
	}
}

func TestScanStopsEarly(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	writeEveryKind(t, s, trickyKeys)
	n := 0
	for _, err := range s.Scan(ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break // the iterator must be closed, or Close reports a leak
		}
	}
}

// TestScanMatchesReference draws random key sets and bounds over the bytes
// that matter to the escaping.
func TestScanMatchesReference(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		keys := rapid.SliceOfNDistinct(byteKeyGen(), 1, 8, rapid.ID[string]).Draw(rt, "keys")
		s, _ := openMem(rt)
		defer mustClose(rt, s)
		want := map[string]crdt.Object{}
		for _, k := range keys {
			rk := crdt.RowKey{Kind: crdt.KindSet, Name: k}
			want[k] = crdt.Object{rk: localWrite(rt, s, k, rk, "x")}
		}
		for range 5 {
			o := ScanOptions{
				Prefix: byteKeyGen().Draw(rt, "prefix"),
				Start:  byteKeyGen().Draw(rt, "start"),
				End:    byteKeyGen().Draw(rt, "end"),
				Limit:  rapid.IntRange(0, 3).Draw(rt, "limit"),
			}
			checkScan(rt, s, want, o)
		}
	})
}
