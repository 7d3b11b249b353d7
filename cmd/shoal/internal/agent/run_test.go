package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/node"
)

// logWatch receives the agent's JSON logs and reports the messages.
type logWatch struct {
	w    *io.PipeWriter
	msgs chan map[string]any
}

func newLogWatch() *logWatch {
	r, w := io.Pipe()
	lw := &logWatch{w: w, msgs: make(chan map[string]any, 1000)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			select {
			case lw.msgs <- m:
			default: // never block the agent's logging; tests await early messages
			}
		}
	}()
	return lw
}

// await returns the first log record with msg.
func (lw *logWatch) await(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-lw.msgs:
			if m["msg"] == msg {
				return m
			}
		case <-timeout:
			t.Fatalf("no log %q within 20s", msg)
		}
	}
}

// TestShutdownFinishesInFlightWrite starts a PUT, begins the shutdown while
// its handler waits for the body, then sends the body: the write must be
// acknowledged and on disk, and Run must return cleanly.
func TestShutdownFinishesInFlightWrite(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cfg := Config{Data: data, API: "127.0.0.1:0", LogFmt: "json", LogLvl: "info", Timeout: 20 * time.Second}
	logs := newLogWatch()
	defer logs.w.Close()
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- Run(ctx, cfg, Deps{LogOutput: logs.w}) }()
	addr := logs.await(t, "serving HTTP API")["addr"].(string)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /v1/kv/inflight HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	r := bufio.NewReader(conn)
	// The server sends 100 Continue when the handler starts reading the body.
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	_, _ = r.ReadString('\n') // the blank line after it
	stop()
	logs.await(t, "shutting down")
	fmt.Fprintf(conn, "hello")
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "204") {
		t.Fatalf("in-flight PUT answered %q, %v; want 204", line, err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}

	db, err := node.Open(data, &node.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if it, err := db.Get(context.Background(), "inflight"); err != nil || string(it.Value) != "hello" {
		t.Errorf("after restart: %q, %v", it.Value, err)
	}
}

// TestScopeRulesReachTheNode: the agent opens the node with its scope
// rules: bad rules stop it, the rules are logged at open, and a restart
// with other rules on the same data directory is refused.
func TestScopeRulesReachTheNode(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cfg := Config{Data: data, API: "127.0.0.1:0", LogFmt: "json", LogLvl: "info", Timeout: 5 * time.Second}

	bad := cfg
	bad.ScopeRules = []string{"users"}
	if err := Run(context.Background(), bad, Deps{LogOutput: io.Discard}); !errors.Is(err, node.ErrBadScopeRules) {
		t.Fatalf("Run with bad rules: %v, want ErrBadScopeRules", err)
	}

	cfg.ScopeRules = []string{"users/{user}/", "catalog/"}
	logs := newLogWatch()
	defer logs.w.Close()
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- Run(ctx, cfg, Deps{LogOutput: logs.w}) }()
	if got := logs.await(t, "shoal: opened")["scope_rules"]; got != "users/{user}/, catalog/" {
		t.Errorf("opened with scope_rules %v", got)
	}
	logs.await(t, "serving HTTP API")
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}

	other := cfg
	other.ScopeRules = []string{"catalog/", "users/{user}/"}
	if err := Run(context.Background(), other, Deps{LogOutput: io.Discard}); !errors.Is(err, node.ErrScopeRulesChanged) {
		t.Fatalf("Run with other rules: %v, want ErrScopeRulesChanged", err)
	}
}
