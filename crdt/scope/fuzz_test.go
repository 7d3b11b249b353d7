package scope

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzScopeOf parses the fuzzer's bytes as rules, then builds rules from
// them that Parse is sure to accept more often, and checks ScopeOf on the
// fuzzer's key and on keys built from it. Nothing may panic, and every
// scope is root or a prefix of its key, ending in "/", that keys extending
// it share.
//
//	go test ./crdt/scope/ -run='^$' -fuzz='^FuzzScopeOf$' -fuzztime=20s
func FuzzScopeOf(f *testing.F) {
	for _, s := range []struct{ rules, key string }{
		{"", ""},
		{"", "users/alice/cart"},
		{"users/{user}/\nsites/{site}/\ncatalog/", "users/alice/cart"},
		{"users/{user}/\nsites/{site}/\ncatalog/", "users//x"},
		{"users/{user}/\nsites/{site}/\ncatalog/", "catalog/"},
		{"users/admin/\nusers/{user}/", "users/admin/x"},
		{"users/{user}/\nusers/admin/", "users/admin/x"},
		{"a/{x}/\n{y}/b/c/", "a/b/c/d"},
		{"{t}/shared/\nusers/{u}/", "users/shared/é"},
		{"users/{user}", "users/{user}/x"},
		{"/\n//\n{}/\n{a}/{a}/", "\xff/\xfe/"},
		{"\x00\x01\x02\x03\x04\x05\x06", "\x07\x0f\x17"},
		{"a/\nb/\na/", "a/\nb/"},
		{"*\n/\nusers/{user}/", "users/alice/\n/\n*"},
	} {
		f.Add(s.rules, s.key)
	}
	f.Fuzz(func(t *testing.T, rulesText, key string) {
		var patterns []string
		if rulesText != "" {
			patterns = strings.Split(rulesText, "\n")
		}
		if r, err := Parse(patterns); err != nil {
			if !errors.Is(err, ErrBadRules) {
				t.Fatalf("Parse error does not wrap ErrBadRules: %v", err)
			}
		} else {
			checkFuzzed(t, r, key)
			if again := mustParse(t, r.Patterns()...); again.Hash() != r.Hash() {
				t.Fatalf("rules %s hash differently when parsed again", r)
			}
		}

		r := fuzzRules(rulesText)
		checkFuzzed(t, r, key)
		checkFuzzed(t, r, fuzzKey(key))
		for _, p := range r.Patterns() {
			checkFuzzed(t, r, strings.ReplaceAll(p, "{", "")+fuzzKey(key))
		}
	})
}

// checkFuzzed checks ScopeOf on key, and parsing a subscription from the
// lines of key.
func checkFuzzed(t *testing.T, r *Rules, key string) {
	t.Helper()
	checkScopeOf(t, r, key)
	s, err := ParseSubscription(strings.Split(key, "\n"), r)
	if err != nil {
		if !errors.Is(err, ErrBadSubscription) {
			t.Fatalf("ParseSubscription error does not wrap ErrBadSubscription: %v", err)
		}
		return
	}
	for _, k := range []string{key, r.ScopeOf(key), key + "/x"} {
		if s.HoldsKey(k) != s.Holds(r.ScopeOf(k)) {
			t.Fatalf("subscription %s under %s: HoldsKey(%q) = %v, Holds(%q) = %v", s, r, k, s.HoldsKey(k), r.ScopeOf(k), s.Holds(r.ScopeOf(k)))
		}
	}
}

// fuzzRules builds up to 16 patterns from the first 256 bytes of b, a byte
// a segment (a few literals, placeholders, or the end of a pattern),
// keeping each pattern that no kept one shadows.
func fuzzRules(b string) *Rules {
	b = b[:min(len(b), 256)]
	var kept []string
	var keptSegs [][]string
	var p strings.Builder
	segs := 0
	end := func() {
		if p.Len() > 0 {
			s, why := parsePattern(p.String())
			if why != "" {
				panic(why)
			}
			if !slices.ContainsFunc(keptSegs, func(e []string) bool { return shadows(e, s) }) {
				kept, keptSegs = append(kept, p.String()), append(keptSegs, s)
			}
		}
		p.Reset()
		segs = 0
	}
	for i := 0; i < len(b) && len(kept) < 16; i++ {
		switch c := b[i] % 8; {
		case c < 4:
			p.WriteString([]string{"a", "b", "users", "x.y"}[c] + "/")
		case c < 6:
			p.WriteString("{p" + string(rune('a'+segs)) + "}/")
		default:
			end()
			continue
		}
		if segs++; segs == 6 {
			end()
		}
	}
	end()
	r, err := Parse(kept)
	if err != nil {
		panic(err) // none is shadowed by one before it, duplicates included
	}
	return r
}

// fuzzKey maps each of the first 64 bytes of b to a key segment that the
// rules of fuzzRules can match, or not.
func fuzzKey(b string) string {
	b = b[:min(len(b), 64)]
	var k strings.Builder
	for i := 0; i < len(b); i++ {
		k.WriteString([]string{"a/", "b/", "users/", "x.y/", "/", "é/", "{pa}/", "k"}[b[i]%8])
	}
	return k.String()
}
