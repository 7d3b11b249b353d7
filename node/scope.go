package node

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shoal-db/shoal/crdt/scope"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/wire"
)

// Scope rules (docs/SCOPES.md) belong to the cluster: every node maps a key
// to its scope with the same rules. This step checks that they agree; a
// key's scope is not used for anything else yet.
var (
	// ErrBadScopeRules: Options.ScopeRules is not a valid list of scope
	// rules (crdt/scope.Parse); the error names the pattern and why. Open
	// fails.
	ErrBadScopeRules = errors.New("shoal: bad scope rules")
	// ErrScopeRulesChanged: the data directory was written with other
	// scope rules than Options.ScopeRules; the error names both hashes.
	// Open fails: moving keys between scopes under live data is a
	// migration Shoal does not do.
	ErrScopeRulesChanged = errors.New("shoal: the scope rules differ from those the data directory was written with")
	// ErrScopeRulesMismatch: a peer's Hello shows other scope rules than
	// this node's; the error names both hashes. The session is refused
	// and the peer redialed with the usual backoff.
	ErrScopeRulesMismatch = errors.New("shoal: a peer has other scope rules")
)

// parseScopeRules parses Options.ScopeRules.
func parseScopeRules(patterns []string) (*scope.Rules, error) {
	rules, err := scope.Parse(patterns)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadScopeRules, err)
	}
	return rules, nil
}

// storageRules is what the data directory is to record of rules.
func storageRules(rules *scope.Rules) *storage.ScopeRules {
	return &storage.ScopeRules{Hash: rules.Hash(), Patterns: rules.Patterns()}
}

// scopeRulesChanged turns storage's refusal into the node's error.
func scopeRulesChanged(dir string, err error) error {
	var e *storage.ScopeRulesChangedError
	if !errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%w: %s was written with scope rules %s and is opened with %s; "+
		"changing the rules of a data directory is a migration Shoal does not do: "+
		"open it with the rules it was written with, or start the node on a new, empty directory",
		ErrScopeRulesChanged, dir, e.Stored, e.Opened)
}

// helloRulesHash is what our Hello carries: nil without rules, so that a
// node without rules sends the Hello it sent before scopes.
func helloRulesHash(rules *scope.Rules) []byte {
	if len(rules.Patterns()) == 0 {
		return nil
	}
	h := rules.Hash()
	return h[:]
}

// peerRulesHash is the hash a peer's Hello shows: its RulesHash, or the
// hash of no rules if it has none.
func peerRulesHash(h *wire.Hello) [32]byte {
	if h.RulesHash == nil {
		return (*scope.Rules)(nil).Hash()
	}
	var out [32]byte
	copy(out[:], h.RulesHash)
	return out
}

// rulesHashString renders a rules hash for Status.
func rulesHashString(h [32]byte) string { return hex.EncodeToString(h[:]) }
