package scope

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseRefuses(t *testing.T) {
	long := strings.Repeat("a", MaxPatternLen) + "/"
	tests := []struct {
		name     string
		patterns []string
		want     string // in the error, after the rule and its quoted text
	}{
		{"empty pattern", []string{""}, `rule 1 "": empty pattern`},
		{"no trailing slash", []string{"users"}, `rule 1 "users": must end with "/"`},
		{"placeholder without slash", []string{"users/{user}"}, `rule 1 "users/{user}": must end with "/"`},
		{"root alone", []string{"/"}, `rule 1 "/": empty segment at byte 0`},
		{"leading slash", []string{"/users/"}, `rule 1 "/users/": empty segment at byte 0`},
		{"double slash", []string{"users//"}, `rule 1 "users//": empty segment at byte 6`},
		{"space", []string{"my users/"}, `rule 1 "my users/": ' ' at byte 2`},
		{"newline", []string{"a\n/"}, `rule 1 "a\n/": '\n' at byte 1`},
		{"NUL", []string{"a\x00/"}, `rule 1 "a\x00/": '\x00' at byte 1`},
		{"star", []string{"users/*/"}, `rule 1 "users/*/": '*' at byte 6`},
		{"non-ASCII", []string{"ünï/"}, `rule 1 "ünï/": non-ASCII byte 0xc3 at byte 0`},
		{"invalid UTF-8", []string{"a\xff/"}, `rule 1 "a\xff/": non-ASCII byte 0xff at byte 1`},
		{"placeholder inside a segment", []string{"user-{id}/"}, `rule 1 "user-{id}/": '{' at byte 5: a placeholder {name} must be a whole segment`},
		{"unclosed placeholder", []string{"users/{user/"}, `rule 1 "users/{user/": '{' at byte 6`},
		{"stray brace", []string{"users/user}/"}, `rule 1 "users/user}/": '}' at byte 10`},
		{"empty name", []string{"users/{}/"}, `rule 1 "users/{}/": placeholder "{}" at byte 6: empty name`},
		{"name starts with digit", []string{"{1a}/"}, `rule 1 "{1a}/": placeholder "{1a}" at byte 0: a name is`},
		{"name with dash", []string{"{a-b}/"}, `rule 1 "{a-b}/": placeholder "{a-b}" at byte 0: a name is`},
		{"nested braces", []string{"{a}}/"}, `rule 1 "{a}}/": placeholder "{a}}" at byte 0: a name is`},
		{"name twice", []string{"{a}/x/{a}/"}, `rule 1 "{a}/x/{a}/": placeholder "{a}" twice`},
		{"too long", []string{long}, fmt.Sprintf(`rule 1 %q...: 257 bytes, at most 256`, long[:64])},
		{"error names the later rule", []string{"a/", "b/", "c"}, `rule 3 "c": must end with "/"`},
		{"duplicate", []string{"users/{user}/", "catalog/", "users/{user}/"}, `rule 3 "users/{user}/": duplicate of rule 1`},
		{"literal shadowed by placeholder", []string{"users/{user}/", "users/admin/"},
			`rule 2 "users/admin/": can never match: rule 1 "users/{user}/" matches every key it matches, and first`},
		{"same shape, other name", []string{"users/{user}/", "users/{id}/"}, `rule 2 "users/{id}/": can never match: rule 1 "users/{user}/"`},
		{"longer after shorter", []string{"catalog/", "catalog/{item}/"}, `rule 2 "catalog/{item}/": can never match: rule 1 "catalog/"`},
		{"deeper after its prefix", []string{"users/{user}/", "users/{user}/carts/"}, `rule 2 "users/{user}/carts/": can never match: rule 1`},
		{"leading placeholder shadows literals", []string{"{tenant}/", "users/{user}/"}, `rule 2 "users/{user}/": can never match: rule 1 "{tenant}/"`},
		{"shadowed by a rule that is not the last", []string{"a/{x}/", "b/", "a/b/c/"}, `rule 3 "a/b/c/": can never match: rule 1 "a/{x}/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.patterns)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.patterns, r)
			}
			if !errors.Is(err, ErrBadRules) {
				t.Fatalf("error does not wrap ErrBadRules: %v", err)
			}
			if want := "scope: bad rules: " + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error\n %s\nwant it to start with\n %s", err, want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, patterns := range [][]string{
		nil,
		{},
		{"users/{user}/", "sites/{site}/", "catalog/"},
		{"users/admin/", "users/{user}/"},           // an exception before its rule
		{"catalog/{item}/", "catalog/"},             // longer first: catalog/ still has catalog/x
		{"users/{user}/carts/", "users/{user}/"},    // the same, with placeholders
		{"{tenant}/shared/", "users/{user}/"},       // users/alice/ escapes the first
		{"a/{x}/", "{y}/b/c/"},                      // overlapping both ways
		{"{a}/{b}/{c}/"},                            // placeholders only
		{"A-Z_a.z~0:9@+=/", "Catalog/", "catalog/"}, // every literal byte; case counts
		{"{_}/x/", "{Aa_09}/y/", "{a}/{b}/z/"},      // names
		{"./", "../", "users/{user}/../"},           // . and .. are literals like any other
	} {
		if _, err := Parse(patterns); err != nil {
			t.Errorf("Parse(%q): %v", patterns, err)
		}
	}
}

func TestScopeOf(t *testing.T) {
	r := mustParse(t,
		"users/admin/",
		"users/{user}/",
		"sites/{site}/pages/",
		"catalog/",
		"{tenant}/shared/",
	)
	tests := []struct{ key, want string }{
		{"users/alice/cart", "users/alice/"},
		{"users/alice/", "users/alice/"}, // a key may equal its scope
		{"users/alice/a/b/c/", "users/alice/"},
		{"users/alice", ""}, // shorter than the pattern
		{"users/", ""},
		{"users", ""},
		{"use", ""},
		{"", ""},
		{"/", ""},
		{"//", ""},
		{"/users/alice/", ""},
		{"users//x", ""}, // a placeholder's segment is never empty
		{"users//x/", ""},
		{"users/admin/x", "users/admin/"}, // the exception comes first
		{"users/admin", ""},
		{"users/administrator/x", "users/administrator/"},
		{"users/ålice/x", "users/ålice/"}, // multibyte UTF-8
		{"users/日本/x", "users/日本/"},
		{"users/\xff\xfe/x", "users/\xff\xfe/"}, // bytes, not runes
		{"users/{user}/x", "users/{user}/"},     // "{" in a key is data
		{"users/{/x", "users/{/"},
		{"users/shared/x", "users/shared/"}, // users/{user}/ comes before {tenant}/shared/
		{"sites/s1/pages/p", "sites/s1/pages/"},
		{"sites/s1/pages/", "sites/s1/pages/"},
		{"sites/s1/pages", ""},
		{"sites/s1/posts/p", ""},
		{"sites//pages/p", ""},
		{"catalog/", "catalog/"},
		{"catalog/x/y", "catalog/"},
		{"catalog", ""},
		{"catalogue/x", ""},
		{"Catalog/x", ""}, // literals are case-sensitive
		{"acme/shared/doc", "acme/shared/"},
		{"acme/shared", ""},
		{"acme/sharedx/doc", ""},
		{"sites/shared/x", "sites/shared/"}, // sites/{site}/pages/ fails, {tenant}/shared/ matches
		{"é/shared/", "é/shared/"},
		{"{tenant}/shared/", "{tenant}/shared/"},
	}
	for _, tt := range tests {
		if got := r.ScopeOf(tt.key); got != tt.want {
			t.Errorf("ScopeOf(%q) = %q, want %q", tt.key, got, tt.want)
		}
		checkScopeOf(t, r, tt.key)
	}
}

// TestScopeOfFirstMatch: two patterns that overlap either way give a key
// the scope of whichever comes first.
func TestScopeOfFirstMatch(t *testing.T) {
	const key = "a/b/c/d"
	for _, tt := range []struct {
		patterns []string
		want     string
	}{
		{[]string{"a/{x}/", "{y}/b/c/"}, "a/b/"},
		{[]string{"{y}/b/c/", "a/{x}/"}, "a/b/c/"},
		{[]string{"z/", "{y}/b/c/", "a/{x}/"}, "a/b/c/"},
		{[]string{"a/c/", "a/{x}/", "{y}/b/c/"}, "a/b/"},
	} {
		if got := mustParse(t, tt.patterns...).ScopeOf(key); got != tt.want {
			t.Errorf("rules %q: ScopeOf(%q) = %q, want %q", tt.patterns, key, got, tt.want)
		}
	}
}

func TestNoRules(t *testing.T) {
	var none *Rules
	empty := mustParse(t)
	for _, r := range []*Rules{none, empty, mustParse(t, []string{}...)} {
		for _, key := range []string{"", "/", "users/alice/", "a"} {
			if got := r.ScopeOf(key); got != "" {
				t.Errorf("no rules: ScopeOf(%q) = %q, want root", key, got)
			}
		}
		if r.Hash() != none.Hash() {
			t.Errorf("no rules hash to %x and %x", r.Hash(), none.Hash())
		}
		if p := r.Patterns(); p != nil {
			t.Errorf("no rules: Patterns() = %q", p)
		}
		if s := r.String(); s != "(none)" {
			t.Errorf("no rules: String() = %q", s)
		}
	}
}

// TestHashGolden pins the encoding: if it fails, clusters of the old and
// the new code would refuse each other. Change the encoding only with a
// new header, and knowingly.
func TestHashGolden(t *testing.T) {
	for _, tt := range []struct {
		patterns []string
		want     string
	}{
		{nil, "39202f1a865946fbf6f5ac44a46f05fa77a15641e304f30285106e755f0af9aa"},
		{[]string{"users/{user}/", "sites/{site}/", "catalog/"}, "8ea2de3a778d4dd160b11d67fba8e135358afb377a2cbe7408a9839cd0655afa"},
	} {
		h := mustParse(t, tt.patterns...).Hash()
		if got := hex.EncodeToString(h[:]); got != tt.want {
			t.Errorf("Hash of %q = %s, want %s", tt.patterns, got, tt.want)
		}
	}
}

func TestHashDiffers(t *testing.T) {
	lists := [][]string{
		nil,
		{"a/"},
		{"b/"},
		{"a/b/"},
		{"a/", "b/"},
		{"b/", "a/"}, // order is part of the rules
		{"ab/"},
		{"users/{user}/"},
		{"users/{id}/"}, // so are names
		{"users/{user}/", "catalog/"},
		{"users/{user}/catalog/"},
	}
	seen := map[[32]byte]int{}
	for i, l := range lists {
		h := mustParse(t, l...).Hash()
		if j, ok := seen[h]; ok {
			t.Errorf("%q and %q hash the same", lists[j], l)
		}
		seen[h] = i
		if again := mustParse(t, l...).Hash(); again != h {
			t.Errorf("%q hashes to %x, then %x", l, h, again)
		}
	}
}

// TestRulesImmutable: neither the caller's slice nor Patterns' copy is
// the rules' own.
func TestRulesImmutable(t *testing.T) {
	in := []string{"users/{user}/", "catalog/"}
	r := mustParse(t, in...)
	in2 := []string{"users/{user}/", "catalog/"}
	r2, err := Parse(in2)
	if err != nil {
		t.Fatal(err)
	}
	h := r2.Hash()
	in2[0] = "sites/{site}/"
	p := r2.Patterns()
	p[1] = "other/"
	if r2.Hash() != h || r2.String() != "users/{user}/, catalog/" || r2.ScopeOf("users/a/x") != "users/a/" {
		t.Fatalf("rules changed with their input or output: %s", r2)
	}
	if r.String() != r2.String() {
		t.Fatalf("%s vs %s", r, r2)
	}
}

// TestPatternLength: at, under and over MaxPatternLen, for one long
// literal and for the most segments a pattern can have.
func TestPatternLength(t *testing.T) {
	for _, n := range []int{MaxPatternLen - 1, MaxPatternLen, MaxPatternLen + 1} {
		p := strings.Repeat("a", n-1) + "/"
		r, err := Parse([]string{p})
		if n > MaxPatternLen {
			if !errors.Is(err, ErrBadRules) || !strings.Contains(err.Error(), fmt.Sprintf("%d bytes, at most %d", n, MaxPatternLen)) {
				t.Errorf("pattern of %d bytes: err = %v", n, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("pattern of %d bytes: %v", n, err)
			continue
		}
		if got := r.ScopeOf(p + "k"); got != p {
			t.Errorf("pattern of %d bytes: ScopeOf = %q", n, got)
		}
	}

	// The most segments: MaxPatternLen/2 of one byte each.
	segs := strings.Repeat("a/", MaxPatternLen/2)
	if len(segs) != MaxPatternLen || strings.Count(segs, "/") != maxSegments {
		t.Fatalf("bad test pattern of %d bytes", len(segs))
	}
	r := mustParse(t, "a/b/", segs, "{x}/"+strings.Repeat("a/", maxSegments-3)+"b/")
	if got := r.ScopeOf(segs + "key"); got != segs {
		t.Errorf("ScopeOf(%d segments) = %q", maxSegments, got)
	}
	if got := r.ScopeOf(segs[:len(segs)-1]); got != "" {
		t.Errorf("ScopeOf(one segment short) = %q", got)
	}
	if got := r.ScopeOf(segs[2:] + strings.Repeat("a/", 10)); got != segs {
		t.Errorf("ScopeOf(a deeper key) = %q", got)
	}
	if _, err := Parse([]string{segs + "a/"}); !errors.Is(err, ErrBadRules) {
		t.Errorf("%d segments: err = %v", maxSegments+1, err)
	}

	// Placeholders up to the limit: {a}/ is four bytes.
	var b strings.Builder
	for i := 0; b.Len()+len(fmt.Sprintf("{p%d}/", i)) <= MaxPatternLen; i++ {
		fmt.Fprintf(&b, "{p%d}/", i)
	}
	p := b.String()
	n := strings.Count(p, "/")
	key := strings.Repeat("v/", n) + "rest"
	if got := mustParse(t, p).ScopeOf(key); got != strings.Repeat("v/", n) {
		t.Errorf("ScopeOf under %d placeholders = %q", n, got)
	}
}

// TestRuleCount: at, under and over MaxRules.
func TestRuleCount(t *testing.T) {
	for _, n := range []int{MaxRules - 1, MaxRules, MaxRules + 1} {
		patterns := make([]string, n)
		for i := range patterns {
			if i%2 == 0 {
				patterns[i] = fmt.Sprintf("r%d/", i)
			} else {
				patterns[i] = fmt.Sprintf("{p}/r%d/", i) // every key visits these
			}
		}
		r, err := Parse(patterns)
		if n > MaxRules {
			want := fmt.Sprintf("scope: bad rules: rule %d %q: more than %d rules", MaxRules+1, patterns[MaxRules], MaxRules)
			if !errors.Is(err, ErrBadRules) || err.Error() != want {
				t.Errorf("%d rules: err = %v, want %s", n, err, want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d rules: %v", n, err)
		}
		last := patterns[n-1]
		key := strings.Replace(last, "{p}", "v", 1) + "k"
		if got, want := r.ScopeOf(key), key[:len(key)-1]; got != want {
			t.Errorf("%d rules: ScopeOf(%q) = %q, want %q", n, key, got, want)
		}
		if got := r.ScopeOf("r0/k"); got != "r0/" {
			t.Errorf("%d rules: ScopeOf(r0/k) = %q", n, got)
		}
		if got := r.ScopeOf("nothing/here"); got != "" {
			t.Errorf("%d rules: ScopeOf(nothing/here) = %q", n, got)
		}
	}
}

func TestScopeOfDoesNotAllocate(t *testing.T) {
	r := mustParse(t, "users/admin/", "users/{user}/", "{t}/shared/", "catalog/")
	keys := []string{"users/alice/cart", "acme/shared/x", "catalog/x", "none", "x/y/z/w/"}
	for _, key := range keys {
		if n := testing.AllocsPerRun(100, func() { r.ScopeOf(key) }); n != 0 {
			t.Errorf("ScopeOf(%q) allocates %v times", key, n)
		}
	}
}

func BenchmarkScopeOf(b *testing.B) {
	patterns := []string{"users/admin/", "users/{user}/", "sites/{site}/pages/", "catalog/"}
	for i := range 100 {
		patterns = append(patterns, fmt.Sprintf("t%d/{x}/", i))
	}
	r, err := Parse(patterns)
	if err != nil {
		b.Fatal(err)
	}
	for _, key := range []string{"users/alice/cart/item-123", "sites/s1/pages/index", "t99/x/y", "unscoped-key"} {
		b.Run(key, func(b *testing.B) {
			for b.Loop() {
				r.ScopeOf(key)
			}
		})
	}
}
