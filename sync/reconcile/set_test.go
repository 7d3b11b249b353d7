package reconcile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestNewSortedSortsAndDedups(t *testing.T) {
	s := mustSorted(t, []Item{item("b", 1), item("a", 1), item("c", 1), item("a", 1)})
	var keys []string
	for _, it := range s.Items() {
		keys = append(keys, string(it.Key))
	}
	if got := strings.Join(keys, ","); got != "a,b,c" {
		t.Fatalf("keys %s, want a,b,c", got)
	}
}

func TestNewSortedRefuses(t *testing.T) {
	if _, err := NewSorted([]Item{item("a", 1), item("a", 2)}); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("same key, two values: %v, want ErrDuplicateKey", err)
	}
	if _, err := NewSorted([]Item{item(strings.Repeat("k", MaxKeyLen), 1)}); err != nil {
		t.Fatalf("key of MaxKeyLen bytes: %v", err)
	}
	if _, err := NewSorted([]Item{item(strings.Repeat("k", MaxKeyLen+1), 1)}); !errors.Is(err, ErrKeyTooLong) {
		t.Fatalf("key of MaxKeyLen+1 bytes: %v, want ErrKeyTooLong", err)
	}
}

func TestSumAddSub(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a, b Sum
		for i := range a {
			a[i] = rapid.Uint64().Draw(t, "a")
			b[i] = rapid.Uint64().Draw(t, "b")
		}
		if a.Add(b).Sub(b) != a || a.Add(b) != b.Add(a) {
			t.Fatalf("add/sub mod 2^256 broken for %v, %v", a, b)
		}
		if SumFromBytes(a.Bytes()) != a {
			t.Fatalf("bytes round trip broken for %v", a)
		}
	})
	max := Sum{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	if max.Add(Sum{1}) != (Sum{}) {
		t.Fatal("2^256-1 + 1 is not 0")
	}
}

func TestSeparator(t *testing.T) {
	for _, c := range []struct{ prev, next, want string }{
		{"", "a", "a"},
		{"a", "b", "b"},
		{"abc", "abd", "abd"},
		{"abc", "abdzzz", "abd"},
		{"ab", "abc", "abc"},
		{"ab", "ab\x00", "ab\x00"},
		{"scope-000123", "scope-000124", "scope-000124"},
	} {
		got := Separator([]byte(c.prev), []byte(c.next))
		if string(got) != c.want {
			t.Errorf("Separator(%q, %q) = %q, want %q", c.prev, c.next, got, c.want)
		}
		if bytes.Compare(got, []byte(c.prev)) <= 0 || bytes.Compare(got, []byte(c.next)) > 0 {
			t.Errorf("Separator(%q, %q) = %q, not in (prev, next]", c.prev, c.next, got)
		}
	}
}

// TestSortedAgainstModel checks Summarize, Split and AppendItems on random
// sets and ranges against a direct scan.
func TestSortedAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfDistinct(rapid.StringMatching(`[ab]{0,4}`), func(s string) string { return s }).Draw(t, "keys")
		var items []Item
		for _, k := range keys {
			items = append(items, item(k, 1))
		}
		s := mustSorted(t, items)
		r := Range{Lo: []byte(rapid.StringMatching(`[ab]{0,4}`).Draw(t, "lo")), Hi: []byte(rapid.StringMatching(`[ab]{0,4}`).Draw(t, "hi"))}
		var in []Item
		var sum Sum
		for _, it := range s.Items() {
			if r.Contains(it.Key) {
				in = append(in, it)
				sum = sum.Add(HashItem(it))
			}
		}
		if got := s.Summarize(r); got.Count != len(in) || got.Sum != sum {
			t.Fatalf("Summarize(%q..%q) = %d items, want %d", r.Lo, r.Hi, got.Count, len(in))
		}
		max := rapid.IntRange(0, 5).Draw(t, "max")
		got := s.AppendItems(nil, r, max)
		if len(got) != min(max, len(in)) {
			t.Fatalf("AppendItems(max %d) gave %d of %d", max, len(got), len(in))
		}
		for i := range got {
			if !bytes.Equal(got[i].Key, in[i].Key) {
				t.Fatalf("AppendItems item %d is %q, want %q", i, got[i].Key, in[i].Key)
			}
		}
		n := rapid.IntRange(2, 5).Draw(t, "n")
		bounds := s.Split(r, n)
		if want := max0(min(n, len(in)) - 1); len(bounds) != want {
			t.Fatalf("Split(%d) of %d items gave %d bounds, want %d", n, len(in), len(bounds), want)
		}
		lo := r.Lo
		for i, b := range bounds {
			hi := b
			part := s.Summarize(Range{Lo: lo, Hi: hi})
			if part.Count == 0 || bytes.Compare(b, lo) <= 0 {
				t.Fatalf("Split part %d [%q, %q) empty or out of order", i, lo, hi)
			}
			if c := part.Count; c < len(in)/n || c > len(in)/n+1 {
				t.Fatalf("Split part %d holds %d of %d items in %d parts", i, c, len(in), n)
			}
			lo = hi
		}
	})
}

func max0(n int) int { return max(n, 0) }
