package scope

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/rapidseed"
)

// TestMain fixes the property tests' seed (internal/rapidseed).
func TestMain(m *testing.M) { rapidseed.Main(m) }

// fataler is what the helpers below need from *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// mustParse parses patterns, failing the test on error.
func mustParse(t fataler, patterns ...string) *Rules {
	t.Helper()
	r, err := Parse(patterns)
	if err != nil {
		t.Fatalf("Parse(%q): %v", patterns, err)
	}
	return r
}

// refScopeOf is ScopeOf written the obvious way, as the tests' model: split
// key at every "/" and try each pattern in order.
func refScopeOf(patterns []string, key string) (string, int) {
	ks := strings.Split(key, "/") // the last part is not "/"-terminated
	for i, p := range patterns {
		ps := strings.Split(strings.TrimSuffix(p, "/"), "/")
		if len(ks)-1 < len(ps) {
			continue
		}
		ok := true
		for k, seg := range ps {
			if strings.HasPrefix(seg, "{") {
				ok = ok && ks[k] != ""
			} else {
				ok = ok && ks[k] == seg
			}
		}
		if ok {
			return strings.Join(ks[:len(ps)], "/") + "/", i
		}
	}
	return "", -1
}

// checkScopeOf checks the properties every scope has: it is root or a
// prefix of key ending in "/", the model agrees, and a key extending the
// scope is in the same scope.
func checkScopeOf(t fataler, r *Rules, key string) {
	t.Helper()
	got := r.ScopeOf(key)
	if want, _ := refScopeOf(r.Patterns(), key); got != want {
		t.Fatalf("rules %s: ScopeOf(%q) = %q, model says %q", r, key, got, want)
	}
	if got == "" {
		return
	}
	if !strings.HasPrefix(key, got) || !strings.HasSuffix(got, "/") {
		t.Fatalf("rules %s: ScopeOf(%q) = %q: not a prefix ending in /", r, key, got)
	}
	if again := r.ScopeOf(got); again != got {
		t.Fatalf("rules %s: ScopeOf(%q) = %q, but ScopeOf of that = %q", r, key, got, again)
	}
	if ext := r.ScopeOf(got + "x"); ext != got {
		t.Fatalf("rules %s: ScopeOf(%q) = %q, but ScopeOf(%q) = %q", r, key, got, got+"x", ext)
	}
}
