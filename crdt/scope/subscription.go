package scope

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The tokens of a subscription that are not scopes. Neither can be one: a
// scope has a non-empty first segment and ends with "/".
const (
	// AllToken subscribes to every scope; an empty list means the same.
	AllToken = "*"
	// RootToken subscribes to the root scope "", the keys no rule matches.
	RootToken = "/"
)

// Limits on subscriptions.
const (
	// MaxScopeLen is the longest concrete scope a subscription may name, in
	// bytes: the node's MaxKeySize, since a scope is a prefix of a key.
	MaxScopeLen = 1024
	// MaxSubscriptionPatterns is the most entries one subscription may hold.
	MaxSubscriptionPatterns = 4096
)

// ErrBadSubscription marks a subscription that ParseSubscription refuses.
// The message names the entry (its 1-based position and its text).
var ErrBadSubscription = errors.New("scope: bad subscription")

// Subscription is the set of scopes a node holds, under given Rules. It is
// immutable and safe for concurrent use. A nil *Subscription holds
// everything, like an empty list.
type Subscription struct {
	rules    *Rules
	patterns []string
	all      bool
	root     bool
	whole    []bool // by rule index: every scope of the rule is held; nil if none
	scopes   map[string]struct{}
}

// ParseSubscription checks patterns against rules (nil for no rules) and
// returns the subscription they describe: the union of its entries. An
// entry is one of
//
//   - "*" (AllToken): every scope; an empty or nil list means the same;
//   - "/" (RootToken): the root scope "", the keys that no rule matches;
//   - a rule's pattern, exactly as written in rules ("users/{user}/"):
//     every scope that rule makes;
//   - a concrete scope ("users/alice/", "catalog/"): a string that rules
//     make the scope of itself, so of every key it prefixes.
//
// Entries may overlap or repeat. ParseSubscription refuses, with an error
// wrapping ErrBadSubscription and naming the entry: more than
// MaxSubscriptionPatterns entries; an empty entry (the root is written
// "/"); an entry with "{" or "}" that is not one of the rules; a concrete
// scope longer than MaxScopeLen, not UTF-8, not ending in "/", holding "*"
// (it stands alone, never as a wildcard: "users/*/" would mean the one user
// named "*"), or that no rule makes a scope ("users/" under
// "users/{user}/" is in the root scope; "users/alice/cart/" is inside
// "users/alice/"). A scope whose placeholder value holds "*", "{" or "}"
// can be held only through its rule or "*".
func ParseSubscription(patterns []string, rules *Rules) (*Subscription, error) {
	if len(patterns) > MaxSubscriptionPatterns {
		return nil, subErr(MaxSubscriptionPatterns, patterns[MaxSubscriptionPatterns],
			fmt.Sprintf("more than %d entries", MaxSubscriptionPatterns))
	}
	s := &Subscription{rules: rules, patterns: slices.Clone(patterns), all: len(patterns) == 0}
	for i, p := range patterns {
		switch {
		case p == AllToken:
			s.all = true
		case p == RootToken:
			s.root = true
		case p == "":
			return nil, subErr(i, p, `empty entry (write the root scope as "/")`)
		case strings.ContainsAny(p, "{}"):
			j := -1
			if rules != nil {
				j = slices.Index(rules.patterns, p)
			}
			if j < 0 {
				return nil, subErr(i, p, "not one of the scope rules (an entry with a placeholder names a rule as written)")
			}
			if s.whole == nil {
				s.whole = make([]bool, len(rules.rules))
			}
			s.whole[j] = true
		default:
			if why := checkScope(p, rules); why != "" {
				return nil, subErr(i, p, why)
			}
			if s.scopes == nil {
				s.scopes = map[string]struct{}{}
			}
			s.scopes[p] = struct{}{}
		}
	}
	s.all = s.all || s.coversAll()
	return s, nil
}

// checkScope says why p is not a concrete scope under rules, or "".
func checkScope(p string, rules *Rules) string {
	switch {
	case len(p) > MaxScopeLen:
		return fmt.Sprintf("%d bytes, at most %d", len(p), MaxScopeLen)
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case p[len(p)-1] != '/':
		return `a scope ends with "/"`
	case strings.Contains(p, "*"):
		return `"*" stands alone (every scope); to hold every scope of a rule, name the rule`
	}
	switch sc := rules.ScopeOf(p); sc {
	case p:
		return ""
	case "":
		return `no scope rule makes it a scope: its keys are in the root scope ("/")`
	default:
		return fmt.Sprintf("not a scope: its keys are in scope %q", sc)
	}
}

// coversAll reports whether the entries add up to every scope: the root,
// and every rule whole (or, for a rule without placeholders, its one scope).
func (s *Subscription) coversAll() bool {
	if !s.root {
		return false
	}
	for i, segs := range s.rules.rulesOrNil() {
		if s.whole != nil && s.whole[i] {
			continue
		}
		if slices.Contains(segs, "") {
			return false
		}
		if _, ok := s.scopes[s.rules.patterns[i]]; !ok {
			return false
		}
	}
	return true
}

func (r *Rules) rulesOrNil() [][]string {
	if r == nil {
		return nil
	}
	return r.rules
}

func subErr(i int, p, why string) error {
	return fmt.Errorf("%w: entry %d %s: %s", ErrBadSubscription, i+1, quote(p), why)
}

// Holds reports whether the subscription holds scope, a value of
// Rules.ScopeOf under the subscription's rules ("" is the root). A string
// that is not a scope under those rules is held only by a subscription to
// everything. It does not allocate.
func (s *Subscription) Holds(scope string) bool {
	if s == nil || s.all {
		return true
	}
	if scope == "" {
		return s.root
	}
	if _, ok := s.scopes[scope]; ok {
		return true
	}
	if s.whole == nil {
		return false
	}
	sc, i := s.rules.match(scope)
	return i >= 0 && sc == scope && s.whole[i]
}

// HoldsKey reports whether the subscription holds key's scope: Holds of
// Rules.ScopeOf(key), in one match. It does not allocate.
func (s *Subscription) HoldsKey(key string) bool {
	if s == nil || s.all {
		return true
	}
	sc, i := s.rules.match(key)
	if i < 0 {
		return s.root
	}
	if s.whole != nil && s.whole[i] {
		return true
	}
	_, ok := s.scopes[sc]
	return ok
}

// All reports whether the subscription holds every scope: it has "*", is
// empty, or its entries add up to everything (the root and every rule).
func (s *Subscription) All() bool {
	return s == nil || s.all
}

// Rules returns the rules the subscription was parsed against.
func (s *Subscription) Rules() *Rules {
	if s == nil {
		return nil
	}
	return s.rules
}

// Patterns returns a copy of the entries, as given (nil if none).
func (s *Subscription) Patterns() []string {
	if s == nil || len(s.patterns) == 0 {
		return nil
	}
	return slices.Clone(s.patterns)
}

// String returns the entries separated by ", ", or "*" for an empty list.
func (s *Subscription) String() string {
	if s == nil || len(s.patterns) == 0 {
		return AllToken
	}
	return strings.Join(s.patterns, ", ")
}
