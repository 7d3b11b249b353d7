package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore backs up a running agent with `shoal backup`, writes
// more, stops it, restores the backup with `shoal restore` and starts an
// agent on it: the writes made before the backup are there, the later ones
// are not, and the node has a fresh id (the one restore printed). A start
// with --fresh-replica then takes another id and keeps the data.
func TestBackupRestore(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
	a := startAgent(t, bin, filepath.Join(dir, "data"))
	defer a.stop(t)
	runCLI(t, bin, a.addr, "", "kv", "put", "early/1", "one")
	runCLI(t, bin, a.addr, "", "counter", "add", "early/c", "3")
	runCLI(t, bin, a.addr, "", "set", "add", "early/s", "x")
	original := nodeID(t, bin, a.addr)

	backup := filepath.Join(dir, "backup")
	if out := runCLI(t, bin, a.addr, "", "backup", backup); !strings.HasPrefix(out, "backup written to "+backup) {
		t.Errorf("backup printed %q", out)
	}
	runCLI(t, bin, a.addr, "", "kv", "put", "late/1", "two")
	runCLI(t, bin, a.addr, "", "counter", "add", "early/c", "4")
	runCLI(t, bin, a.addr, "", "set", "add", "early/s", "y")
	a.stop(t)

	restored := filepath.Join(dir, "restored")
	var r struct {
		NodeID string `json:"node_id"`
	}
	out := runCLI(t, bin, "", "", "restore", "--from", backup, "--data", restored, "-o", "json")
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.NodeID == "" || r.NodeID == original {
		t.Fatalf("restore printed %q (%v); want a node id other than %s", out, err, original)
	}
	runCLI(t, bin, "", "shoal: --data "+restored+" is not empty: restore into a new or empty directory (move the old data aside first; no agent may run on it)\n",
		"restore", "--from", backup, "--data", restored)

	b := startAgent(t, bin, restored)
	defer b.stop(t)
	wantBackup(t, bin, b.addr)
	if id := nodeID(t, bin, b.addr); id != r.NodeID {
		t.Errorf("restored agent runs as %s; restore printed %s", id, r.NodeID)
	}
	runCLI(t, bin, b.addr, "", "kv", "put", "after/restore", "three")
	b.stop(t)

	c := startAgent(t, bin, restored, "--fresh-replica")
	defer c.stop(t)
	if id := nodeID(t, bin, c.addr); id == r.NodeID || id == original {
		t.Errorf("--fresh-replica kept the id %s", id)
	}
	if !strings.Contains(c.logs.String(), "fresh-replica is set") {
		t.Errorf("--fresh-replica was not logged:\n%s", c.logs.String())
	}
	wantBackup(t, bin, c.addr)
	if got := runCLI(t, bin, c.addr, "", "kv", "get", "after/restore"); got != "three" {
		t.Errorf("after --fresh-replica, after/restore = %q", got)
	}
}

// wantBackup checks that the agent at addr holds the writes made before
// the backup and none of those made after it.
func wantBackup(t *testing.T, bin, addr string) {
	t.Helper()
	for args, want := range map[string]string{
		"kv get early/1":      "one",
		"counter get early/c": "3\n",
		"set members early/s": "x\n",
	} {
		if got := runCLI(t, bin, addr, "", strings.Fields(args)...); got != want {
			t.Errorf("%s = %q, want %q", args, got, want)
		}
	}
	runCLI(t, bin, addr, "shoal: not found: key \"late/1\"\n", "kv", "get", "late/1")
}

func nodeID(t *testing.T, bin, addr string) string {
	t.Helper()
	var st struct {
		NodeID string `json:"node_id"`
	}
	out := runCLI(t, bin, addr, "", "status", "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.NodeID == "" {
		t.Fatalf("status -o json = %q (%v)", out, err)
	}
	return st.NodeID
}
