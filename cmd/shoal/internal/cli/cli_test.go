package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/node"
)

// server is an API on a node in a temp dir.
func server(t *testing.T) (*httptest.Server, *node.DB) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	db, err := node.Open(t.TempDir(), &node.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(db, httpapi.Options{Logger: quiet})
	ts := httptest.NewServer(api)
	t.Cleanup(func() {
		api.Shutdown()
		ts.Close()
		db.Close()
	})
	return ts, db
}

// run runs shoal with args against addr and returns stdout and the error.
func run(t *testing.T, addr, stdin string, args ...string) (string, error) {
	t.Helper()
	root := NewRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--addr", addr}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestClientCommands(t *testing.T) {
	ts, _ := server(t)
	steps := []struct {
		stdin string
		args  []string
		want  string // stdout, or the error with an "error: " prefix
	}{
		{"", []string{"kv", "put", "a/b", "hello"}, ""},
		{"", []string{"kv", "get", "a/b"}, "hello"},
		{"from\nstdin", []string{"kv", "put", "a/c", "-"}, ""},
		{"", []string{"kv", "get", "a/c"}, "from\nstdin"},
		{"", []string{"kv", "ls", "--prefix", "a/"}, "a/b\thello\na/c\t\"from\\nstdin\"\n"},
		{"", []string{"kv", "del", "a/b"}, ""},
		{"", []string{"kv", "get", "a/b"}, `error: not found: key "a/b"`},
		{"", []string{"counter", "add", "c", "4"}, "4\n"},
		{"", []string{"counter", "add", "c", "-1"}, "3\n"},
		{"", []string{"counter", "get", "c", "-o", "json"}, `{"value":3}` + "\n"},
		{"", []string{"counter", "add", "a/c", "1"}, `error: wrong type: key "a/c" holds a register, not a counter`},
		{"", []string{"counter", "add", "c", "x"}, `error: the amount must be an integer, not "x"`},
		{"", []string{"set", "add", "s", "y", "x", "z"}, ""},
		{"", []string{"set", "rm", "s", "z"}, ""},
		{"", []string{"set", "members", "s"}, "x\ny\n"},
		{"", []string{"set", "members", "s", "-o", "json"}, `{"members":["x","y"]}` + "\n"},
		{"", []string{"map", "set", "m", "f/1", "v"}, ""},
		{"", []string{"map", "set", "m", "f2", "w"}, ""},
		{"", []string{"map", "del", "m", "f2"}, ""},
		{"", []string{"map", "get", "m"}, "f/1\tv\n"},
		{"", []string{"map", "get", "m", "-o", "json"}, `{"fields":{"f/1":"dg=="}}` + "\n"},
		{"", []string{"kv", "ls", "--type", "all", "-o", "json"}, ""},
		{"", []string{"kv", "get", "a/c", "-o", "yaml"}, "error: -o yaml: want text or json"},
	}
	for _, s := range steps {
		out, err := run(t, ts.URL, s.stdin, s.args...)
		got := out
		if err != nil {
			got = "error: " + err.Error()
		}
		if s.want != "" && got != s.want || s.want == "" && err != nil {
			t.Errorf("shoal %s: %q, want %q", strings.Join(s.args, " "), got, s.want)
		}
	}
}

func TestStatusAndDetail(t *testing.T) {
	ts, db := server(t)
	if _, err := run(t, strings.TrimPrefix(ts.URL, "http://"), "", "kv", "put", "k", "v"); err != nil {
		t.Fatal(err) // a bare host:port works too
	}
	var st struct {
		NodeID string `json:"node_id"`
		Peers  []any  `json:"peers"`
	}
	out, err := run(t, ts.URL, "", "status", "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.NodeID != db.ID() || st.Peers == nil {
		t.Errorf("status -o json = %q, %v", out, err)
	}
	if out, err := run(t, ts.URL, "", "status"); err != nil || !strings.Contains(out, "node "+db.ID()) {
		t.Errorf("status = %q, %v", out, err)
	}
	var d httpapi.Detail
	out, err = run(t, ts.URL, "", "kv", "get", "k", "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &d) != nil || string(d.Value) != "v" || d.Origin != db.ID() {
		t.Errorf("kv get -o json = %q, %v", out, err)
	}
}

// TestWatchReconnects cuts the watch's connection and checks that the CLI
// resumes after the last event it printed: nothing lost, nothing twice.
func TestWatchReconnects(t *testing.T) {
	ts, db := server(t)
	ctx := context.Background()
	if err := db.Put(ctx, "w/0", []byte("zero")); err != nil {
		t.Fatal(err)
	}
	lines := watchLines(t, ts.URL, "kv", "watch", "--prefix", "w/")
	expectLines(t, lines, "put w/0 zero", "ready")
	mustPut(t, db, "w/1", "one")
	expectLines(t, lines, "put w/1 one")
	ts.CloseClientConnections()
	mustPut(t, db, "w/2", "two")
	if err := db.Increment(ctx, "w/c", 3); err != nil {
		t.Fatal(err)
	}
	expectLines(t, lines, "put w/2 two", "put w/c 3")
	if err := db.Delete(ctx, "w/1"); err != nil {
		t.Fatal(err)
	}
	expectLines(t, lines, "delete w/1")
}

func mustPut(t *testing.T, db *node.DB, key, value string) {
	t.Helper()
	if err := db.Put(context.Background(), key, []byte(value)); err != nil {
		t.Fatal(err)
	}
}

// watchLines runs a watch command until the test ends and returns its
// output lines.
func watchLines(t *testing.T, addr string, args ...string) <-chan string {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		pr.Close()
		<-done
	})
	root := NewRoot()
	root.SetOut(pw)
	root.SetArgs(append([]string{"--addr", addr}, args...))
	go func() {
		defer close(done)
		_ = root.ExecuteContext(ctx)
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

func expectLines(t *testing.T, lines <-chan string, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-lines:
			if got != w {
				t.Fatalf("watch printed %q, want %q", got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("watch printed nothing within 10s; want %q", w)
		}
	}
}

// TestStatusScopeRules: shoal status shows the scope rules' hash (the
// hash of no rules for a node without them) and the patterns.
func TestStatusScopeRules(t *testing.T) {
	ts, _ := server(t)
	const none = "scope rules 39202f1a865946fbf6f5ac44a46f05fa77a15641e304f30285106e755f0af9aa (no rules)\n"
	if out, err := run(t, ts.URL, "", "status"); err != nil || !strings.Contains(out, none) {
		t.Errorf("status = %q, %v; want a line %q", out, err, none)
	}

	quiet := slog.New(slog.DiscardHandler)
	db, err := node.Open(t.TempDir(), &node.Options{Logger: quiet, ScopeRules: []string{"users/{user}/", "catalog/"}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(db, httpapi.Options{Logger: quiet})
	defer api.Shutdown()
	withRules := httptest.NewServer(api)
	defer withRules.Close()
	want := "scope rules " + st.ScopeRulesHash + " (users/{user}/, catalog/)\n"
	if out, err := run(t, withRules.URL, "", "status"); err != nil || !strings.Contains(out, want) || strings.Contains(out, "39202f1a") {
		t.Errorf("status = %q, %v; want a line %q", out, err, want)
	}
	var js httpapi.Status
	out, err := run(t, withRules.URL, "", "status", "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &js) != nil || js.ScopeRulesHash != st.ScopeRulesHash || len(js.ScopeRules) != 2 {
		t.Errorf("status -o json = %q, %v", out, err)
	}
}
