package scope

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Property tests over rule lists built from a few literals and
// placeholders, so that patterns overlap and shadow each other often. The
// fuzz test feeds arbitrary bytes; these check what it cannot: that Parse
// refuses exactly the patterns that could never match, and subscriptions
// against a model.

var (
	genLiterals = []string{"a", "b", "users"}
	keySegments = []string{"a", "b", "users", "", "zz", "é", "{p0}"}
)

// drawPattern draws a pattern of one to four segments.
func drawPattern(t *rapid.T, label string) string {
	n := rapid.IntRange(1, 4).Draw(t, label+"-len")
	var b strings.Builder
	for i := range n {
		if rapid.Bool().Draw(t, fmt.Sprintf("%s-%d-placeholder", label, i)) {
			fmt.Fprintf(&b, "{p%d}/", i)
		} else {
			b.WriteString(rapid.SampledFrom(genLiterals).Draw(t, fmt.Sprintf("%s-%d", label, i)) + "/")
		}
	}
	return b.String()
}

// drawRules draws patterns one by one and keeps those Parse accepts after
// the ones kept so far; it returns the rules and the patterns refused.
func drawRules(t *rapid.T) (*Rules, []string) {
	var kept, refused []string
	for i := range rapid.IntRange(0, 8).Draw(t, "rules") {
		p := drawPattern(t, fmt.Sprintf("rule%d", i))
		if _, err := Parse(append(slices.Clone(kept), p)); err != nil {
			refused = append(refused, p)
			continue
		}
		kept = append(kept, p)
	}
	return mustParse(t, kept...), refused
}

func drawKey(t *rapid.T, label string) string {
	segs := rapid.SliceOfN(rapid.SampledFrom(keySegments), 0, 6).Draw(t, label)
	return strings.Join(segs, "/") + rapid.SampledFrom([]string{"", "/", "/k"}).Draw(t, label+"-end")
}

// witness is a key only p's shape decides: its literals, a value no
// literal has for each placeholder, and nothing after p.
func witness(p string) string {
	segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "zz"
		}
	}
	return strings.Join(segs, "/") + "/"
}

func TestScopeOfModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, _ := drawRules(t)
		for i := range rapid.IntRange(1, 10).Draw(t, "keys") {
			checkScopeOf(t, r, drawKey(t, fmt.Sprintf("key%d", i)))
		}
		for _, p := range r.Patterns() {
			checkScopeOf(t, r, witness(p)+"k")
		}
	})
}

// TestShadowingExact: every rule Parse accepts matches some key (its
// witness), and every pattern it refuses (all are well formed here) is
// taken, on every key it would match, by an earlier rule.
func TestShadowingExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, refused := drawRules(t)
		patterns := r.Patterns()
		for i, p := range patterns {
			if _, got := r.match(witness(p)); got != i {
				t.Fatalf("rules %s: rule %d %q is dead: its witness %q goes to rule %d", r, i+1, p, witness(p), got+1)
			}
		}
		for _, q := range refused {
			with := append(slices.Clone(patterns), q)
			keys := []string{witness(q), witness(q) + "k"}
			for i := range rapid.IntRange(0, 10).Draw(t, "keys") {
				keys = append(keys, drawKey(t, fmt.Sprintf("key%d", i)))
			}
			for _, k := range keys {
				if _, i := refScopeOf(with, k); i == len(patterns) {
					t.Fatalf("rules %s refused %q, but %q would match it", r, q, k)
				}
			}
		}
	})
}

func TestSubscriptionModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, _ := drawRules(t)
		var entries []string
		all := rapid.IntRange(0, 9).Draw(t, "all") == 0
		if all {
			entries = append(entries, AllToken)
		}
		root := rapid.Bool().Draw(t, "root")
		if root {
			entries = append(entries, RootToken)
		}
		whole := map[int]bool{}
		scopes := map[string]bool{}
		for i, p := range r.Patterns() {
			switch rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("rule%d", i)) {
			case 1:
				if strings.Contains(p, "{") {
					whole[i] = true
					entries = append(entries, p)
				}
			case 2:
				sc := r.ScopeOf(witness(p))
				scopes[sc] = true
				entries = append(entries, sc)
			}
		}
		for i := range rapid.IntRange(0, 3).Draw(t, "extra") {
			if sc := r.ScopeOf(drawKey(t, fmt.Sprintf("extra%d", i))); sc != "" && !strings.ContainsAny(sc, "{}*") {
				scopes[sc] = true
				entries = append(entries, sc)
			}
		}
		s, err := ParseSubscription(entries, r)
		if err != nil {
			t.Fatalf("ParseSubscription(%q, %s): %v", entries, r, err)
		}
		all = all || len(entries) == 0
		check := func(key string) {
			sc, i := refScopeOf(r.Patterns(), key)
			want := all || sc == "" && root || sc != "" && (whole[i] || scopes[sc])
			if got := s.HoldsKey(key); got != want {
				t.Fatalf("subscription %s under %s: HoldsKey(%q) = %v, want %v", s, r, key, got, want)
			}
			if got := s.Holds(sc); got != want {
				t.Fatalf("subscription %s under %s: Holds(%q) = %v, want %v", s, r, sc, got, want)
			}
			if s.All() && !want {
				t.Fatalf("subscription %s under %s: All, but not %q", s, r, key)
			}
		}
		for i := range rapid.IntRange(1, 10).Draw(t, "keys") {
			check(drawKey(t, fmt.Sprintf("key%d", i)))
		}
		for _, p := range r.Patterns() {
			check(witness(p) + "k")
			check(strings.ReplaceAll(witness(p), "zz", "fresh") + "k")
		}
	})
}
