package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTwoAgents makes a CA and two node certificates with the cert
// commands, runs two agents that peer over QUIC with mutual TLS, and
// checks that a write on one reaches a watch on the other.
func TestTwoAgents(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
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
