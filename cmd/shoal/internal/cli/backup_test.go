package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
)

// TestBackupAndRestoreCommands drives shoal backup against an API and
// shoal restore on its output: the arguments each takes, what each prints
// in text and JSON, and that the restored node has the data and a new id.
func TestBackupAndRestoreCommands(t *testing.T) {
	ts, db := server(t)
	mustPut(t, db, "k", "v")
	tmp := t.TempDir()
	b1, b2 := filepath.Join(tmp, "b1"), filepath.Join(tmp, "b2")

	out, err := run(t, ts.URL, "", "backup", b1)
	if err != nil || !strings.HasPrefix(out, "backup written to "+b1+" (") || !strings.HasSuffix(out, " bytes)\n") {
		t.Errorf("backup DIR = %q, %v", out, err)
	}
	var res httpapi.BackupResult
	out, err = run(t, ts.URL, "", "backup", "--out", b2, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Dir != b2 || res.Bytes <= 0 {
		t.Errorf("backup --out DIR -o json = %q, %v", out, err)
	}

	r1 := filepath.Join(tmp, "r1")
	out, err = run(t, ts.URL, "", "restore", "--from", b1, "--data", r1)
	if want := fmt.Sprintf("restored %s into %s: node ", b1, r1); err != nil || !strings.HasPrefix(out, want) || strings.Contains(out, db.ID()) {
		t.Errorf("restore = %q, %v; want %q and an id other than %s", out, err, want+"...", db.ID())
	}
	var r Restored
	r2 := filepath.Join(tmp, "r2")
	out, err = run(t, ts.URL, "", "restore", "--from", b2, "--data", r2, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.From != b2 || r.Dir != r2 || r.NodeID == "" || r.NodeID == db.ID() {
		t.Errorf("restore -o json = %q, %v", out, err)
	}
	if !strings.Contains(mustRun(t, ts.URL, "status"), "vector ranges 0\n") {
		t.Error("status does not print the vector's ranges")
	}
}

// TestBackupAndRestoreArgs checks the usage errors, before any request or
// file is touched.
func TestBackupAndRestoreArgs(t *testing.T) {
	ts, _ := server(t)
	tmp := t.TempDir()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"backup"}, "missing the backup directory"},
		{[]string{"backup", "/a", "--out", "/b"}, "not both"},
		{[]string{"backup", "/a", "/b"}, "accepts at most 1 arg"},
		{[]string{"backup", "relative"}, "not an absolute path"},
		{[]string{"backup", tmp}, "already exists"},
		{[]string{"restore", "--data", filepath.Join(tmp, "x")}, `required flag(s) "from" not set`},
		{[]string{"restore", "--from", tmp}, `required flag(s) "data" not set`},
		{[]string{"restore", "--from", tmp, "--data", filepath.Join(tmp, "x"), "extra"}, "unknown command"},
		{[]string{"restore", "--from", tmp, "--data", filepath.Join(tmp, "x"), "-o", "yaml"}, "want text or json"},
		{[]string{"restore", "--from", filepath.Join(tmp, "none"), "--data", filepath.Join(tmp, "x")}, "no such backup directory"},
	} {
		_, err := run(t, ts.URL, "", c.args...)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("shoal %s: %v, want an error saying %q", strings.Join(c.args, " "), err, c.says)
		}
	}
}

func mustRun(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, err := run(t, addr, "", args...)
	if err != nil {
		t.Fatalf("shoal %s: %v", strings.Join(args, " "), err)
	}
	return out
}
