package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
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
	cmd      *exec.Cmd
	addr     string // the HTTP API's URL
	peerAddr string // the QUIC address, if it listens for peers
	logs     *logBuffer
	done     chan error
	ended    bool
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

// startAgent starts an agent on an ephemeral API port (more flags in
// extra) and reads the port, and the peer port if any, from its logs.
func startAgent(t *testing.T, bin, data string, extra ...string) *agentProc {
	t.Helper()
	args := append([]string{"agent", "--data", data, "--api", "127.0.0.1:0", "--log-format", "json", "--shutdown-timeout", "30s"}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &agentProc{cmd: cmd, logs: &logBuffer{}, done: make(chan error, 1)}
	addrc := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		peer := ""
		for sc.Scan() {
			a.logs.add(sc.Bytes())
			var line struct {
				Msg  string
				Addr json.RawMessage
			}
			_ = json.Unmarshal(sc.Bytes(), &line)
			switch line.Msg {
			case "shoal: listening for peers":
				peer = logAddr(line.Addr)
			case "serving HTTP API":
				addrc <- [2]string{"http://" + logAddr(line.Addr), peer}
			}
		}
		a.done <- cmd.Wait()
	}()
	select {
	case addrs := <-addrc:
		a.addr, a.peerAddr = addrs[0], addrs[1]
		return a
	case err := <-a.done:
		t.Fatalf("agent exited: %v\n%s", err, a.logs.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("agent did not start serving within 30s")
	}
	return nil
}

// logAddr reads an address logged as a string or as a *net.UDPAddr.
func logAddr(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var udp net.UDPAddr
	if json.Unmarshal(raw, &udp) == nil {
		return udp.String()
	}
	return ""
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

// TestTwoAgents makes a CA and two node certificates with the cert
// commands, runs two agents that peer over QUIC with mutual TLS, and
// checks that a write on one reaches a watch on the other.
func TestTwoAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "shoal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	certs := filepath.Join(dir, "certs")
	runCLI(t, bin, "", "", "cert", "init", "--dir", certs)
	tls := func(name string) []string {
		runCLI(t, bin, "", "", "cert", "issue", "--dir", certs, "--name", name, "--host", "127.0.0.1")
		return []string{"--ca", filepath.Join(certs, "ca.crt"), "--cert", filepath.Join(certs, name+".crt"), "--key", filepath.Join(certs, name+".key")}
	}
	a := startAgent(t, bin, filepath.Join(dir, "a"), append(tls("a"), "--listen", "127.0.0.1:0")...)
	defer a.stop(t)
	if a.peerAddr == "" {
		t.Fatalf("agent a logged no peer address:\n%s", a.logs.String())
	}
	// b writes "both" while it knows nothing of a, and so does a: once
	// they sync, the two values are concurrent siblings.
	tlsB := tls("b")
	alone := startAgent(t, bin, filepath.Join(dir, "b"), append(tlsB, "--listen", "127.0.0.1:0")...)
	runCLI(t, bin, alone.addr, "", "kv", "put", "both", "from-b")
	alone.stop(t)
	runCLI(t, bin, a.addr, "", "kv", "put", "both", "from-a")
	b := startAgent(t, bin, filepath.Join(dir, "b"), append(tlsB, "--listen", "127.0.0.1:0", "--peer", a.peerAddr)...)
	defer b.stop(t)

	watch := bufio.NewReader(openWatch(t, b.addr))
	runCLI(t, bin, a.addr, "", "kv", "put", "shared/k", "from-a")
	for {
		line, err := watch.ReadString('\n')
		if err != nil {
			t.Fatalf("watch on b ended before the write on a arrived: %v\nlogs of b:\n%s", err, b.logs.String())
		}
		if strings.Contains(line, `"key":"shared/k"`) {
			break
		}
	}
	if got := runCLI(t, bin, b.addr, "", "kv", "get", "shared/k"); got != "from-a" {
		t.Errorf("b has %q", got)
	}
	checkConflict(t, bin, b.addr)
	var st struct {
		Peers []struct{ Connected bool } `json:"peers"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, bin, b.addr, "", "status", "-o", "json")), &st); err != nil || len(st.Peers) != 1 || !st.Peers[0].Connected {
		t.Errorf("status of b: %+v, %v; want one connected peer", st, err)
	}
	resp, err := http.Get(b.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"shoal_peers 1\n", "shoal_peer_connected{peer=", "shoal_sync_bytes_received_total{peer="} {
		if !strings.Contains(string(text), want) {
			t.Errorf("metrics of b lack %s", want)
		}
	}
}

// checkConflict waits for the siblings of "both" to meet on the node at
// addr, then checks the Shoal-Conflicts header and the detail. Polling:
// nothing signals when a peer's catch-up has reached that key.
func checkConflict(t *testing.T, bin, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(addr + "/v1/kv/both")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Shoal-Conflicts") == "1" {
			if b := string(body); b != "from-a" && b != "from-b" {
				t.Errorf("winner %q", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no conflict shown within 20s: %q, header %q", body, resp.Header.Get("Shoal-Conflicts"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var d struct {
		Value    []byte
		Siblings []struct{ Value []byte }
	}
	out := runCLI(t, bin, addr, "", "kv", "get", "both", "-o", "json")
	if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.Siblings) != 1 || string(d.Value) == string(d.Siblings[0].Value) {
		t.Errorf("detail = %s", out)
	}
}
