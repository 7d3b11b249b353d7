package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestPowerLoss simulates losing power, not just the process: Pebble's
// crashable in-memory file system keeps only what was synced (plus a random
// share of what was not). Every acknowledged write must survive each crash
// clone, which fails if a write is ever acknowledged before its fsync.
func TestPowerLoss(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewCrashableMem()
	db, _ := openMem(t, &Options{FS: fs})
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }() // before the cleanup closes db
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d/%d", w, i)
				if err := db.SetAdd(ctx, "set", k); err != nil {
					t.Error(err)
					return
				}
				if err := db.Put(ctx, k, []byte(k)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, k)
				mu.Unlock()
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for crash := range 8 {
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		mu.Lock()
		want := slices.Clone(acked) // acknowledged before the crash: synced
		mu.Unlock()
		clone := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50 * (crash % 2), RNG: rng})
		checkClone(t, clone, want)
	}
}

// checkClone opens a crash clone and finds every key in want.
func checkClone(t *testing.T, fs vfs.FS, want []string) {
	t.Helper()
	ctx := context.Background()
	db, err := Open("db", &Options{FS: fs, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("open crash clone: %v", err)
	}
	defer db.Close()
	members, err := db.Members(ctx, "set")
	must(t, err)
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	for _, k := range want {
		if _, err := db.Get(ctx, k); err != nil || !in[k] {
			t.Fatalf("acknowledged write %s lost in a power loss (get: %v, in set: %v)", k, err, in[k])
		}
	}
}
