package httpapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/node"
)

// TestBackup writes a backup over the API while the node serves, restores
// it, and checks that the copy holds what was written before the request
// and nothing after it.
func TestBackup(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	must(t, e.db.Put(ctx, "before", []byte("1")))
	dir := filepath.Join(t.TempDir(), "new", "backup") // parents are made
	var res httpapi.BackupResult
	e.wantJSON(201, "POST", "/v1/admin/backup", `{"dir": "`+dir+`"}`, &res)
	if res.Dir != dir || res.Bytes <= 0 {
		t.Errorf("answer %+v, want dir %s and a size", res, dir)
	}
	must(t, e.db.Put(ctx, "after", []byte("2")))

	restored := filepath.Join(t.TempDir(), "restored")
	must(t, node.Restore(dir, restored, &node.Options{Logger: quiet}))
	db, err := node.Open(restored, &node.Options{Logger: quiet})
	must(t, err)
	defer db.Close()
	if it, err := db.Get(ctx, "before"); err != nil || string(it.Value) != "1" {
		t.Errorf("backup lacks the write made before it: %v, %v", it, err)
	}
	if _, err := db.Get(ctx, "after"); err == nil {
		t.Error("backup holds a write made after it")
	}
}

// TestBackupBadDir checks each directory the route refuses, with its
// status and a JSON error naming the problem; none of them is created.
func TestBackupBadDir(t *testing.T) {
	data := t.TempDir() // stands for the node's data directory
	e := newEnv(t, nil, httpapi.Options{DataDir: data})
	exists := t.TempDir()
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, []byte("x"), 0o600))
	cases := []struct {
		body string
		code int
		says string
	}{
		{`{}`, 400, `missing field "dir"`},
		{`{"dir": ""}`, 400, `missing field "dir"`},
		{`{"dir": "relative/dir"}`, 400, "not an absolute path"},
		{`{"dir": 7}`, 400, `wrong JSON type for "dir"`},
		{`{"dir": "/x", "compress": true}`, 400, `unknown field "compress"`},
		{`{"dir":`, 400, "malformed JSON"},
		{``, 400, "empty body"},
		{`{"dir": "` + data + `"}`, 400, "inside the node's data directory"},
		{`{"dir": "` + filepath.Join(data, "sub") + `"}`, 400, "inside the node's data directory"},
		{`{"dir": "` + filepath.Join(file, "sub") + `"}`, 400, "cannot write the backup into"},
		{`{"dir": "` + exists + `"}`, 409, "already exists"},
		{`{"dir": "` + file + `"}`, 409, "already exists"},
	}
	for _, c := range cases {
		code, h, body := e.do("POST", "/v1/admin/backup", c.body)
		var msg struct{ Error string }
		err := json.Unmarshal(body, &msg)
		if code != c.code || err != nil || !strings.Contains(msg.Error, c.says) || h.Get("Content-Type") != "application/json" {
			t.Errorf("POST %s: %d %s; want %d with an error saying %q", c.body, code, body, c.code, c.says)
		}
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("a refused backup left %d entries in the data directory", len(entries))
	}
	code, h, _ := e.do("GET", "/v1/admin/backup", "")
	if code != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET /v1/admin/backup: %d, Allow %q; want 405, POST", code, h.Get("Allow"))
	}
}

// TestBackupClosedNode: a backup asked for while the node closes is a 503,
// as every other request then, and leaves no directory behind.
func TestBackupClosedNode(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	must(t, e.db.Close())
	dir := filepath.Join(t.TempDir(), "b")
	e.want(503, "POST", "/v1/admin/backup", `{"dir": "`+dir+`"}`)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s: %v", dir, err)
	}
}
