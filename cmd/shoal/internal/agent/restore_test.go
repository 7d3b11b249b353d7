package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/node"
)

var quiet = slog.New(slog.DiscardHandler)

// backupOf makes a node with one key, backs it up into a new directory and
// closes it; it returns the backup and the node's id.
func backupOf(t *testing.T) (string, string) {
	t.Helper()
	db, err := node.Open(filepath.Join(t.TempDir(), "data"), &node.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backup")
	if err := db.Backup(dir); err != nil {
		t.Fatal(err)
	}
	return dir, db.ID()
}

// TestRestore restores into a new and into an empty directory: each is a
// node with the backup's data under an id of its own, the one returned.
func TestRestore(t *testing.T) {
	backup, original := backupOf(t)
	empty := t.TempDir()
	for _, dir := range []string{filepath.Join(t.TempDir(), "new"), empty} {
		id, err := Restore(backup, dir, quiet)
		if err != nil {
			t.Fatalf("restore into %s: %v", dir, err)
		}
		db, err := node.Open(dir, &node.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		it, err := db.Get(context.Background(), "k")
		if err != nil || string(it.Value) != "v" || db.ID() != id || id == original {
			t.Errorf("restored %s: k = %v (%v), id %s, returned %s, original %s", dir, it, err, db.ID(), id, original)
		}
		db.Close()
	}
}

// TestRestoreRefuses checks the directories refused before anything is
// written, each with an error naming the flag at fault. node.Restore alone
// would make an empty node from a missing or store-less backup.
func TestRestoreRefuses(t *testing.T) {
	backup, _ := backupOf(t)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	cases := []struct{ from, dir, says string }{
		{filepath.Join(t.TempDir(), "none"), target, "no such backup directory"},
		{file, target, "is not a directory"},
		{t.TempDir(), target, "holds no backup"},
		{backup, full, "--data " + full + " is not empty"},
		{backup, backup, "is not empty"},
		{backup, file, "--data"},
	}
	for _, c := range cases {
		_, err := Restore(c.from, c.dir, quiet)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("restore --from %s --data %s: %v, want an error saying %q", c.from, c.dir, err, c.says)
		}
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("a refused restore made %s: %v", target, err)
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("a refused restore changed the non-empty target: %d entries", len(entries))
	}
}

// TestRestoreUndone gives a backup whose store cannot be opened: the
// restore fails and leaves the target as it found it, so that it can be
// tried again.
func TestRestoreUndone(t *testing.T) {
	bad := t.TempDir() // a store whose current manifest is garbage
	for _, name := range []string{"MANIFEST-000001", "marker.manifest.000001.MANIFEST-000001"} {
		if err := os.WriteFile(filepath.Join(bad, name), []byte("not a manifest"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fresh, empty := filepath.Join(t.TempDir(), "fresh"), t.TempDir()
	for _, dir := range []string{fresh, empty} {
		_, err := Restore(bad, dir, quiet)
		if err == nil || !strings.Contains(err.Error(), "restore: open") {
			t.Fatalf("restore of a broken backup into %s: %v, want node.Restore's failure to open it", dir, err)
		}
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a failed restore left %s behind: %v", fresh, err)
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Errorf("a failed restore left %d entries in the empty target (%v)", len(entries), err)
	}
}
