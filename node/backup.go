package node

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/storage"
)

// Backup writes a consistent copy of the node's data into dir, which must
// not exist, while the node keeps serving. Everything acknowledged before
// the call is in the copy. Bring a copy back with Restore, never by
// copying it into place by hand: see Restore.
//
// A node that is re-issuing a copied directory's writes under a fresh id
// (see ErrCopiedDirectory) refuses until that ends: the backup would hold
// those writes under the old id too.
func (db *DB) Backup(dir string) error {
	if err := db.beginRead(); err != nil {
		return err
	}
	defer db.pointReads.RUnlock()
	db.rekeying.Lock() // no fresh id taken during the checkpoint
	defer db.rekeying.Unlock()
	return mapStorageErr(db.store.Checkpoint(dir))
}

var (
	// ErrRestoreTarget: Restore's target directory exists and is not empty.
	ErrRestoreTarget = errors.New("shoal: restore target exists and is not empty")
	// ErrNoBackup: Restore's source holds no store.
	ErrNoBackup = errors.New("shoal: not a backup")
)

// isStore reports whether dir holds a Pebble store (its CURRENT file or a
// manifest).
func isStore(fs vfs.FS, dir string) bool {
	names, err := fs.List(dir)
	if err != nil {
		return false
	}
	for _, n := range names {
		if n == "CURRENT" || strings.HasPrefix(n, "MANIFEST-") {
			return true
		}
	}
	return false
}

// Restore makes dir a node from the backup in from (made by Backup), with
// a fresh replica id. The node the backup was taken from may have gone on
// writing after it: had the copy kept its id, it would mint dots that
// node already used, and its new writes would never reach the peers that
// saw those. Writes in the backup keep their dots and replicate as usual.
// opts gives the file system (nil: the disk) and, through TLS or
// Transport, the certificate the node will run with, so that the fresh id
// is the one derived from it (without one, a random id, replaced by a
// derived one at the first Open that replicates); dir must not exist or be
// empty.
func Restore(from, dir string, opts *Options) error {
	o := opts.clone().ensureDefaults()
	fs := o.FS
	if fs == nil {
		fs = vfs.Default
	}
	if names, err := fs.List(dir); err == nil && len(names) > 0 {
		return fmt.Errorf("%w: %s", ErrRestoreTarget, dir)
	} else if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("shoal: restore into %s: %w", dir, err)
	}
	if !isStore(fs, from) {
		return fmt.Errorf("%w: %s holds no store", ErrNoBackup, from)
	}
	if _, err := vfs.Clone(fs, fs, from, dir, vfs.CloneSync); err != nil {
		return fmt.Errorf("shoal: restore %s into %s: %w", from, dir, err)
	}
	key, err := o.identityKey()
	if err != nil {
		return err
	}
	st, err := storage.Open(dir, &storage.Options{FS: fs, Logger: o.Logger, FreshReplica: true, IdentityKey: key})
	if err != nil {
		return fmt.Errorf("shoal: restore: open %s: %w", dir, err)
	}
	return st.Close()
}
