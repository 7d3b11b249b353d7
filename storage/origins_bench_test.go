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
