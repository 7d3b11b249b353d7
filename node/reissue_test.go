package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
)

// TestCopyReissuesItsWrites (hardening item 3): a device restored from an
// old backup wrote while offline under dots that the original had already
// used after the backup. When the hub showed it
// those dots it took a fresh id, but its offline writes never reached the
// hub (the hub's vector covered their dots), and the original's later
// writes never reached it. Now it re-issues its window's writes under the
// fresh id and stops claiming the old id's window: both sides' writes
// reach both, and what the copy overwrote or removed stays so.
func TestCopyReissuesItsWrites(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2) // n0 is the hub, n1 the device
	defer c.close()
	dev := func() *DB { return c.dbs[1] }
	must(t, dev().Put(ctx, "shared/over", []byte("old")))
	must(t, dev().Put(ctx, "shared/del", []byte("x")))
	must(t, dev().Put(ctx, "both", []byte("shared")))
	must(t, dev().Increment(ctx, "ctr", 10))
	must(t, dev().SetAdd(ctx, "set", "a"))
	must(t, dev().MapSet(ctx, "map", "f", []byte("old")))
	c.waitConverged(10 * time.Second)
	backup := c.copyOf(1)

	// The original writes more after the backup than the copy will, then
	// is retired.
	for i := range 10 {
		must(t, dev().Put(ctx, fmt.Sprintf("orig/%d", i), []byte("v")))
	}
	must(t, dev().Increment(ctx, "ctr", 100))
	must(t, dev().Put(ctx, "both", []byte("orig")))
	c.waitConverged(10 * time.Second)
	old := dev().store.ReplicaID()
	must(t, dev().Close())

	// The copy is restored by hand and writes while offline.
	c.fss[1], c.dbs[1] = backup, nil
	c.net.partition("n0", "n1", true)
	c.open(1)
	must(t, dev().Put(ctx, "copy/0", []byte("v")))
	must(t, dev().Increment(ctx, "ctr", 1000))
	must(t, dev().Delete(ctx, "shared/del"))
	must(t, dev().Put(ctx, "shared/over", []byte("new")))
	must(t, dev().SetAdd(ctx, "set", "b"))
	must(t, dev().MapSet(ctx, "map", "f", []byte("new")))
	must(t, dev().Put(ctx, "both", []byte("copy")))
	if dev().store.ReplicaID() != old {
		t.Fatal("the copy changed its id before any peer told it")
	}

	c.net.partition("n0", "n1", false)
	waitFreshID(t, dev(), old)
	got := c.waitConverged(20 * time.Second)
	for _, want := range []string{
		"copy/0:register=v", "orig/9:register=v", "ctr:counter=1110", "set:set=[a b]",
		"shared/over:register=new\n", "map:map=[f=new]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("converged without %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "shared/del") {
		t.Errorf("the copy's delete was undone:\n%s", got)
	}
	// Both copies wrote "both" after the backup: concurrent writes, both kept.
	item, err := c.dbs[0].Get(ctx, "both")
	must(t, err)
	values := []string{string(item.Value)}
	for _, s := range item.Siblings {
		values = append(values, string(s.Value))
	}
	slices.Sort(values)
	if !slices.Equal(values, []string{"copy", "orig"}) {
		t.Errorf("both = %q, want the two concurrent values", values)
	}
}

// waitFreshID waits until db has taken a replica id other than old.
func waitFreshID(t *testing.T, db *DB, old crdt.ReplicaID) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.store.ReplicaID() == old {
		if time.Now().After(deadline) {
			t.Fatal("the node never took a fresh replica id")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
