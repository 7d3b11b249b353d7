package storage

import (
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

// withOrigins opens a store whose version vector holds n other origins.
func withOrigins(b *testing.B, n int) *Store {
	b.Helper()
	s, _ := openMem(b)
	vv := &crdt.VersionVector{}
	for i := range n {
		vv.AddRange(crdt.ReplicaID(0x1000+i), 1, 3)
	}
	c := s.NewCommit()
	c.JoinVersionVector(vv, 0)
	if err := c.Apply(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkCommitWithOrigins: a one-row local commit's cost should not grow
// with the origins in the vector (issue 8: every commit copied it whole).
func BenchmarkCommitWithOrigins(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("origins=%d", n), func(b *testing.B) {
			s := withOrigins(b, n)
			defer s.Close()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				localWrite(b, s, fmt.Sprintf("k%d", i%1000), reg, "v")
			}
		})
	}
}

// withOriginRows opens a store holding one row from each of n origins.
func withOriginRows(b *testing.B, n int) *Store {
	b.Helper()
	s, _ := openMem(b)
	for i := 0; i < n; i += 1000 {
		c := s.NewCommit()
		for j := i; j < min(n, i+1000); j++ {
			o := crdt.ReplicaID(0x1000 + j)
			if _, err := c.Merge(fmt.Sprintf("phone/%d", j), reg, foreignWrite(o, 1, "v")); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Apply(); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkMissingNothing: a caught-up peer's catch-up should not seek
// once per origin of the index (issue 8: a returning phone paid for every
// phone that ever wrote).
func BenchmarkMissingNothing(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("origins=%d", n), func(b *testing.B) {
			s := withOriginRows(b, n)
			defer s.Close()
			have := s.VersionVector()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Missing(have, func(Change) error { b.Fatal("sent a row"); return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
