package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoal-db/shoal/node"
)

// Restore makes dir (new, or an empty directory) a node from the backup in
// from, with a fresh replica id (node.Restore), and returns the node's id.
// It works on the files: no agent may run on dir, which a non-empty dir
// refuses anyway. Both directories are checked first, with errors that
// name the flag at fault; if the restore fails, what it wrote is removed
// (dir was new or empty, so all of it is the restore's).
func Restore(from, dir string, log *slog.Logger) (string, error) {
	opts := &node.Options{Logger: log}
	if err := checkBackup(from); err != nil {
		return "", err
	}
	existed, err := checkTarget(dir)
	if err != nil {
		return "", err
	}
	if err := node.Restore(from, dir, opts); err != nil {
		return "", errors.Join(err, undoRestore(dir, existed))
	}
	db, err := node.Open(dir, opts) // local-only: reads the id, dials no one
	if err != nil {
		return "", fmt.Errorf("restored into %s, but cannot open it: %w", dir, err)
	}
	id := db.ID()
	return id, db.Close()
}

// checkBackup refuses a backup directory that is missing or holds no
// store. node.Restore would turn either into an empty node without a
// word: the store would simply be created anew in the target.
func checkBackup(from string) error {
	info, err := os.Stat(from)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--from %s: no such backup directory", from)
	case err != nil:
		return fmt.Errorf("--from: %w", err)
	case !info.IsDir():
		return fmt.Errorf("--from %s is not a directory: give the directory shoal backup wrote", from)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "MANIFEST-") { // a store always has one
			return nil
		}
	}
	return fmt.Errorf("--from %s holds no backup (no store files in it): give the directory shoal backup wrote", from)
}

// checkTarget refuses a target that is not a directory or not empty, and
// reports whether it exists.
func checkTarget(dir string) (existed bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("--data: %w", err)
	case len(entries) > 0:
		return true, fmt.Errorf("--data %s is not empty: restore into a new or empty directory (move the old data aside first; no agent may run on it)", dir)
	}
	return true, nil
}

// undoRestore removes what a failed restore put into dir.
func undoRestore(dir string, existed bool) error {
	if !existed {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	for _, e := range entries {
		err = errors.Join(err, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return err
}
