package reconcile

import (
	"fmt"
	"slices"
	"testing"
)

// The scope table of two caught-up hubs: 10,000 scopes, and the same with
// ten differences spread over the key space (four changed version
// vectors, three scopes only the first hub has, three only the second).
func tenK(d int) (a, b []Item) {
	a = table(10000)
	if d == 0 {
		return a, a
	}
	b = slices.Clone(a)
	for _, i := range []int{500, 2500, 4500, 6500} {
		b[i] = item(scope(i), 2)
	}
	for _, i := range []int{9012, 5678, 1234} { // from the end, to keep the indices
		b = slices.Delete(b, i, i+1)
	}
	b = append(b, item(scope(10000), 1), item(scope(10001), 1), item(scope(10002), 1))
	return a, b
}

// TestReconcile10kBytes holds the goal: two hubs of 10,000 scopes settle
// in under 16 KB in all, in one round trip when caught up, and with ten
// differing scopes the bytes follow the ten, not the 10,000. The figures
// are deterministic (no clock, no randomness), so this is a size test.
func TestReconcile10kBytes(t *testing.T) {
	for _, d := range []int{0, 10} {
		a, b := tenK(d)
		x := check(t, a, b, Options{}, Options{})
		t.Logf("10,000 scopes, %d differences: %d bytes in %d messages", d, x.bytes, x.messages)
		if x.bytes >= 16<<10 {
			t.Errorf("%d differences: %d bytes, want under 16 KB", d, x.bytes)
		}
		if d == 0 && x.messages != 2 {
			t.Errorf("caught up: %d messages, want one round trip", x.messages)
		}
		if got := x.a.Differences().Len(); got != d {
			t.Errorf("%d differences found, want %d", got, d)
		}
	}
}

// BenchmarkReconcile10k reconciles the 10,000-scope tables with 0 and 10
// differences, reporting the bytes and messages of one exchange (both
// directions) besides the time:
//
//	go test ./sync/reconcile/ -run='^$' -bench=Reconcile10k
func BenchmarkReconcile10k(b *testing.B) {
	for _, d := range []int{0, 10} {
		b.Run(fmt.Sprintf("diff=%d", d), func(b *testing.B) {
			ia, ib := tenK(d)
			sa, sb := mustSorted(b, ia), mustSorted(b, ib)
			var x exchange
			for b.Loop() {
				x = run(b, sa, sb, Options{}, Options{})
			}
			b.ReportMetric(float64(x.bytes), "wire-bytes/op")
			b.ReportMetric(float64(x.messages), "msgs/op")
			b.ReportMetric(float64((x.messages+1)/2), "round-trips/op")
		})
	}
}
