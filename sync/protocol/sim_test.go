package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/wire"
)

// The simulation drives the protocol core the way package node does, but
// step by step and without goroutines: every node is a real storage.Store
// on an in-memory file system; a link is one direction of a session (the
// sender's Outbound, the receiver's Inbound, and the messages in flight);
// the test decides when each message is delivered, and when links break
// and nodes restart. After every step it checks the invariants of
// sync-scenarios.md.

// sim is a cluster of simulated nodes and the dots minted in it.
type sim struct {
	t      testing.TB
	nodes  []*simNode
	links  map[[2]int]*link
	deltas map[crdt.Dot]mintedDelta // every dot ever minted, with its delta
	clock  int64
	sent   int // rows sent by Batch and Push, for "a second round sends nothing"
	// duringScan, if set, runs once inside the next scan, after its
	// snapshot is taken: a write that races a catch-up.
	duringScan func()
	// lenient: a message the receiver refuses ends its session (as with a
	// lying peer) instead of failing the test.
	lenient bool
	// checkAtEnd: the test calls check itself, not every delivery.
	checkAtEnd bool
	// liar, if set, is a node whose messages mutate changes on their way
	// (an adversary with a valid certificate); check and converge skip it.
	liar    *int
	mutate  func(to int, m *wire.Message) *wire.Message
	applied int // rows received and applied, all nodes together
}

type mintedDelta struct {
	key   string
	rk    crdt.RowKey
	delta crdt.Row
}

type simNode struct {
	idx   int
	id    crdt.ReplicaID
	fs    vfs.FS
	store *storage.Store
	outs  map[int]*Outbound // by receiver index
	ins   map[int]*Inbound  // by sender index
}

// link is one direction of a session, from sender to receiver.
type link struct {
	from, to  int
	queue     []*wire.Message     // sent, not yet delivered
	acked     *crdt.VersionVector // what the receiver last acknowledged
	bootstrap bool                // the receiver asked this link for its bootstrap
}

func newSim(t testing.TB, n int) *sim {
	s := &sim{t: t, links: map[[2]int]*link{}, deltas: map[crdt.Dot]mintedDelta{}, clock: 1e18}
	for i := range n {
		nd := &simNode{idx: i, fs: vfs.NewMem()}
		s.nodes = append(s.nodes, nd)
		s.open(nd)
	}
	return s
}

func (s *sim) open(nd *simNode) {
	st, err := storage.Open("n", &storage.Options{FS: nd.fs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		s.t.Fatalf("open n%d: %v", nd.idx, err)
	}
	nd.store, nd.id = st, st.ReplicaID()
	nd.outs, nd.ins = map[int]*Outbound{}, map[int]*Inbound{}
}

// restart closes and reopens a node; its links break.
func (s *sim) restart(i int) {
	for k := range s.links {
		if k[0] == i || k[1] == i {
			s.breakLink(k[0], k[1])
		}
	}
	nd := s.nodes[i]
	if err := nd.store.Close(); err != nil {
		s.t.Fatal(err)
	}
	s.open(nd)
}

func (s *sim) close() {
	for _, nd := range s.nodes {
		nd.store.Close()
	}
}

// write applies one local mutation at node i and publishes its commit.
func (s *sim) write(i int, key string, rk crdt.RowKey, op string, value string) {
	nd := s.nodes[i]
	c := nd.store.NewCommit()
	row, err := c.Row(key, rk)
	if err != nil {
		s.t.Fatal(err)
	}
	if op == "remove" && !row.Live() {
		return
	}
	d := c.NextDot()
	s.clock += 1000
	ts := crdt.Timestamp{Wall: s.clock}
	var delta crdt.Row
	switch op {
	case "remove":
		delta = row.Remove(rk.Kind, d)
	case "inc":
		delta = row.Increment(d, ts, 1)
	default:
		delta = row.Write(rk.Kind, d, ts, []byte(value))
	}
	if _, err := c.Merge(key, rk, delta); err != nil {
		s.t.Fatal(err)
	}
	s.deltas[d] = mintedDelta{key, rk, delta}
	s.apply(nd, c, 0)
}

// apply commits c at nd and publishes it to nd's outbound links.
func (s *sim) apply(nd *simNode, c *storage.Commit, source crdt.ReplicaID) {
	changes := c.Changes()
	if err := c.Apply(); err != nil {
		s.t.Fatal(err)
	}
	if len(changes) == 0 {
		return
	}
	commit := Commit{OwnCounter: nd.store.LastCounter()}
	for _, ch := range changes {
		row := wire.Row{Key: ch.Key, RowKey: ch.RowKey.Append(nil), Row: ch.Row}
		commit.Rows = append(commit.Rows, CommitRow{Row: row, Source: source})
		commit.Size += 100
	}
	for _, out := range nd.outs {
		out.Publish(commit)
	}
}

// connect opens the link from -> to: the receiver's Hello reaches the
// sender at once (it is what the receiver has durably now), and the
// sender's Hello is queued for the receiver.
func (s *sim) connect(from, to int) {
	if s.links[[2]int{from, to}] != nil {
		return
	}
	a, b := s.nodes[from], s.nodes[to]
	// Small batches, so that breaks fall between them; a small queue, so
	// that it overflows.
	out := NewOutbound(a.id, OutboundOptions{MaxQueueBytes: 8 * 100, BatchRows: 2})
	l := &link{from: from, to: to}
	boot := s.bootstrapFor(to)
	l.bootstrap = boot != nil
	l.queue = append(l.queue, out.Hello(a.store.VersionVector(), a.store.Firsthand(), nil, nil))
	out.PeerHello(b.id, &wire.Hello{VV: b.store.VersionVector(), Firsthand: b.store.Firsthand(), Bootstrap: boot})
	a.outs[to], b.ins[from] = out, NewInbound(b.id, boot != nil)
	s.links[[2]int{from, to}] = l
}

// bootstrapFor returns the bootstrap node i asks a new link for, as package
// node does: one link at a time, while i holds no other node's dots or has
// a bootstrap under way.
func (s *sim) bootstrapFor(i int) *wire.Bootstrap {
	nd := s.nodes[i]
	state := nd.store.Bootstrap()
	if state != nil && state.Finished {
		return nil
	}
	if state == nil {
		for _, o := range nd.store.VersionVector().Origins() {
			if o != nd.id {
				return nil
			}
		}
	}
	for k, l := range s.links {
		if k[1] == i && l.bootstrap {
			return nil
		}
	}
	if state == nil || !state.Started {
		return &wire.Bootstrap{}
	}
	return &wire.Bootstrap{Started: true, Key: state.Key, RowKey: state.RowKey}
}

func (s *sim) breakLink(from, to int) {
	delete(s.links, [2]int{from, to})
	delete(s.nodes[from].outs, to)
	delete(s.nodes[to].ins, from)
}

// send lets the sender of a link do its next action: a whole catch-up
// scan (its messages are queued, not delivered) or one push.
func (s *sim) send(from, to int) {
	l, out := s.links[[2]int{from, to}], s.nodes[from].outs[to]
	if l == nil {
		return
	}
	switch out.Next() {
	case Scan:
		src := simSource{s.nodes[from].store, s}
		if err := out.CatchUp(src, func(m *wire.Message) error { s.enqueue(l, m); return nil }); err != nil {
			s.t.Fatal(err)
		}
	case Push: // one message: commits with nothing for this peer are skipped
		for out.Next() == Push {
			if m := out.NextPush(); m != nil {
				s.enqueue(l, m)
				break
			}
		}
	}
}

// enqueue queues a Batch or Push on a link, checking back-propagation: no
// row goes to a peer that acknowledged every dot naming it.
func (s *sim) enqueue(l *link, m *wire.Message) {
	s.t.Helper()
	var rows []wire.Row
	switch {
	case m.Batch != nil:
		rows = m.Batch.Rows
	case m.Push != nil:
		rows = m.Push.Rows
	}
	for _, r := range rows {
		if l.acked != nil && covered(l.acked, r) {
			s.t.Fatalf("n%d sent n%d row %q, whose dots n%d acknowledged", l.from, l.to, r.Key, l.to)
		}
	}
	s.sent += len(rows)
	l.queue = append(l.queue, m)
}

// deliver hands up to n queued messages of a link to its receiver, which
// applies each in one synced commit, then publishes it (relaying).
func (s *sim) deliver(from, to, n int) {
	l := s.links[[2]int{from, to}]
	for ; l != nil && n > 0 && len(l.queue) > 0; n-- {
		m := l.queue[0]
		l.queue = l.queue[1:]
		if s.isLiar(from) {
			m = s.mutate(to, m)
		}
		s.receive(from, to, m)
		l = s.links[[2]int{from, to}]
	}
}

func (s *sim) receive(from, to int, m *wire.Message) {
	nd := s.nodes[to]
	step, err := nd.ins[from].Step(m)
	if err == nil {
		c := nd.store.NewCommit()
		if err = applyStep(c, step, s.nodes[from].id); err == nil {
			s.applied += len(step.Rows)
			s.apply(nd, c, s.nodes[from].id)
		} else {
			c.Discard()
		}
	}
	if err != nil {
		if !s.lenient && !errors.Is(err, ErrProtocol) { // injected faults end sessions
			s.t.Fatalf("n%d<-n%d: %v", to, from, err)
		}
		s.t.Logf("n%d<-n%d: %v; session aborted", to, from, err)
		s.breakLink(from, to)
		return
	}
	if !s.checkAtEnd {
		s.check()
	}
}

// applyStep applies a received step as package node's writer does.
func applyStep(c *storage.Commit, step Step, from crdt.ReplicaID) error {
	return step.Apply(c, from, RowHooks{})
}

// simSource reads a node's store for CatchUp, running the sim's duringScan
// hook inside the scan (after its snapshot is taken).
type simSource struct {
	st *storage.Store
	s  *sim
}

func (src simSource) Missing(have *crdt.VersionVector, fn func(wire.Row) error) (*crdt.VersionVector, error) {
	return src.st.Missing(have, src.each(fn))
}

func (src simSource) Bootstrap(from *wire.Bootstrap, have *crdt.VersionVector,
	start func(*crdt.VersionVector) error, fn func(wire.Row) error) (*crdt.VersionVector, error) {
	rk, _ := crdt.ParseRowKey(from.RowKey)
	return src.st.RowsAfter(from.Started, from.Key, rk, have, start, src.each(fn))
}

func (src simSource) each(fn func(wire.Row) error) func(storage.Change) error {
	return func(ch storage.Change) error {
		if f := src.s.duringScan; f != nil {
			src.s.duringScan = nil
			f()
		}
		return fn(wire.Row{Key: ch.Key, RowKey: ch.RowKey.Append(nil), Row: ch.Row})
	}
}

// ack tells the sender of a link what the receiver has durably, and which
// nodes the receiver hears from directly (live links into it).
func (s *sim) ack(from, to int) {
	if out := s.nodes[from].outs[to]; out != nil {
		vv := s.nodes[to].store.VersionVectorFor(s.nodes[from].id)
		out.Acked(vv, s.directPeers(to))
		s.links[[2]int{from, to}].acked = vv
	}
}

func (s *sim) directPeers(i int) []crdt.ReplicaID {
	var out []crdt.ReplicaID
	for k := range s.links {
		if k[1] == i {
			out = append(out, s.nodes[k[0]].id)
		}
	}
	slices.Sort(out)
	return out
}

// catchUp runs a complete catch-up from -> to on a fresh link.
func (s *sim) catchUp(from, to int) {
	s.breakLink(from, to)
	s.connect(from, to)
	s.send(from, to)
	s.deliver(from, to, 1<<30)
	s.breakLink(from, to)
}

// check asserts, at every node, that the version vector covers no dot whose
// effect the node lacks, and that the dot index matches the rows.
func (s *sim) check() {
	s.t.Helper()
	for _, nd := range s.nodes {
		if s.isLiar(nd.idx) {
			continue
		}
		vv := nd.store.VersionVector()
		for d, md := range s.deltas {
			if s.liar != nil {
				// A liar can make a node believe, for a while, that it
				// holds a third node's dots (sync.md; docs/DESIGN-NOTES.md):
				// what must hold is what the node shows that origin.
				if s.isLiar(s.indexOf(d.Origin)) || !nd.store.VersionVectorFor(d.Origin).Contains(d) {
					continue
				}
			} else if !vv.Contains(d) {
				continue
			}
			row, err := nd.store.Row(md.key, md.rk)
			if err != nil {
				s.t.Fatal(err)
			}
			if !rowHas(row, md.delta) {
				s.t.Fatalf("n%d claims dot %s of %q but lacks its effect (row %+v)", nd.idx, d, md.key, row)
			}
		}
		if err := nd.store.CheckConsistency(); err != nil {
			s.t.Fatalf("n%d: %v", nd.idx, err)
		}
	}
}

func (s *sim) isLiar(i int) bool { return s.liar != nil && *s.liar == i }

// indexOf returns the index of the node with replica id id, or -1.
func (s *sim) indexOf(id crdt.ReplicaID) int {
	for _, nd := range s.nodes {
		if nd.id == id {
			return nd.idx
		}
	}
	return -1
}

// rowHas reports whether row already holds the effect of delta.
func rowHas(row, delta crdt.Row) bool {
	a, _ := crdt.EncodeRow(crdt.Join(row, delta))
	b, _ := crdt.EncodeRow(row)
	return bytes.Equal(a, b)
}

// converge runs rounds of complete pairwise catch-ups until nothing is
// sent, then checks every node holds the join of every delta minted and the
// same version vector.
func (s *sim) converge() {
	s.t.Helper()
	for round := 0; ; round++ {
		before := s.sent
		for i := range s.nodes {
			for j := range s.nodes {
				if i != j {
					s.catchUp(i, j)
				}
			}
		}
		if s.sent == before {
			break
		}
		if round > len(s.nodes)+2 {
			s.t.Fatalf("still sending rows after %d rounds of complete catch-ups", round)
		}
	}
	want := s.expected()
	for _, nd := range s.nodes {
		if got := s.dump(nd); got != want {
			s.t.Fatalf("n%d state differs from the join of all deltas:\n got %s\nwant %s", nd.idx, got, want)
		}
		if !nd.store.VersionVector().Equal(s.nodes[0].store.VersionVector()) {
			s.t.Fatalf("version vectors differ: n%d %s, n0 %s", nd.idx, nd.store.VersionVector(), s.nodes[0].store.VersionVector())
		}
	}
}

// expected joins every delta minted anywhere: what each node must hold.
func (s *sim) expected() string {
	objs := map[string]crdt.Object{}
	for _, md := range s.deltas {
		if objs[md.key] == nil {
			objs[md.key] = crdt.Object{}
		}
		objs[md.key][md.rk] = crdt.Join(objs[md.key][md.rk], md.delta)
	}
	return dumpObjects(objs)
}

func (s *sim) dump(nd *simNode) string {
	objs := map[string]crdt.Object{}
	for ko, err := range nd.store.Scan(storage.ScanOptions{}) {
		if err != nil {
			s.t.Fatal(err)
		}
		objs[ko.Key] = ko.Object
	}
	return dumpObjects(objs)
}

func dumpObjects(objs map[string]crdt.Object) string {
	var keys []string
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		enc, _ := crdt.EncodeObject(objs[k])
		fmt.Fprintf(&b, "%s=%x;", k, enc)
	}
	return b.String()
}
