package storage

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentReads runs readers against one committing writer (run it
// with -race). Commit i writes key i with own dot i, so a consistent
// snapshot whose vector has own base n holds exactly keys 1..n: Missing
// must report exactly those, whatever the interleaving.
func TestConcurrentReads(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	const commits = 100
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done.Store(true)
		for i := 1; i <= commits; i++ {
			localWrite(t, s, fmt.Sprintf("k%03d", i), reg, "v")
		}
	})
	for range 2 {
		wg.Go(func() {
			for !done.Load() {
				checkSnapshotConsistent(t, s)
				for _, err := range s.Scan(ScanOptions{Prefix: "k0", Limit: 5}) {
					if err != nil {
						t.Error(err)
					}
				}
				if vv, last := s.VersionVector(), s.LastCounter(); vv.Max(s.ReplicaID()) > commits || last > commits {
					t.Errorf("VV %s, LastCounter %d", vv, last)
				}
			}
		})
	}
	wg.Wait()
	checkSnapshotConsistent(t, s)
}

func checkSnapshotConsistent(t *testing.T, s *Store) {
	var keys []string
	vv, err := s.Missing(nil, func(c Change) error {
		keys = append(keys, c.Key)
		return nil
	})
	if err != nil {
		t.Error(err)
		return
	}
	// The vector may lag the snapshot (a commit visible in Pebble whose
	// sync has not yet returned), never lead it: it claims no row the
	// snapshot lacks.
	n := vv.Base(s.ReplicaID())
	if uint64(len(keys)) < n || vv.HasGaps() {
		t.Errorf("snapshot VV %s with %d rows", vv, len(keys))
		return
	}
	for i, k := range keys {
		if want := fmt.Sprintf("k%03d", i+1); k != want {
			t.Errorf("row %d is %q, want %q", i, k, want)
		}
	}
}
