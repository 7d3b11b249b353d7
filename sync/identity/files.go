package identity

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writePEM writes one PEM block to path, which must not exist. The file
// appears whole or not at all: it is written and synced under a temporary
// name, then hard-linked into place (a link fails if the name exists, so
// two writers never overwrite each other).
func writePEM(path, blockType string, der []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = errors.Join(
		tmp.Chmod(mode),
		pem.Encode(tmp, &pem.Block{Type: blockType, Bytes: der}),
		tmp.Sync(),
		tmp.Close(),
	)
	if err != nil {
		return fmt.Errorf("identity: write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
		return fmt.Errorf("identity: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// refuseExisting fails with ErrExists if any of paths exists, so that a
// command writing several files checks them all before writing any.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		_, err := os.Lstat(p)
		if err == nil {
			return fmt.Errorf("%w: %s (remove it first to replace it)", ErrExists, p)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("identity: %w", err)
		}
	}
	return nil
}

// syncDir makes a directory's new entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("identity: sync %s: %w", dir, err)
	}
	return nil
}
