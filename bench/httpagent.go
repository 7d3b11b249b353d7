package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildShoal builds the shoal command into dir and returns its path.
// Package bench may not import cmd/shoal (it uses node's API only), and
// the point is to measure the real binary anyway.
func buildShoal(dir string) (string, error) {
	bin := filepath.Join(dir, "shoal")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/shoal-db/shoal/cmd/shoal").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("bench: go build shoal: %w\n%s", err, out)
	}
	return bin, nil
}

// agentProcess is a running `shoal agent`.
type agentProcess struct {
	cmd  *exec.Cmd
	url  string // the HTTP API, http://127.0.0.1:port
	logs *tailBuffer
	done chan error
}

// startShoalAgent runs bin's agent on data, local-only, with its API on
// a free loopback port, and waits for it to log that port.
func startShoalAgent(bin, data string) (*agentProcess, error) {
	cmd := exec.Command(bin, "agent", "--data", data, "--api", "127.0.0.1:0", "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start agent: %w", err)
	}
	a := &agentProcess{cmd: cmd, logs: &tailBuffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go a.readLogs(stderr, addr)
	select {
	case u := <-addr:
		a.url = u
		return a, nil
	case err := <-a.done:
		return nil, fmt.Errorf("bench: agent exited: %v\n%s", err, a.logs)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("bench: agent did not serve within 30s\n%s", a.logs)
	}
}

// readLogs keeps the agent's last log lines, sends the API's URL once it
// is logged, and reports the exit. Reading to the end keeps the pipe from
// filling up and stalling the agent.
func (a *agentProcess) readLogs(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		a.logs.add(sc.Text())
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving HTTP API" {
			addr <- "http://" + line.Addr
		}
	}
	a.done <- a.cmd.Wait()
}

// stop shuts the agent down with SIGTERM, as an operator would, and
// reports a non-zero exit.
func (a *agentProcess) stop() error {
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-a.done:
		if err != nil {
			return fmt.Errorf("bench: agent exited with %v\n%s", err, a.logs)
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.Join(errors.New("bench: agent did not stop within 30s"), a.cmd.Process.Kill())
	}
}

// tailBuffer keeps the last lines written to it, for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *tailBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lines = append(b.lines, line); len(b.lines) > 50 {
		b.lines = b.lines[1:]
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}
