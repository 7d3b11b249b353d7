package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds shoal, runs an agent on a random loopback port, drives
// it with the CLI, stops it with SIGTERM while a watch stream is open, and
// checks that it exits 0 and that a restarted agent has the data.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "shoal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")

	a := startAgent(t, bin, data)
	if !strings.Contains(a.logs.String(), "made this node's own CA and identity") {
		t.Errorf("first start did not say it made its own identity:\n%s", a.logs.String())
	}
	runCLI(t, bin, a.addr, "", "kv", "put", "greeting/en", "hello")
	runCLI(t, bin, a.addr, "", "counter", "add", "visits", "5")
	runCLI(t, bin, a.addr, "", "set", "add", "tags", "b", "a")
	if got := runCLI(t, bin, a.addr, "", "kv", "get", "greeting/en"); got != "hello" {
		t.Errorf("kv get = %q", got)
	}
	if got := runCLI(t, bin, a.addr, "shoal: not found: key \"nope\"\n", "kv", "get", "nope"); got != "" {
		t.Errorf("kv get of an absent key printed %q", got)
	}
	watch := openWatch(t, a.addr)
	a.stop(t)
	if _, err := io.Copy(io.Discard, watch); err != nil {
		t.Errorf("watch stream did not end cleanly at shutdown: %v", err)
	}
	if logs := a.logs.String(); strings.Contains(logs, "still running") || !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("shutdown was not clean:\n%s", logs)
	}

	b := startAgent(t, bin, data)
	defer b.stop(t)
	if !strings.Contains(b.logs.String(), "using this node's own CA and identity") {
		t.Errorf("restart did not reuse its identity:\n%s", b.logs.String())
	}
	for args, want := range map[string]string{
		"kv get greeting/en": "hello",
		"counter get visits": "5\n",
		"set members tags":   "a\nb\n",
	} {
		if got := runCLI(t, bin, b.addr, "", strings.Fields(args)...); got != want {
			t.Errorf("after restart, %s = %q, want %q", args, got, want)
		}
	}
}

// agentProc is a running `shoal agent` and its JSON logs.
type agentProc struct {
	cmd   *exec.Cmd
	addr  string
	logs  *logBuffer
	done  chan error
	ended bool
}

// logBuffer collects the agent's logs while the test reads them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) add(line []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(line)
	b.buf.WriteByte('\n')
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startAgent starts an agent on an ephemeral API port and reads the port
// from its "serving HTTP API" log line.
func startAgent(t *testing.T, bin, data string) *agentProc {
	t.Helper()
	cmd := exec.Command(bin, "agent", "--data", data, "--api", "127.0.0.1:0", "--log-format", "json", "--shutdown-timeout", "30s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &agentProc{cmd: cmd, logs: &logBuffer{}, done: make(chan error, 1)}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			a.logs.add(sc.Bytes())
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving HTTP API" {
				addrc <- "http://" + line.Addr
			}
		}
		a.done <- cmd.Wait()
	}()
	select {
	case a.addr = <-addrc:
		return a
	case err := <-a.done:
		t.Fatalf("agent exited: %v\n%s", err, a.logs.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("agent did not start serving within 30s")
	}
	return nil
}

// stop sends SIGTERM and checks for exit status 0.
func (a *agentProc) stop(t *testing.T) {
	t.Helper()
	if a.ended {
		return
	}
	a.ended = true
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.done:
		if err != nil {
			t.Errorf("agent exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		_ = a.cmd.Process.Kill()
		t.Fatal("agent did not exit within 60s of SIGTERM")
	}
}

// runCLI runs a client command; wantErr is its expected stderr, and a
// non-empty one means a non-zero exit is expected too.
func runCLI(t *testing.T, bin, addr, wantErr string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SHOAL_ADDR="+addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stderr.String() != wantErr || (err != nil) != (wantErr != "") {
		t.Errorf("shoal %s: %v, stderr %q; want stderr %q", strings.Join(args, " "), err, stderr.String(), wantErr)
	}
	return stdout.String()
}

// openWatch opens a watch stream and reads up to its "ready" event.
func openWatch(t *testing.T, addr string) io.ReadCloser {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", addr+"/v1/watch", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("watch ended before ready: %v", err)
		}
		if line == "event: ready\n" {
			return io.NopCloser(r)
		}
	}
}
