package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteSyncTable prints the report: a header, then one table per part
// that ran, each with the command that reruns it.
func WriteSyncTable(w io.Writer, r SyncReport) error {
	e := r.Env
	fmt.Fprintf(w, "Shoal replication over QUIC + mutual TLS on 127.0.0.1  %s/%s  %d CPUs  %s  %s\n",
		e.GOOS, e.GOARCH, e.NumCPU, e.GoVersion, e.Date.Format(time.DateTime+" MST"))
	fmt.Fprintf(w, "dir %s; each node on disk in its own directory; every commit synced (fsync)\n", e.Dir)
	if r.Command != "" {
		fmt.Fprintf(w, "command: %s\n", r.Command)
	}
	fmt.Fprintf(w, "total time %v\n", time.Duration(r.Seconds*float64(time.Second)).Round(time.Second))
	for _, part := range []func(io.Writer, SyncReport) error{latencyTable, catchUpTable, bootstrapTable, overwritesTable, meshTable, phonesTable} {
		if err := part(w, r); err != nil {
			return err
		}
	}
	return nil
}

// WriteSyncJSON writes the report to the file path, indented.
func WriteSyncJSON(path string, r SyncReport) error { return writeJSON(path, r) }

// table starts a part: its title, its command, and an aligned table with
// the header cells.
func table(w io.Writer, title, command string, header string) *tabwriter.Writer {
	fmt.Fprintf(w, "\n%s\n  %s\n", title, command)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, header)
	return tw
}

func latencyTable(w io.Writer, r SyncReport) error {
	l := r.Latency
	if l == nil {
		return nil
	}
	c := r.Config
	tw := table(w, fmt.Sprintf("1. Replication latency: A puts %d keys at %d/s over %v (%d writers); B watches them arrive",
		l.Puts, l.Rate, c.LatencyDuration, c.LatencyWriters), c.command("latency"), "from\tp50\tp99\tmax\t")
	for _, row := range []struct {
		name string
		q    Quantiles
	}{{"Put returned on A, to visible on B", l.FromReturn}, {"Put called on A, to visible on B", l.FromStart}, {"(A's Put alone)", l.PutLatency}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", row.name, latency(row.q.P50), latency(row.q.P99), latency(row.q.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  achieved %.1f puts/s; B saw %d of %d\n", l.Achieved, l.Seen, l.Puts)
	return nil
}

func catchUpTable(w io.Writer, r SyncReport) error {
	if len(r.CatchUp) == 0 {
		return nil
	}
	tw := table(w, "2. Catch-up after a partition: B down, A changes d of n keys, B restarts",
		r.Config.command("catchup"),
		"n\td\tcatch-up\tframe bytes\twire bytes\tchanged, encoded\t(B/record)\tframe ratio\twire ratio\tverified\t")
	for _, c := range r.CatchUp {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%d\t\n", c.Keys, c.Changed, latency(seconds(c.Seconds)),
			c.FrameBytes, c.WireBytes, c.RecordBytes, c.RecordSize, c.Ratio, c.WireRatio, c.Verified)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  catch-up: B's Open until B's version vector holds A's last dot (joined at Done, after the rows are synced)\n")
	fmt.Fprintf(w, "  frame bytes: B's session, sent + received (Status); wire bytes: every UDP datagram of it, handshake and\n")
	fmt.Fprintf(w, "  QUIC acks included, plus 28 B of IPv4+UDP header each, counted by a relay in front of A\n")
	fmt.Fprintf(w, "  changed, encoded: d x B/record, B/record = 16 B key + crdt.EncodeRow of a register row with one 100 B entry\n")
	fmt.Fprintf(w, "  and one context dot (CBOR integers grow with the dot counter); target frame ratio <= 1.3\n")
	for _, s := range r.CatchUpSetups {
		fmt.Fprintf(w, "  setup n=%d: loaded on A in batches of %d in %.1fs with B connected; B in sync after %.1fs\n",
			s.Keys, r.Config.LoadBatch, s.LoadSeconds, s.SyncSeconds)
	}
	return nil
}

func bootstrapTable(w io.Writer, r SyncReport) error {
	if r.Bootstrap == nil {
		return nil
	}
	title := fmt.Sprintf("3. Bootstrap: a new node C joins A holding %d keys (16 B keys, 100 B values)", r.Bootstrap.Keys)
	return bootstrapRows(w, r, r.Bootstrap, title, "bootstrap")
}

func overwritesTable(w io.Writer, r SyncReport) error {
	if r.Overwrites == nil {
		return nil
	}
	title := fmt.Sprintf("3b. Bootstrap with overwrites: A holds %d keys, each written twice (the second time in random order)", r.Overwrites.Keys)
	return bootstrapRows(w, r, r.Overwrites, title, "bootstrap-overwrites")
}

func bootstrapRows(w io.Writer, r SyncReport, b *BootstrapResult, title, part string) error {
	tw := table(w, title, r.Config.command(part),
		"user MB\ttime\tuser MB/s\tframe MB/s\traw QUIC MB/s\tuser/raw\theap before\theap peak\tpeak RSS\tC's vector ranges (max, end)\tverified\t")
	fmt.Fprintf(tw, "%.1f\t%s\t%.1f\t%.1f\t%.1f\t%.3f\t%s\t%s\t%s\t%d, %d\t%d\t\n", float64(b.UserBytes)/mb, latency(seconds(b.Seconds)),
		b.UserMBps, b.FrameMBps, b.RawMBps, b.Ratio, mib(b.HeapBefore), mib(b.HeapPeak), mib(b.PeakRSS), b.MaxRanges, b.EndRanges, b.Verified)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  time: C's Open until C's version vector holds A's last dot; raw QUIC: one quic-go stream, %d KiB writes, %d MiB, same TLS\n",
		rawWrite>>10, b.RawBytes>>20)
	fmt.Fprintf(w, "  heap (HeapInuse, sampled every %v) and RSS are the whole process's: A, which sends, included\n", heapEvery)
	if b.ReusedCatchUp {
		fmt.Fprintf(w, "  A is the catch-up part's node with n=%d (its first keys rewritten by the rounds)\n", b.Keys)
	}
	return nil
}

func meshTable(w io.Writer, r SyncReport) error {
	m := r.Mesh
	if m == nil {
		return nil
	}
	tw := table(w, fmt.Sprintf("4. Convergence of %d nodes in a full mesh: %d puts on each at once (%d writers per node)", m.Nodes, m.PutsPerNode, m.Writers),
		r.Config.command("mesh"),
		"burst\tconverged after burst\tafter start\twrites, encoded\tsent to converge\tsent to settle\tcopies per write\tdirect only\tverified\t")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.1f\t%d\t%d\t\n", latency(seconds(m.BurstSecs)), latency(seconds(m.ConvergeSecs)),
		latency(seconds(m.FromStartSecs)), m.RecordBytes, m.SentBytes, m.SettledBytes, m.Copies, m.Nodes-1, m.Verified)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  converged: every node's watcher has seen all %d keys; settled: every peer's lag is 0 (acks in)\n", m.Nodes*m.PutsPerNode)
	fmt.Fprintf(w, "  copies per write = frame bytes sent by all nodes until settled / writes encoded; direct delivery alone is %d\n", m.Nodes-1)
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func mib(b uint64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0fMiB", float64(b)/(1<<20))
}

func phonesTable(w io.Writer, r SyncReport) error {
	ph := r.Phones
	if ph == nil || len(ph.Points) == 0 {
		return nil
	}
	tw := table(w, fmt.Sprintf("5. Phones: %d phones (full nodes, in-memory files, a certificate each) visit one hub on disk, %d at once", ph.Phones, ph.Wave),
		r.Config.command("phones"),
		"phones\thub heap\t/phone\thub RSS\t/phone\thub Put p50 / p99\treturning phone: time\tframe B\twire B\tno change: time\tframe B\twire B\tCounter p50 / p99\t")
	base := ph.Points[0]
	for _, p := range ph.Points {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s / %s\t%s\t%d\t%d\t%s\t%d\t%d\t%s / %s\t\n", p.Phones,
			mib(p.Heap), perPhone(p.Heap, ph.HeapEmpty, p.Phones), mib(p.RSS), perPhone(p.RSS, ph.RSSEmpty, p.Phones),
			latency(p.Put.P50), latency(p.Put.P99), latency(seconds(p.CatchUp.Seconds)), p.CatchUp.FrameBytes, p.CatchUp.WireBytes,
			latency(seconds(p.NoChange.Seconds)), p.NoChange.FrameBytes, p.NoChange.WireBytes, latency(p.Counter.P50), latency(p.Counter.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if last := ph.Points[len(ph.Points)-1]; last.Phones != base.Phones {
		fmt.Fprintf(w, "  at %d / at %d phones: Put p50 %.2fx, p99 %.2fx; catch-up time %.2fx, wire bytes %.2fx; no change time %.2fx, wire bytes %.2fx\n",
			last.Phones, base.Phones, ratio(last.Put.P50, base.Put.P50), ratio(last.Put.P99, base.Put.P99),
			last.CatchUp.Seconds/base.CatchUp.Seconds, float64(last.CatchUp.WireBytes)/float64(base.CatchUp.WireBytes),
			last.NoChange.Seconds/base.NoChange.Seconds, float64(last.NoChange.WireBytes)/float64(base.NoChange.WireBytes))
	}
	fmt.Fprintf(w, "  empty hub: heap %s, RSS %s; /phone = (figure - empty hub's) / phones; heap in use after a GC, RSS after FreeOSMemory,\n", mib(ph.HeapEmpty), mib(ph.RSSEmpty))
	fmt.Fprintf(w, "  the whole process's (the phones' nodes ran in it and are closed); %d synced Puts and Counter reads timed at each point\n", base.Puts)
	fmt.Fprintf(w, "  a visit: Open, Put users/<i>/profile, Increment global/visits, until the hub's vector holds both: p50 %s, p99 %s;\n",
		latency(ph.Visit.P50), latency(ph.Visit.P99))
	fmt.Fprintf(w, "  all visits %.1fs (%.0f phones/s); certificates (P-256, one per phone, identity.Issuer) %.2fs, %.0f µs each\n",
		ph.WriteSeconds, float64(ph.Phones)/ph.WriteSeconds, ph.CertSeconds, ph.CertSeconds/float64(ph.Phones)*1e6)
	fmt.Fprintf(w, "  returning phone: synced fully, away while K phones wrote, back through a counting relay: time until its vector is the hub's;\n")
	fmt.Fprintf(w, "  no change: back again at once, time until the exchange's last datagram; verified %d profiles, global/visits = %d\n", ph.Verified, ph.Visits)
	return nil
}

// perPhone is (b - base) / n, as a size.
func perPhone(b, base uint64, n int) string {
	if b == 0 || b < base {
		return "n/a"
	}
	return fmt.Sprintf("%.1fKiB", float64(b-base)/float64(n)/1024)
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
