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

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// shoalBinary builds shoal once for all the tests of the package.
func shoalBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "shoal-bin")
		if build.err == nil {
			build.bin = filepath.Join(build.dir, "shoal")
			build.out, build.err = exec.Command("go", "build", "-o", build.bin, ".").CombinedOutput()
		}
	})
	if build.err != nil {
		t.Fatalf("go build: %v\n%s", build.err, build.out)
	}
	return build.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
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
				Addr string
			}
			_ = json.Unmarshal(sc.Bytes(), &line)
			switch line.Msg {
			case "shoal: listening for peers":
				peer = line.Addr
			case "serving HTTP API":
				addrc <- [2]string{"http://" + line.Addr, peer}
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

// kill sends SIGKILL: no shutdown code runs, as in a crash or a power
// cut of the process (the disk keeps what was synced).
func (a *agentProc) kill(t *testing.T) {
	t.Helper()
	a.ended = true
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not die within 30s of SIGKILL")
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
