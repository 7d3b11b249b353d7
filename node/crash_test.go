package node

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
)

// The crash test: a child process writes with acknowledgements and the
// parent kills it with SIGKILL at random moments, then reopens the store and
// checks that every acknowledged write is there, that the dot counter is
// ahead of every dot in use, and that the dot index matches the rows.
//
// SHOAL_CRASH_KILLS sets the number of kills (default 20), SHOAL_CRASH_SEED
// the seed of the kill delays (printed on failure).

const crashChildEnv = "SHOAL_CRASH_CHILD_DIR"

// TestCrashChild is the writer process; it does nothing unless started by
// TestCrashRecovery.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashRecovery")
	}
	round := os.Getenv("SHOAL_CRASH_ROUND")
	db, err := Open(dir, &Options{Logger: discardLogger()})
	if err != nil {
		fmt.Println("open-failed", err)
		os.Exit(3)
	}
	var out sync.Mutex
	ack := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	ack("ready")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() { crashWriter(db, round, g, ack) })
	}
	wg.Wait() // never: the parent kills us
}

// crashWriter cycles through every kind of write, printing each once it is
// acknowledged.
func crashWriter(db *DB, round string, g int, ack func(string, ...any)) {
	ctx := context.Background()
	for n := 0; ; n++ {
		var err error
		var line string
		switch n % 5 {
		case 0:
			k := fmt.Sprintf("p/%s/%d/%d", round, g, n)
			err, line = db.Put(ctx, k, []byte(k)), "put "+k
		case 1:
			k := fmt.Sprintf("c/%s/%d", round, g)
			err, line = db.Increment(ctx, k, 1), "inc "+k
		case 2:
			k := fmt.Sprintf("s/%s/%d", round, g)
			err, line = db.SetAdd(ctx, k, strconv.Itoa(n)), "sadd "+k+" "+strconv.Itoa(n)
		case 3:
			k := fmt.Sprintf("m/%s/%d", round, g)
			err, line = db.MapSet(ctx, k, strconv.Itoa(n), []byte("v")), "mset "+k+" "+strconv.Itoa(n)
		case 4:
			k := fmt.Sprintf("p/%s/%d/%d", round, g, n-4)
			ack("try del %s", k) // the delete may commit unacknowledged
			err, line = db.Delete(ctx, k), "del "+k
		}
		if err != nil {
			ack("error %v", err)
			return
		}
		ack("%s", line)
	}
}

// acked is what the parent knows to be acknowledged.
type acked struct {
	puts     map[string]bool // key -> present (false: deleted)
	counters map[string]int64
	sets     map[string][]string
	fields   map[string][]string
}

func (a *acked) record(t *testing.T, line string) {
	f := strings.Fields(line)
	switch f[0] {
	case "put":
		a.puts[f[1]] = true
	case "del":
		a.puts[f[1]] = false
	case "try":
		delete(a.puts, f[2]) // unknown until acknowledged
	case "inc":
		a.counters[f[1]]++
	case "sadd":
		a.sets[f[1]] = append(a.sets[f[1]], f[2])
	case "mset":
		a.fields[f[1]] = append(a.fields[f[1]], f[2])
	case "ready":
	default:
		t.Errorf("child: %s", line)
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	kills := envInt("SHOAL_CRASH_KILLS", 20)
	seed := uint64(envInt("SHOAL_CRASH_SEED", int(time.Now().UnixNano()%1e9)))
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	a := &acked{puts: map[string]bool{}, counters: map[string]int64{}, sets: map[string][]string{}, fields: map[string][]string{}}
	for round := range kills {
		delay := time.Duration(5+rng.IntN(200)) * time.Millisecond
		lines := runAndKill(t, dir, round, delay)
		for _, l := range lines {
			a.record(t, l)
		}
		if !checkAcked(t, dir, a) || !checkDots(t, dir) {
			t.Fatalf("round %d (seed %d, SHOAL_CRASH_SEED=%d reproduces the delays)", round, seed, seed)
		}
	}
	t.Logf("%d kills, %d puts, %d counters acknowledged and found", kills, len(a.puts), len(a.counters))
}

// runAndKill starts the child, kills it delay after it is ready, and
// returns the lines it printed.
func runAndKill(t *testing.T, dir string, round int, delay time.Duration) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "SHOAL_CRASH_ROUND="+strconv.Itoa(round))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	ready := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		r := bufio.NewReader(stdout)
		for {
			// Only whole lines count: the last one may be cut by the kill.
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			if line == "ready" {
				close(ready)
			}
			lines = append(lines, line)
		}
	}()
	select {
	case <-ready:
		time.Sleep(delay)
	case <-time.After(30 * time.Second):
		t.Error("child never became ready")
	}
	cmd.Process.Kill() // SIGKILL: no deferred code, no flush
	<-readDone
	cmd.Wait()
	return lines
}

// checkAcked reopens the store and finds every acknowledged write.
func checkAcked(t *testing.T, dir string, a *acked) bool {
	ctx := context.Background()
	db, err := Open(dir, &Options{Logger: discardLogger()})
	if err != nil {
		t.Errorf("reopen: %v", err)
		return false
	}
	defer db.Close()
	ok := true
	for k, present := range a.puts {
		_, err := db.Get(ctx, k)
		if present && err != nil || !present && err == nil {
			t.Errorf("acknowledged %s (present=%v) lost: %v", k, present, err)
			ok = false
		}
	}
	for k, n := range a.counters {
		// One increment may have committed without its acknowledgement.
		if got, err := db.Counter(ctx, k); err != nil || got < n || got > n+1 {
			t.Errorf("counter %s = %d (%v), acknowledged %d", k, got, err, n)
			ok = false
		}
	}
	ok = checkNames(t, a.sets, func(k string) ([]string, error) { return db.Members(ctx, k) }) && ok
	return checkNames(t, a.fields, func(k string) ([]string, error) {
		m, err := db.Map(ctx, k)
		var names []string
		for f := range m {
			names = append(names, f)
		}
		return names, err
	}) && ok
}

func checkNames(t *testing.T, want map[string][]string, read func(string) ([]string, error)) bool {
	for k, names := range want {
		got, err := read(k)
		have := map[string]bool{}
		for _, n := range got {
			have[n] = true
		}
		for _, n := range names {
			if err != nil || !have[n] {
				t.Errorf("%s: acknowledged %s lost (%v)", k, n, err)
				return false
			}
		}
	}
	return true
}

// checkDots opens the storage directly: the durable counter must be ahead
// of every own dot in any row, and the dot index must match the rows.
func checkDots(t *testing.T, dir string) bool {
	st, err := storage.Open(dir, &storage.Options{Logger: discardLogger()})
	if err != nil {
		t.Errorf("open storage: %v", err)
		return false
	}
	defer st.Close()
	self, last := st.ReplicaID(), st.LastCounter()
	for ko, err := range st.Scan(storage.ScanOptions{}) {
		if err != nil {
			t.Error(err)
			return false
		}
		for rk, row := range ko.Object {
			if c := row.Context.Max(self); c > last {
				t.Errorf("row %q/%v holds dot %d, beyond the durable counter %d", ko.Key, rk, c, last)
				return false
			}
		}
	}
	if !st.VersionVector().Contains(crdt.Dot{Origin: self, Counter: last}) || st.VersionVector().HasGaps() {
		t.Errorf("version vector %s does not hold 1..%d without gaps", st.VersionVector(), last)
		return false
	}
	if err := st.CheckConsistency(); err != nil {
		t.Errorf("dot index: %v", err)
		return false
	}
	return true
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
