package httpapi_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/cmd/shoal/internal/metrics"
	"github.com/shoal-db/shoal/node"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	e.want(204, "PUT", "/v1/kv/a", "1")
	e.want(404, "GET", "/v1/kv/b", "")
	e.want(404, "GET", "/nowhere", "")
	body := string(e.want(200, "GET", "/metrics", ""))
	for _, want := range []string{
		`shoal_http_requests_total{code="204",method="PUT",route="/v1/kv/{key...}"} 1`,
		`shoal_http_requests_total{code="404",method="GET",route="/v1/kv/{key...}"} 1`,
		`shoal_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`shoal_http_request_duration_seconds_count{route="/v1/kv/{key...}"} 2`,
		`shoal_operations_total{op="put"} 1`,
		`shoal_watch_subscribers 0`,
		`shoal_peers 0`,
		`shoal_last_dot 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestWatchCutsOffSlowClient opens a watch that never reads and makes the
// server write far more than the socket buffers hold: the write deadline
// must end the stream rather than leave its handler blocked.
func TestWatchCutsOffSlowClient(t *testing.T) {
	m := metrics.New(nil)
	logs := &lockedBuffer{}
	e := newEnv(t, nil, httpapi.Options{WriteTimeout: 50 * time.Millisecond, Metrics: m, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	value := bytes.Repeat([]byte("x"), node.DefaultMaxValueSize)
	for i := range 48 { // ~64 MiB of base64 in the snapshot
		must(t, e.db.Put(ctx, fmt.Sprintf("big/%02d", i), value))
	}
	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/watch HTTP/1.1\r\nHost: x\r\n\r\n")
	waitGauge(t, m, "shoal_watch_subscribers", 1)
	waitGauge(t, m, "shoal_watch_subscribers", 0)
	if !strings.Contains(logs.String(), "too slow") {
		t.Errorf("the stream ended, but not for being too slow; logs:\n%s", logs.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitGauge polls a gauge until it has the value: the stream's end happens
// in the server's goroutine with nothing else to wait on.
func waitGauge(t *testing.T, m *metrics.Metrics, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		families, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == name && f.GetMetric()[0].GetGauge().GetValue() == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v", name, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
