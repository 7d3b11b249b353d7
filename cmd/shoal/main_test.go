package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds shoal, runs an agent on a random loopback port, drives
// it with the CLI, stops it with SIGTERM while a watch stream is open, and
// checks that it exits 0 and that a restarted agent has the data.
func TestBinary(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
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
