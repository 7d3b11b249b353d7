package storage

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// A data directory remembers the scope rules it was written with, under
// m/rules: their hash and their patterns. A key's scope follows from the
// rules, and so will its dots and vectors (docs/SCOPES.md); opening the
// directory with other rules would move keys between scopes under live
// data, a migration Shoal does not do. So Open refuses it. A directory
// without the record (new, or written before it existed) takes the rules
// it is opened with.
var rulesKey = []byte("m/rules")

// ScopeRules is what a directory records of the scope rules it is written
// with. The store does not parse rules: Hash is the caller's (crdt/scope's
// Rules.Hash), Patterns are kept for messages.
type ScopeRules struct {
	Hash     [32]byte
	Patterns []string
}

// String renders the rules for an error: the hash in hex, then the
// patterns or "no rules".
func (r ScopeRules) String() string {
	if len(r.Patterns) == 0 {
		return fmt.Sprintf("%x (no rules)", r.Hash)
	}
	return fmt.Sprintf("%x (%s)", r.Hash, strings.Join(r.Patterns, ", "))
}

// ErrScopeRulesChanged marks Open's refusal of a directory written with
// other scope rules than Options.ScopeRules; the error is a
// *ScopeRulesChangedError.
var ErrScopeRulesChanged = errors.New("storage: the data directory was written with other scope rules")

// ScopeRulesChangedError is Open's error for a directory whose recorded
// scope rules differ from those it is opened with.
type ScopeRulesChangedError struct {
	Stored, Opened ScopeRules
}

func (e *ScopeRulesChangedError) Error() string {
	return fmt.Sprintf("%v: written with %s, opened with %s", ErrScopeRulesChanged, e.Stored, e.Opened)
}

func (e *ScopeRulesChangedError) Unwrap() error { return ErrScopeRulesChanged }

// rulesRecord is the encoding of m/rules: the hash as a byte string.
type rulesRecord struct {
	_        struct{} `cbor:",toarray"`
	Hash     []byte
	Patterns []string
}

// checkScopeRules compares want with the directory's record, writing want
// (synced) if there is none. A nil want checks and writes nothing.
func (s *Store) checkScopeRules(want *ScopeRules) error {
	if want == nil {
		return nil
	}
	stored, found, err := loadScopeRules(s.db)
	if err != nil {
		return err
	}
	if found {
		if stored.Hash != want.Hash {
			return &ScopeRulesChangedError{Stored: stored, Opened: cloneRules(*want)}
		}
		return nil
	}
	b, err := crdt.Marshal(&rulesRecord{Hash: want.Hash[:], Patterns: want.Patterns})
	if err != nil {
		return err
	}
	return s.db.Set(rulesKey, b, pebble.Sync)
}

func loadScopeRules(r pebble.Reader) (ScopeRules, bool, error) {
	v, err := getBytes(r, rulesKey)
	if err != nil || v == nil {
		return ScopeRules{}, false, err
	}
	var rec rulesRecord
	if err := crdt.UnmarshalStored(v, &rec); err != nil {
		return ScopeRules{}, false, corrupt(rulesKey, err)
	}
	if len(rec.Hash) != 32 {
		return ScopeRules{}, false, corrupt(rulesKey, fmt.Errorf("hash of %d bytes, want 32", len(rec.Hash)))
	}
	out := ScopeRules{Patterns: rec.Patterns}
	copy(out.Hash[:], rec.Hash)
	return out, true, nil
}

func cloneRules(r ScopeRules) ScopeRules {
	r.Patterns = slices.Clone(r.Patterns)
	return r
}
