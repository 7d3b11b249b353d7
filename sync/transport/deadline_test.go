package transport

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// TestMemoryBeforeHello: peers that each send only a header declaring a
// 16 MiB frame make the Listener hold next to nothing (it used to
// allocate the declared size at once), and are closed with CodeProtocol
// once HandshakeTimeout passes (they used to stay open for ever).
func TestMemoryBeforeHello(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.HandshakeTimeout = 500 * time.Millisecond
	l := listen(t, server)
	go acceptAndRead(l)
	const peers, declared = 8, 16 << 20
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var qcs []*quic.Conn
	for range peers {
		qc, st := dialRawStream(t, l)
		st.Write(header(declared, false))
		qcs = append(qcs, qc)
	}
	peak := peakHeapUntil(func() bool { return allClosed(qcs) })
	for _, qc := range qcs {
		checkClosedWith(t, qc, CodeProtocol)
	}
	grew := int64(peak) - int64(before.HeapInuse)
	t.Logf("heap grew by %d KiB", grew>>10)
	if grew > peers*declared/8 {
		t.Fatalf("heap grew by %d MiB for %d peers declaring %d MiB each", grew>>20, peers, declared>>20)
	}
}

// acceptAndRead accepts connections and reads from them, as a node does,
// until l closes.
func acceptAndRead(l *Listener) {
	for {
		c, err := l.Accept(context.Background())
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				if _, err := c.Recv(); err != nil {
					return
				}
			}
		}()
	}
}

func allClosed(qcs []*quic.Conn) bool {
	for _, qc := range qcs {
		if qc.Context().Err() == nil {
			return false
		}
	}
	return true
}

// peakHeapUntil samples HeapInuse until done, for 10 s at most, and
// returns the highest.
func peakHeapUntil(done func() bool) uint64 {
	var peak uint64
	for deadline := time.Now().Add(10 * time.Second); !done() && time.Now().Before(deadline); {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
		time.Sleep(10 * time.Millisecond)
	}
	return peak
}

// TestRecvFrameDeadline: a message whose first bytes arrived must arrive
// whole within FrameTimeout (plus its size at MinRate): Recv fails with
// os.ErrDeadlineExceeded and the peer gets CodeProtocol.
func TestRecvFrameDeadline(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.FrameTimeout, server.MinRate = 200*time.Millisecond, 1<<20
	l := listen(t, server)
	qc, st := dialRawStream(t, l)
	st.Write(frame(t, hello(1)))
	s := acceptHello(t, l)
	st.Write(append(header(100<<10, false), make([]byte, 1000)...))
	if _, err := s.Recv(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Recv of a stalled message: %v, want os.ErrDeadlineExceeded", err)
	}
	checkClosedWith(t, qc, CodeProtocol)
}

// acceptHello accepts a connection and reads its HELLO.
func acceptHello(t *testing.T, l *Listener) *Conn {
	t.Helper()
	s, err := l.Accept(ctxTimeout(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if m, err := s.Recv(); err != nil || m.Hello == nil {
		t.Fatalf("first Recv: %+v, %v; want the HELLO", m, err)
	}
	return s
}

// TestIdleBetweenMessages: no deadline runs between messages, neither
// FrameTimeout nor HandshakeTimeout: a quiet session stays up.
func TestIdleBetweenMessages(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.HandshakeTimeout, server.FrameTimeout = 300*time.Millisecond, 100*time.Millisecond
	c, s := pair(t, server, opts(t, cluster, "client"))
	got := make(chan error, 1)
	go func() {
		_, err := s.Recv()
		got <- err
	}()
	time.Sleep(600 * time.Millisecond) // idle past both
	if err := c.Send(ack(2)); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Recv after an idle spell: %v", err)
	}
}

// stalledPeer returns an accepted Conn whose raw peer sent its HELLO and
// never reads.
func stalledPeer(t *testing.T, server *Options) (*Conn, *quic.Conn) {
	l := listen(t, server)
	qc, st := dialRawStream(t, l)
	st.Write(frame(t, hello(1)))
	return acceptHello(t, l), qc
}

// sendUntilError sends large messages until Send fails, for 10 s at most.
func sendUntilError(t *testing.T, s *Conn) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		for i := range 1000 {
			if err := s.Send(push(uint64(i+2), 256<<10)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Send to a peer that never reads is still blocked")
		return nil
	}
}

// TestStalledPeerSendDeadline: a peer that never reads blocks Send only
// until SendTimeout (plus the size at MinRate): Send then fails with
// os.ErrDeadlineExceeded and the connection closes (it used to block for
// ever).
func TestStalledPeerSendDeadline(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.SendTimeout, server.MinRate = 100*time.Millisecond, 16<<20
	s, qc := stalledPeer(t, server)
	if err := sendUntilError(t, s); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Send to a stalled peer: %v, want os.ErrDeadlineExceeded", err)
	}
	checkClosedWith(t, qc, CodeProtocol)
}

// TestErrorsNameTheCause: once an error closed a connection, later Sends
// and Recvs report that error, not a bare "closed" (they used to), and
// the connection's logger gets it once, at Warn.
func TestErrorsNameTheCause(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.SendTimeout, server.MinRate = 100*time.Millisecond, 16<<20
	logs := &records{}
	server.Logger = slog.New(recorder{logs})
	s, _ := stalledPeer(t, server)
	if err := sendUntilError(t, s); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Send to a stalled peer: %v", err)
	}
	sendErr := s.Send(ack(9))
	_, recvErr := s.Recv()
	for _, err := range []error{sendErr, recvErr} {
		if !errors.Is(err, ErrClosed) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("after a send deadline closed the connection: %v; want ErrClosed and the deadline", err)
		}
	}
	if w := logs.warnings(); len(w) != 1 || !strings.Contains(w[0], "deadline exceeded") {
		t.Fatalf("warnings logged: %q; want the deadline, once", w)
	}
}

// records collects log records; recorder is a slog.Handler adding to it.
type records struct {
	mu   sync.Mutex
	list []slog.Record
}

type recorder struct{ r *records }

func (h recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h recorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recorder) WithGroup(string) slog.Handler            { return h }

func (h recorder) Handle(_ context.Context, r slog.Record) error {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	h.r.list = append(h.r.list, r.Clone())
	return nil
}

// warnings returns each Warn record as its message and attributes.
func (r *records) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.list {
		if rec.Level != slog.LevelWarn {
			continue
		}
		s := rec.Message
		rec.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
		out = append(out, s)
	}
	return out
}

func TestDeadlineArithmetic(t *testing.T) {
	o := (&Options{MinRate: 64 << 10}).withDefaults()
	for n, want := range map[int]time.Duration{0: 0, 64 << 10: time.Second, 96 << 10: 1500 * time.Millisecond, 256 << 20: 4096 * time.Second} {
		if got := o.atMinRate(n); got != want {
			t.Errorf("atMinRate(%d) = %v, want %v", n, got, want)
		}
	}
	a, b := time.Unix(1, 0), time.Unix(2, 0)
	for _, c := range [][3]time.Time{{a, b, a}, {b, a, a}, {{}, b, b}, {a, {}, a}, {{}, {}, {}}} {
		if got := earliest(c[0], c[1]); !got.Equal(c[2]) {
			t.Errorf("earliest(%v, %v) = %v", c[0], c[1], got)
		}
	}
}
