package crdt

import (
	"bytes"
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

// encRow encodes r, failing the test on error: every state built by these
// tests must encode.
func encRow(t fataler, r Row) []byte {
	t.Helper()
	b, err := EncodeRow(r)
	if err != nil {
		t.Fatalf("EncodeRow(%v): %v", r, err)
	}
	return b
}

// encObject encodes o, failing the test on error.
func encObject(t fataler, o Object) []byte {
	t.Helper()
	b, err := EncodeObject(o)
	if err != nil {
		t.Fatalf("EncodeObject: %v", err)
	}
	return b
}

// sameRow fails unless a and b encode to the same bytes: the definition of
// equal states that replicas and hashes rely on.
func sameRow(t fataler, what string, got, want Row) {
	t.Helper()
	if g, w := encRow(t, got), encRow(t, want); !bytes.Equal(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// sameObject fails unless a and b encode to the same bytes.
func sameObject(t fataler, what string, got, want Object) {
	t.Helper()
	if g, w := encObject(t, got), encObject(t, want); !bytes.Equal(g, w) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}
