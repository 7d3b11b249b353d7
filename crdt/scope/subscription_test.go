package scope

import (
	"errors"
	"strings"
	"testing"
)

var subRules = []string{"users/admin/", "users/{user}/", "sites/{site}/pages/", "catalog/"}

func TestParseSubscriptionRefuses(t *testing.T) {
	r := mustParse(t, subRules...)
	tests := []struct {
		name    string
		entries []string
		rules   *Rules
		want    string // in the error, after the entry and its quoted text
	}{
		{"empty entry", []string{""}, r, `entry 1 "": empty entry (write the root scope as "/")`},
		{"prefix of a rule", []string{"users/"}, r, `entry 1 "users/": no scope rule makes it a scope`},
		{"no rule", []string{"catalog/", "nope/"}, r, `entry 2 "nope/": no scope rule makes it a scope`},
		{"no rules at all", []string{"catalog/"}, nil, `entry 1 "catalog/": no scope rule makes it a scope`},
		{"inside a scope", []string{"users/alice/cart/"}, r, `entry 1 "users/alice/cart/": not a scope: its keys are in scope "users/alice/"`},
		{"inside a literal scope", []string{"catalog/books/"}, r, `entry 1 "catalog/books/": not a scope: its keys are in scope "catalog/"`},
		{"part of a rule", []string{"sites/s1/"}, r, `entry 1 "sites/s1/": no scope rule makes it a scope`},
		{"no trailing slash", []string{"users/alice"}, r, `entry 1 "users/alice": a scope ends with "/"`},
		{"glob", []string{"users/*/"}, r, `entry 1 "users/*/": "*" stands alone`},
		{"unknown rule", []string{"users/{id}/"}, r, `entry 1 "users/{id}/": not one of the scope rules`},
		{"rule of no rules", []string{"users/{user}/"}, nil, `entry 1 "users/{user}/": not one of the scope rules`},
		{"partial rule", []string{"sites/{site}/"}, r, `entry 1 "sites/{site}/": not one of the scope rules`},
		{"brace in a scope", []string{"users/{x/"}, r, `entry 1 "users/{x/": not one of the scope rules`},
		{"not UTF-8", []string{"users/\xff/"}, r, `entry 1 "users/\xff/": not valid UTF-8`},
		{"too long", []string{"users/" + strings.Repeat("a", MaxScopeLen) + "/"}, r, `entry 1 "users/aaaa`},
		{"too many", make([]string, MaxSubscriptionPatterns+1), r, `entry 4097 "": more than 4096 entries`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSubscription(tt.entries, tt.rules)
			if err == nil {
				t.Fatalf("ParseSubscription(%q) = %s, want an error", tt.entries, s)
			}
			if !errors.Is(err, ErrBadSubscription) {
				t.Fatalf("error does not wrap ErrBadSubscription: %v", err)
			}
			if want := "scope: bad subscription: " + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error\n %s\nwant it to start with\n %s", err, want)
			}
		})
	}
}

func TestSubscriptionLimits(t *testing.T) {
	r := mustParse(t, subRules...)
	for _, n := range []int{MaxScopeLen - 1, MaxScopeLen, MaxScopeLen + 1} {
		sc := "users/" + strings.Repeat("a", n-len("users//")) + "/"
		_, err := ParseSubscription([]string{sc}, r)
		if n <= MaxScopeLen && err != nil || n > MaxScopeLen && !errors.Is(err, ErrBadSubscription) {
			t.Errorf("scope of %d bytes: err = %v", n, err)
		}
	}
	for _, n := range []int{MaxSubscriptionPatterns - 1, MaxSubscriptionPatterns} {
		entries := make([]string, n)
		for i := range entries {
			entries[i] = "catalog/"
		}
		if _, err := ParseSubscription(entries, r); err != nil {
			t.Errorf("%d entries: %v", n, err)
		}
	}
}

func TestSubscriptionHolds(t *testing.T) {
	r := mustParse(t, subRules...)
	keys := []string{
		"",                   // root
		"loose-key",          // root
		"users/alice/cart",   // users/alice/
		"users/alice/",       // users/alice/
		"users/bob/x",        // users/bob/
		"users/admin/x",      // users/admin/, a rule of its own
		"sites/s1/pages/p",   // sites/s1/pages/
		"sites/s2/pages/p",   // sites/s2/pages/
		"catalog/item",       // catalog/
		"users/alice",        // root
		"users/alice/cart/x", // users/alice/
	}
	tests := []struct {
		entries []string
		want    string // per key, in order: 1 held, 0 not
	}{
		{nil, "11111111111"},
		{[]string{}, "11111111111"},
		{[]string{"*"}, "11111111111"},
		{[]string{"catalog/", "*"}, "11111111111"},
		{[]string{"/"}, "11000000010"},
		{[]string{"users/alice/"}, "00110000001"},
		{[]string{"users/{user}/"}, "00111000001"}, // users/admin/ is another rule's
		{[]string{"users/{user}/", "users/admin/"}, "00111100001"},
		{[]string{"users/admin/"}, "00000100000"},
		{[]string{"sites/{site}/pages/", "/"}, "11000011010"},
		{[]string{"sites/s2/pages/", "catalog/", "catalog/"}, "00000001100"},
		{[]string{"users/alice/", "users/{user}/"}, "00111000001"},
	}
	for _, tt := range tests {
		s, err := ParseSubscription(tt.entries, r)
		if err != nil {
			t.Fatalf("ParseSubscription(%q): %v", tt.entries, err)
		}
		for i, key := range keys {
			want := tt.want[i] == '1'
			if got := s.HoldsKey(key); got != want {
				t.Errorf("subscription %q: HoldsKey(%q) = %v, want %v", tt.entries, key, got, want)
			}
			if got := s.Holds(r.ScopeOf(key)); got != want {
				t.Errorf("subscription %q: Holds(%q) = %v, want %v", tt.entries, r.ScopeOf(key), got, want)
			}
		}
		if got, want := s.All(), !strings.Contains(tt.want, "0"); got != want {
			t.Errorf("subscription %q: All() = %v, want %v", tt.entries, got, want)
		}
	}
}

// TestSubscriptionHoldsNonScope: Holds answers for scopes; a string that is
// not one under the rules is held only by everything.
func TestSubscriptionHoldsNonScope(t *testing.T) {
	r := mustParse(t, subRules...)
	s, err := ParseSubscription([]string{"/", "users/{user}/", "catalog/"}, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"users/", "users/alice/cart/", "catalog/x/", "users/alice", "nope/"} {
		if s.Holds(sc) {
			t.Errorf("Holds(%q) = true for a string that is not a scope", sc)
		}
	}
}

func TestSubscriptionAll(t *testing.T) {
	r := mustParse(t, subRules...)
	for _, tt := range []struct {
		entries []string
		rules   *Rules
		want    bool
	}{
		{nil, r, true},
		{[]string{"*"}, nil, true},
		{[]string{"/"}, nil, true}, // no rules: the root is everything
		{[]string{"/", "users/admin/", "users/{user}/", "sites/{site}/pages/", "catalog/"}, r, true},
		{[]string{"/", "users/{user}/", "sites/{site}/pages/", "catalog/"}, r, false}, // not users/admin/
		{[]string{"users/admin/", "users/{user}/", "sites/{site}/pages/", "catalog/"}, r, false},
		{[]string{"/", "users/admin/", "users/{user}/", "sites/s1/pages/", "catalog/"}, r, false}, // one site only
	} {
		s, err := ParseSubscription(tt.entries, tt.rules)
		if err != nil {
			t.Fatalf("ParseSubscription(%q): %v", tt.entries, err)
		}
		if s.All() != tt.want {
			t.Errorf("subscription %q under %s: All() = %v", tt.entries, tt.rules, s.All())
		}
	}
	var none *Subscription
	if !none.All() || !none.Holds("") || !none.HoldsKey("users/a/b") || none.String() != "*" || none.Rules() != nil {
		t.Error("a nil subscription must hold everything")
	}
}

func TestSubscriptionAccessors(t *testing.T) {
	r := mustParse(t, subRules...)
	in := []string{"/", "users/{user}/", "catalog/"}
	s, err := ParseSubscription(in, r)
	if err != nil {
		t.Fatal(err)
	}
	in[2] = "nope/"
	p := s.Patterns()
	p[0] = "*"
	if s.String() != "/, users/{user}/, catalog/" || s.All() || s.Rules() != r || !s.HoldsKey("catalog/x") {
		t.Fatalf("subscription changed with its input or output: %s", s)
	}
}

func TestHoldsKeyDoesNotAllocate(t *testing.T) {
	r := mustParse(t, subRules...)
	s, err := ParseSubscription([]string{"users/alice/", "sites/{site}/pages/"}, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"users/alice/cart", "users/bob/x", "sites/s/pages/x", "root"} {
		if n := testing.AllocsPerRun(100, func() { s.HoldsKey(key); s.Holds(r.ScopeOf(key)) }); n != 0 {
			t.Errorf("HoldsKey(%q) allocates %v times", key, n)
		}
	}
}
