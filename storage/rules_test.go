package storage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

func rulesOf(b byte, patterns ...string) *ScopeRules {
	r := &ScopeRules{Patterns: patterns}
	for i := range r.Hash {
		r.Hash[i] = b
	}
	return r
}

func openRules(fs vfs.FS, r *ScopeRules) (*Store, error) {
	o := testOptions(fs)
	o.ScopeRules = r
	return Open(testDir, o)
}

// TestScopeRulesRecorded: the first Open with rules records them; a
// reopen with the same rules works, one with other rules is refused
// naming both (and leaves the directory as it was), and one without
// rules (nil: a restore or a tool) neither checks nor records.
func TestScopeRulesRecorded(t *testing.T) {
	s, fs := openMem(t) // a directory written before the record existed
	localWrite(t, s, "users/alice/cart", crdt.RowKey{Kind: crdt.KindRegister}, "v")
	mustClose(t, s)

	first := rulesOf(0xaa, "users/{user}/")
	s, err := openRules(fs, first)
	if err != nil {
		t.Fatalf("first open with rules: %v", err)
	}
	last := s.LastCounter()
	mustClose(t, s)

	s, err = openRules(fs, rulesOf(0xaa, "users/{user}/"))
	if err != nil {
		t.Fatalf("reopen with the same rules: %v", err)
	}
	mustClose(t, s)

	_, err = openRules(fs, rulesOf(0xbb, "sites/{site}/"))
	var changed *ScopeRulesChangedError
	if !errors.Is(err, ErrScopeRulesChanged) || !errors.As(err, &changed) {
		t.Fatalf("reopen with other rules: %v, want ErrScopeRulesChanged", err)
	}
	for _, want := range []string{strings.Repeat("aa", 32), strings.Repeat("bb", 32), "users/{user}/", "sites/{site}/"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if changed.Stored.Hash != first.Hash || !slices.Equal(changed.Stored.Patterns, first.Patterns) {
		t.Errorf("stored = %+v, want %+v", changed.Stored, *first)
	}

	s = reopen(t, fs) // no rules given: no check
	if got := s.LastCounter(); got != last {
		t.Errorf("counter %d after the refused open, want %d", got, last)
	}
	mustClose(t, s)
	if _, err := openRules(fs, rulesOf(0xbb)); !errors.Is(err, ErrScopeRulesChanged) {
		t.Fatalf("the record was lost: %v", err)
	}
}

// TestScopeRulesNew: a new directory takes the rules it is first opened
// with, no rules included.
func TestScopeRulesNew(t *testing.T) {
	for _, first := range []*ScopeRules{rulesOf(1), rulesOf(2, "catalog/")} {
		t.Run(fmt.Sprint(first.Patterns), func(t *testing.T) {
			fs := vfs.NewMem()
			s, err := openRules(fs, first)
			if err != nil {
				t.Fatal(err)
			}
			mustClose(t, s)
			if _, err := openRules(fs, rulesOf(3, "other/")); !errors.Is(err, ErrScopeRulesChanged) {
				t.Fatalf("open with other rules: %v", err)
			}
		})
	}
}

func TestScopeRulesCorrupt(t *testing.T) {
	fs := vfs.NewMem()
	db := rawDB(t, fs)
	if err := db.Set(rulesKey, []byte{0x82, 0x41, 0x01, 0x80}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := openRules(fs, rulesOf(1)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open: %v, want ErrCorrupt", err)
	}
}
