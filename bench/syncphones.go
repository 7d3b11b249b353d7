package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/sync/identity"
)

// PhonesResult is the phones part: one hub on disk, and Phones phones,
// each a full node.DB of its own (own certificate, so own replica id) on
// an in-memory file system, that connect in waves of Wave, write
// users/<i>/profile, increment global/visits, and leave once the hub has
// acknowledged both writes.
type PhonesResult struct {
	Phones int `json:"phones"`
	Wave   int `json:"wave"`
	Away   int `json:"away"` // K: phones that write while the returning phone is away
	// CertSeconds is the time spent making the phones' certificates (a
	// P-256 key and a signature by the run's CA each: identity.Issuer).
	CertSeconds float64 `json:"cert_seconds"`
	// WriteSeconds is the wall time of all phones' visits, certificates
	// excluded; Visit is one phone's, from its Open to the hub's ack of
	// its two writes (its Close not included).
	WriteSeconds float64   `json:"write_seconds"`
	Visit        Quantiles `json:"visit"`
	// The hub's heap in use after a GC and its resident set (after
	// returning freed memory to the OS), empty and with every phone's
	// origin.
	HeapEmpty uint64 `json:"heap_empty"`
	RSSEmpty  uint64 `json:"rss_empty"`
	// Points are the measurements at Small phones and at Phones phones.
	Points []PhonesPoint `json:"points"`
	// Verified: profiles read back on the hub, and its global/visits.
	Verified int   `json:"verified"`
	Visits   int64 `json:"visits"`
}

// PhonesPoint is the hub measured with Phones phones' origins.
type PhonesPoint struct {
	Phones   int       `json:"phones"`
	Heap     uint64    `json:"heap"`
	RSS      uint64    `json:"rss"`
	Put      Quantiles `json:"put"`
	Puts     int       `json:"puts"`
	Counter  Quantiles `json:"counter"`
	CatchUp  Reconnect `json:"catch_up"`
	NoChange Reconnect `json:"no_change"`
}

// Reconnect is a returning phone's session. Seconds runs from its Open
// until its version vector equals the hub's (for the no-change
// reconnect, which starts equal, until the last datagram of the
// exchange); Settled until the last datagram. FrameBytes is its session's
// frame bytes both ways (Status), WireBytes every datagram, as the relay
// in front of the hub counted them.
type Reconnect struct {
	Seconds    float64 `json:"seconds"`
	Settled    float64 `json:"settled_seconds"`
	FrameBytes uint64  `json:"frame_bytes"`
	WireBytes  uint64  `json:"wire_bytes"`
}

// quietAfter is how long the relay must see nothing for an exchange to be
// over: above the nodes' 250ms ack interval.
const quietAfter = 600 * time.Millisecond

// phoneRun is the hub and what the phones need to reach it.
type phoneRun struct {
	cfg    SyncConfig
	c      *cluster
	hub    *syncNode
	issuer *identity.Issuer
	next   int // phones made so far
	visits []time.Duration
	certs  time.Duration
	writes time.Duration
	seen   *hubVector
}

// hubVector is the hub's version vector, read by one poller for every
// waiting phone: one Status (which formats the whole vector) per
// pollEvery, rather than one per phone.
type hubVector struct {
	mu   sync.Mutex
	base map[string]uint64
	err  error
	stop chan struct{}
	done sync.WaitGroup
}

func watchVector(db *node.DB) *hubVector {
	v := &hubVector{base: map[string]uint64{}, stop: make(chan struct{})}
	v.done.Go(func() {
		for {
			st, err := db.Status()
			base := map[string]uint64{}
			for tok := range strings.FieldsSeq(strings.Trim(st.VersionVector, "{}")) {
				if origin, rest, ok := strings.Cut(tok, ":"); ok {
					end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
					if end < 0 {
						end = len(rest)
					}
					base[origin], _ = strconv.ParseUint(rest[:end], 10, 64)
				}
			}
			v.mu.Lock()
			v.base, v.err = base, err
			v.mu.Unlock()
			select {
			case <-v.stop:
				return
			case <-time.After(5 * pollEvery):
			}
		}
	})
	return v
}

func (v *hubVector) has(m mark) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.base[m.origin] >= m.counter
}

func (v *hubVector) close() { close(v.stop); v.done.Wait() }

func runPhones(cfg SyncConfig, progress io.Writer) (res PhonesResult, err error) {
	res = PhonesResult{Phones: cfg.Phones, Wave: cfg.PhoneWave, Away: cfg.PhonesAway}
	c, err := newCluster(cfg, "phones")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	r := &phoneRun{cfg: cfg, c: c}
	if r.hub, err = c.add("hub"); err != nil {
		return res, err
	}
	if err = r.hub.open(); err != nil {
		return res, err
	}
	if r.issuer, err = identity.LoadIssuer(c.certs); err != nil {
		return res, err
	}
	r.seen = watchVector(r.hub.db)
	defer r.seen.close()
	res.HeapEmpty, res.RSSEmpty = heapInuse(), currentRSS()
	for _, at := range []int{min(cfg.PhonesSmall, cfg.Phones), cfg.Phones} {
		if len(res.Points) > 0 && res.Points[0].Phones == at {
			break
		}
		p, err := r.point(at, progress)
		res.Points = append(res.Points, p)
		if err != nil {
			return res, fmt.Errorf("at %d phones: %w", at, err)
		}
	}
	res.CertSeconds, res.WriteSeconds = r.certs.Seconds(), r.writes.Seconds()
	res.Visit = summarize(r.visits)
	res.Verified, res.Visits, err = r.verify()
	return res, err
}

// point brings the hub to n phones, with a returning phone away for the
// last K of them, and measures.
func (r *phoneRun) point(n int, progress io.Writer) (p PhonesPoint, err error) {
	p.Phones = n
	away := min(r.cfg.PhonesAway, n-r.next)
	if err := r.visit(n-away, progress); err != nil {
		return p, err
	}
	if p.CatchUp, p.NoChange, err = r.returning(n, progress); err != nil {
		return p, err
	}
	// The returning phone's in-memory files, on the heap, are garbage now.
	p.Heap, p.RSS = heapInuse(), currentRSS()
	if p.Put, p.Puts, err = r.hubPuts(); err != nil {
		return p, err
	}
	p.Counter, err = r.counterReads(int64(n))
	fmt.Fprintf(progress, "  %d phones: hub heap %s, put p50 %v, returning phone %v / %d B, no change %v / %d B\n",
		n, mib(p.Heap), p.Put.P50, seconds(p.CatchUp.Seconds).Round(time.Microsecond), p.CatchUp.WireBytes,
		seconds(p.NoChange.Seconds).Round(time.Microsecond), p.NoChange.WireBytes)
	return p, err
}

// returning makes a phone that syncs fully, leaves while the phones up
// to n write, comes back (catch-up), leaves, and comes back again (no
// change).
func (r *phoneRun) returning(n int, progress io.Writer) (catchUp, noChange Reconnect, err error) {
	back, err := r.newPhone(fmt.Sprintf("back%d", n))
	if err != nil {
		return catchUp, noChange, err
	}
	if _, err := back.session(r, "the returning phone's first sync", true); err != nil {
		return catchUp, noChange, err
	}
	if err := r.visit(n, progress); err != nil {
		return catchUp, noChange, err
	}
	if catchUp, err = back.session(r, "the returning phone's catch-up", true); err != nil {
		return catchUp, noChange, err
	}
	noChange, err = back.session(r, "the no-change reconnect", false)
	return catchUp, noChange, err
}

// visit has phones r.next .. n-1 visit the hub, in waves of at most
// PhoneWave open at once (the hub's transport takes at most 1024).
func (r *phoneRun) visit(n int, progress io.Writer) error {
	for r.next < n {
		w := min(r.cfg.PhoneWave, n-r.next)
		t0 := time.Now()
		phones := make([]*phone, w)
		for j := range phones {
			var err error
			if phones[j], err = r.newPhone(strconv.Itoa(r.next + j)); err != nil {
				return err
			}
		}
		t1 := time.Now()
		r.certs += t1.Sub(t0)
		times := make([]time.Duration, w)
		errs := make([]error, w)
		var wg sync.WaitGroup
		for j, ph := range phones {
			wg.Go(func() { times[j], errs[j] = ph.writeOnce(r, r.next+j) })
		}
		wg.Wait()
		r.writes += time.Since(t1)
		if err := errors.Join(errs...); err != nil {
			return err
		}
		r.visits = append(r.visits, times...)
		r.next += w
		if r.next%(10*r.cfg.PhoneWave) == 0 || r.next == n {
			fmt.Fprintf(progress, "  %d phones have written (%.1fs)\n", r.next, r.writes.Seconds())
		}
	}
	return nil
}

// phone is a full node on an in-memory file system that outlives its
// Opens, so that a returning phone comes back with what it had.
type phone struct {
	name string
	fs   vfs.FS
	tls  node.TLSFiles
}

func (r *phoneRun) newPhone(name string) (*phone, error) {
	cert := "phone" + name
	err := r.issuer.Issue(cert, nil)
	return &phone{name: name, fs: vfs.NewMem(), tls: tlsFiles(r.c.certs, cert)}, err
}

func (ph *phone) open(peer string) (*node.DB, error) {
	db, err := node.Open("/phone", &node.Options{
		Logger: slog.New(slog.DiscardHandler), FS: ph.fs, CacheSize: 1 << 20,
		Peers: []string{peer}, TLS: ph.tls,
		SyncBackoffMin: 20 * time.Millisecond, SyncBackoffMax: 200 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("open phone %s: %w", ph.name, err)
	}
	return db, nil
}

func profileKey(i int) string { return fmt.Sprintf("users/%d/profile", i) }

func profileOf(i int) []byte { return valueOf(uint64(i)) }

// writeOnce opens the phone, puts its profile, increments global/visits,
// waits until the hub's vector holds both (PeerStatus.Lag does not fall
// to 0 here: see the README), and closes the phone. It
// returns the time from Open to the hub's ack.
func (ph *phone) writeOnce(r *phoneRun, i int) (time.Duration, error) {
	ctx := context.Background()
	t0 := time.Now()
	db, err := ph.open(r.hub.addr)
	if err != nil {
		return 0, err
	}
	err = errors.Join(db.Put(ctx, profileKey(i), profileOf(i)), db.Increment(ctx, "global/visits", 1))
	if err == nil {
		var m mark
		if m, err = markOf(db); err == nil {
			_, err = waitUntil(r.cfg.Timeout, "the hub has phone "+ph.name+"'s writes", func() (bool, error) {
				time.Sleep(5 * time.Millisecond) // on top of pollEvery: hundreds of phones wait at once
				return r.seen.has(m), nil
			})
		}
	}
	d := time.Since(t0)
	return d, errors.Join(err, db.Close())
}

// session opens the phone through a counting relay in front of the hub
// and measures its session; the phone writes nothing. With catchUp it
// waits for its vector to equal the hub's (nothing writes on the hub
// meanwhile); without, the vectors must be equal from the start.
func (ph *phone) session(r *phoneRun, what string, catchUp bool) (res Reconnect, err error) {
	st, err := r.hub.db.Status()
	if err != nil {
		return res, err
	}
	want := st.VersionVector
	rl, err := newRelay(r.hub.addr)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, rl.close()) }()
	t0 := time.Now()
	db, err := ph.open(rl.addr())
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	vectorOf := func() (string, error) { st, err := db.Status(); return st.VersionVector, err }
	if !catchUp {
		if got, err := vectorOf(); err != nil || got != want {
			return res, errors.Join(err, fmt.Errorf("bench: %s: the phone's vector is not the hub's at Open", what))
		}
	}
	var got string
	t1, err := waitUntil(r.cfg.Timeout, what, func() (bool, error) {
		got, err = vectorOf()
		return got == want, err
	})
	if err != nil {
		return res, fmt.Errorf("%w: the phone's vector %.200s, the hub's %.200s", err, got, want)
	}
	_, err = waitUntil(r.cfg.Timeout, what+" goes quiet", func() (bool, error) {
		return rl.packets.Load() > 0 && time.Since(rl.lastPacket()) > quietAfter, nil
	})
	if err != nil {
		return res, err
	}
	res.Settled = rl.lastPacket().Sub(t0).Seconds()
	if res.Seconds = t1.Sub(t0).Seconds(); !catchUp {
		res.Seconds = res.Settled
	}
	res.WireBytes = rl.count()
	tr, err := trafficOf(db)
	res.FrameBytes = tr.total()
	return res, err
}

// hubPuts times PhonePuts synced puts on the hub, one at a time.
func (r *phoneRun) hubPuts() (Quantiles, int, error) {
	ds := make([]time.Duration, r.cfg.PhonePuts)
	for j := range ds {
		t0 := time.Now()
		if err := r.hub.db.Put(context.Background(), fmt.Sprintf("hub/%d/%d", r.next, j), valueOf(uint64(j))); err != nil {
			return Quantiles{}, j, err
		}
		ds[j] = time.Since(t0)
	}
	return summarize(ds), len(ds), nil
}

// counterReads times reads of global/visits on the hub and checks its
// total.
func (r *phoneRun) counterReads(want int64) (Quantiles, error) {
	ds := make([]time.Duration, r.cfg.PhonePuts)
	for j := range ds {
		t0 := time.Now()
		v, err := r.hub.db.Counter(context.Background(), "global/visits")
		ds[j] = time.Since(t0)
		if err != nil {
			return Quantiles{}, err
		}
		if v != want {
			return Quantiles{}, fmt.Errorf("bench: global/visits is %d on the hub, want %d", v, want)
		}
	}
	return summarize(ds), nil
}

// verify reads every phone's profile back on the hub.
func (r *phoneRun) verify() (int, int64, error) {
	ctx := context.Background()
	for i := range r.next {
		it, err := r.hub.db.Get(ctx, profileKey(i))
		if err != nil {
			return i, 0, fmt.Errorf("bench: %s on the hub: %w", profileKey(i), err)
		}
		if !slices.Equal(it.Value, profileOf(i)) {
			return i, 0, fmt.Errorf("bench: %s on the hub holds a value it should not", profileKey(i))
		}
	}
	v, err := r.hub.db.Counter(ctx, "global/visits")
	return r.next, v, err
}

// currentRSS returns the process's resident set (VmRSS) after handing
// freed memory back to the OS, or 0 where /proc is not there.
func currentRSS() uint64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
