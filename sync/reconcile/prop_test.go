package reconcile

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// keyOf returns the i-th key of a drawn set: i in bijective base 3 over
// "abc", so that keys share prefixes and front coding and separators have
// work to do; with pad > 0, every longEvery-th key is padded by pad bytes,
// so that small frame budgets fill.
func keyOf(i, longEvery, pad int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 3 {
		b = append(b, "abc"[(n-1)%3])
	}
	if pad > 0 && i%longEvery == 0 {
		b = append(b, strings.Repeat("z", pad)...)
	}
	return string(b)
}

// drawOptions draws options over their whole ranges, zero (the defaults)
// often.
func drawOptions(t *rapid.T, label string) Options {
	if rapid.Bool().Draw(t, label+"-defaults") {
		return Options{}
	}
	return Options{
		Branch:      rapid.IntRange(MinBranch, MaxBranch).Draw(t, label+"-branch"),
		LeafItems:   rapid.IntRange(1, 64).Draw(t, label+"-leaf"),
		FrameBudget: rapid.IntRange(MinFrameBudget, 3*MinFrameBudget).Draw(t, label+"-budget"),
	}
}

// TestPropertyDifferences: for random sets A and B that share most items,
// the exchange ends, both sides report exactly the true differences (by
// key, values compared), each side stays within its frame budget and
// within MaxRounds (check verifies all of it against a direct comparison).
func TestPropertyDifferences(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 600).Draw(t, "n")
		longEvery := rapid.IntRange(1, 50).Draw(t, "longEvery")
		pad := rapid.SampledFrom([]int{0, 0, 100, MaxKeyLen - 8}).Draw(t, "pad")
		// Each key: in both (mostly, one time in changeEvery), in one side
		// only, or in both with different values.
		changeEvery := rapid.SampledFrom([]int{3, 20, 200, 100000}).Draw(t, "changeEvery")
		var a, b []Item
		for i := range n {
			k := keyOf(i, longEvery, pad)
			fate := rapid.IntRange(0, 3*changeEvery).Draw(t, "fate")
			switch fate {
			case 0:
				a = append(a, item(k, 1))
			case 1:
				b = append(b, item(k, 1))
			case 2:
				a, b = append(a, item(k, 1)), append(b, item(k, 2))
			default:
				a, b = append(a, item(k, i)), append(b, item(k, i))
			}
		}
		check(t, a, b, drawOptions(t, "a"), drawOptions(t, "b"))
	})
}
