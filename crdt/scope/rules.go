package scope

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Limits on scope rules. They bound what Parse accepts, not what a key may
// be: a key of any length is mapped.
const (
	// MaxPatternLen is the longest pattern, in bytes, trailing "/" included.
	MaxPatternLen = 256
	// MaxRules is the most patterns one list may hold.
	MaxRules = 1024
)

// maxSegments is the most segments a pattern can have: each takes at least
// two bytes (one character and its "/").
const maxSegments = MaxPatternLen / 2

// ErrBadRules marks a pattern list that Parse refuses. The message names
// the pattern (its 1-based position and its text) and the reason.
var ErrBadRules = errors.New("scope: bad rules")

// hashHeader starts the encoding that Hash digests. Changing it, or the
// encoding after it, changes every cluster's hash: nodes of two versions
// would refuse to sync. Keep it, and TestHashGolden, as they are.
const hashHeader = "shoal scope rules v1\n"

// noRulesHash is the hash of no rules: SHA-256 of hashHeader alone.
var noRulesHash = sha256.Sum256([]byte(hashHeader))

// Rules is a parsed, immutable list of scope rules, safe for concurrent
// use. A nil *Rules is the empty list: every key is in the root scope.
type Rules struct {
	patterns []string
	rules    [][]string // per rule, its segments: the literal, or "" for a placeholder
	// byFirst holds, for each literal first segment, the rules that can
	// match a key starting with it, in rule order: those with that literal
	// first and those with a placeholder first. wildFirst holds the latter
	// alone, for keys whose first segment no rule names.
	byFirst   map[string][]int32
	wildFirst []int32
	hash      [32]byte
}

// Parse checks patterns and returns them as Rules, in the order given:
// ScopeOf tries them in that order. An empty (or nil) list is valid and
// means no rules; its Rules behave and hash like a nil *Rules.
//
// A pattern is one or more segments, each followed by "/" (so it ends with
// "/", as every scope does). A segment is either
//
//   - a literal: one or more ASCII letters, digits or bytes of "-_.~:@+="
//     (patterns are ASCII so that the rules' hash cannot depend on Unicode
//     normalization, and free of "*", "{" and "}" so that subscriptions can
//     tell a rule from a scope), matched byte for byte; or
//   - a placeholder {name}, the whole segment, name an ASCII letter or _
//     then letters, digits or _, distinct within the pattern; it matches
//     any non-empty key segment: any bytes but "/", any UTF-8, "{" too.
//
// So "users/{user}/" and "sites/{site}/pages/" are patterns, while "users",
// "/users/", "users//", "user-{id}/", "{a}/{a}/" and "ünï/" are not.
// Names do not change what a pattern matches but are part of its text,
// and so of the hash.
//
// Parse refuses, with an error wrapping ErrBadRules and naming the
// pattern: more than MaxRules patterns (naming the first one over), a
// pattern that is empty, longer than MaxPatternLen bytes or not of the
// syntax above, a pattern given twice, and a pattern that can never match
// because an earlier one matches every key it matches (first-match order
// would leave it dead: "users/{user}/" then "users/admin/", or
// "users/{user}/" then "users/{id}/", or "catalog/" then
// "catalog/{item}/"). An earlier pattern that catches only some of a later
// one's keys is fine and is how exceptions are written: "users/admin/"
// then "users/{user}/".
func Parse(patterns []string) (*Rules, error) {
	if len(patterns) > MaxRules {
		return nil, ruleErr(MaxRules, patterns[MaxRules], fmt.Sprintf("more than %d rules", MaxRules))
	}
	r := &Rules{
		patterns: slices.Clone(patterns),
		rules:    make([][]string, 0, len(patterns)),
		byFirst:  map[string][]int32{},
	}
	for i, p := range patterns {
		segs, why := parsePattern(p)
		if why != "" {
			return nil, ruleErr(i, p, why)
		}
		if j := slices.Index(patterns[:i], p); j >= 0 {
			return nil, ruleErr(i, p, fmt.Sprintf("duplicate of rule %d", j+1))
		}
		for j, earlier := range r.rules {
			if shadows(earlier, segs) {
				return nil, ruleErr(i, p, fmt.Sprintf("can never match: rule %d %q matches every key it matches, and first", j+1, patterns[j]))
			}
		}
		r.rules = append(r.rules, segs)
	}
	for i, segs := range r.rules {
		if segs[0] == "" {
			r.wildFirst = append(r.wildFirst, int32(i))
			for lit := range r.byFirst {
				r.byFirst[lit] = append(r.byFirst[lit], int32(i))
			}
		} else if _, ok := r.byFirst[segs[0]]; !ok {
			// A literal seen for the first time: the rules with a
			// placeholder first that come before it apply to it too.
			r.byFirst[segs[0]] = append(slices.Clone(r.wildFirst), int32(i))
		} else {
			r.byFirst[segs[0]] = append(r.byFirst[segs[0]], int32(i))
		}
	}
	r.hash = hashPatterns(r.patterns)
	return r, nil
}

// parsePattern splits a pattern into segments ("" for a placeholder), or
// says why it is not one.
func parsePattern(p string) (segs []string, why string) {
	switch {
	case p == "":
		return nil, "empty pattern"
	case len(p) > MaxPatternLen:
		return nil, fmt.Sprintf("%d bytes, at most %d", len(p), MaxPatternLen)
	case p[len(p)-1] != '/':
		return nil, `must end with "/" (a scope is a key prefix ending in "/")`
	}
	var names []string
	off := 0
	for seg := range strings.SplitSeq(p[:len(p)-1], "/") {
		if seg == "" {
			return nil, fmt.Sprintf("empty segment at byte %d (a leading \"/\" or a \"//\")", off)
		}
		if seg[0] == '{' && seg[len(seg)-1] == '}' {
			name := seg[1 : len(seg)-1]
			if why := checkName(name); why != "" {
				return nil, fmt.Sprintf("placeholder %q at byte %d: %s", seg, off, why)
			}
			if slices.Contains(names, name) {
				return nil, fmt.Sprintf("placeholder %q twice", seg)
			}
			names = append(names, name)
			segs = append(segs, "")
		} else {
			for k := 0; k < len(seg); k++ {
				if c := seg[k]; !literalByte(c) {
					return nil, badByte(c, off+k)
				}
			}
			segs = append(segs, seg)
		}
		off += len(seg) + 1
	}
	return segs, ""
}

func checkName(name string) string {
	if name == "" {
		return "empty name"
	}
	for k := 0; k < len(name); k++ {
		c := name[k]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (k == 0 || c < '0' || c > '9') {
			return "a name is an ASCII letter or _, then letters, digits or _"
		}
	}
	return ""
}

func literalByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.~:@+=", c) >= 0
}

func badByte(c byte, off int) string {
	switch {
	case c == '{' || c == '}':
		return fmt.Sprintf("%q at byte %d: a placeholder {name} must be a whole segment", c, off)
	case c >= 0x80:
		return fmt.Sprintf("non-ASCII byte 0x%02x at byte %d: patterns are ASCII", c, off)
	}
	return fmt.Sprintf(`%q at byte %d: a literal is ASCII letters, digits and bytes of "-_.~:@+="`, c, off)
}

// shadows reports whether every key that later matches is matched by
// earlier too. That holds exactly when earlier has no more segments and
// each of its segments is a placeholder or later's same literal: a key
// made of later's literals and of fresh values for its placeholders,
// ending there, escapes any other earlier pattern. So no set of patterns
// can shadow one that none of them shadows alone, and checking pairs is
// complete.
func shadows(earlier, later []string) bool {
	if len(earlier) > len(later) {
		return false
	}
	for k, s := range earlier {
		if s != "" && s != later[k] {
			return false
		}
	}
	return true
}

func ruleErr(i int, p, why string) error {
	return fmt.Errorf("%w: rule %d %s: %s", ErrBadRules, i+1, quote(p), why)
}

// quote quotes p for an error, cut short if long: a refused pattern may be
// any size.
func quote(p string) string {
	const max = 64
	if len(p) > max {
		return fmt.Sprintf("%q...", p[:max])
	}
	return fmt.Sprintf("%q", p)
}

// hashPatterns digests hashHeader, then each pattern followed by "\n"
// (which no pattern contains, so the encoding is unambiguous).
func hashPatterns(patterns []string) [32]byte {
	h := sha256.New()
	h.Write([]byte(hashHeader))
	for _, p := range patterns {
		h.Write([]byte(p))
		h.Write([]byte{'\n'})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ScopeOf returns the scope of key: the prefix of key that the first
// matching pattern instantiates ("users/alice/" for "users/alice/cart"
// under "users/{user}/"), or "" (the root scope) if no pattern matches.
// A pattern of n segments matches a key whose first n "/"-terminated
// segments match its segments, so "users/alice" and "users//x" are not in
// "users/{user}/", while "users/alice/" is (a key may equal its scope).
// Keys are taken as bytes: invalid UTF-8 is no error.
//
// The result is a substring of key, and ScopeOf does not allocate. It
// reads the key's segments once, up to the longest candidate pattern, and
// compares each candidate (the rules whose first segment is the key's, or
// a placeholder) segment by segment: O(len(key) + the candidates' total
// pattern length), at worst O(len(key) + MaxRules * MaxPatternLen).
func (r *Rules) ScopeOf(key string) string {
	s, _ := r.match(key)
	return s
}

// match returns the scope of key and the index of the rule that made it,
// or ("", -1).
func (r *Rules) match(key string) (string, int) {
	if r == nil || len(r.rules) == 0 {
		return "", -1
	}
	first := strings.IndexByte(key, '/')
	if first <= 0 {
		return "", -1 // no first segment: every pattern needs one
	}
	cands, ok := r.byFirst[key[:first]]
	if !ok {
		cands = r.wildFirst
	}
	// ends[k] is the offset of the "/" that ends the key's segment k, for
	// k < known; exhausted says the key has no more.
	var ends [maxSegments]int
	ends[0] = first
	known, exhausted := 1, false
	for _, ri := range cands {
		segs := r.rules[ri]
		// Segment 0 matches: the candidates were chosen by it, and it is
		// not empty.
		k := 1
		for ; k < len(segs); k++ {
			if k == known {
				if exhausted {
					break
				}
				j := strings.IndexByte(key[ends[k-1]+1:], '/')
				if j < 0 {
					exhausted = true
					break
				}
				ends[k] = ends[k-1] + 1 + j
				known++
			}
			seg := key[ends[k-1]+1 : ends[k]]
			if segs[k] == "" {
				if seg == "" {
					break
				}
			} else if seg != segs[k] {
				break
			}
		}
		if k == len(segs) {
			return key[:ends[k-1]+1], int(ri)
		}
	}
	return "", -1
}

// Hash returns SHA-256 of the rules' canonical encoding: the header
// "shoal scope rules v1\n", then each pattern, as written and in order,
// followed by "\n". Order and placeholder names count: the rules are one
// text that the whole cluster shares, and nodes are to compare this hash
// before they sync. No rules (nil, or an empty list) hash to SHA-256 of the
// header alone,
// 39202f1a865946fbf6f5ac44a46f05fa77a15641e304f30285106e755f0af9aa.
func (r *Rules) Hash() [32]byte {
	if r == nil {
		return noRulesHash
	}
	return r.hash
}

// Patterns returns a copy of the patterns, in order (nil for no rules).
func (r *Rules) Patterns() []string {
	if r == nil || len(r.patterns) == 0 {
		return nil
	}
	return slices.Clone(r.patterns)
}

// String returns the patterns separated by ", " (none contains one), or
// "(none)" for no rules: for logs and errors.
func (r *Rules) String() string {
	if r == nil || len(r.patterns) == 0 {
		return "(none)"
	}
	return strings.Join(r.patterns, ", ")
}
