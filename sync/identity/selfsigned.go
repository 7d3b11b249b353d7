package identity

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SelfSignedName is the node name of the certificate EnsureSelfSigned makes.
const SelfSignedName = "node"

// EnsureSelfSigned gives a node started without certificates an identity
// of its own: dataDir/tls/ca.{crt,key} and dataDir/tls/node.{crt,key},
// made on the first call (created is true) and reused on every later one.
// Other nodes can join it only with certificates from this CA.
//
// The directory appears whole or not at all: it is made under a temporary
// name and renamed into place. A tls directory holding only some of the
// files gives ErrIncomplete rather than a new identity.
func EnsureSelfSigned(dataDir string) (caFile, certFile, keyFile string, created bool, err error) {
	dir := filepath.Join(dataDir, "tls")
	files := []string{
		filepath.Join(dir, "ca.crt"), filepath.Join(dir, SelfSignedName+".crt"),
		filepath.Join(dir, SelfSignedName+".key"), filepath.Join(dir, "ca.key"),
	}
	n, err := countExisting(files)
	switch {
	case err != nil:
		return "", "", "", false, err
	case n == len(files):
		return files[0], files[1], files[2], false, nil
	case n > 0:
		return "", "", "", false, fmt.Errorf("%w: %s holds %d of %s", ErrIncomplete, dir, n, strings.Join(files, ", "))
	}
	if err := makeSelfSigned(dataDir, dir); err != nil {
		return "", "", "", false, err
	}
	return files[0], files[1], files[2], true, nil
}

// makeSelfSigned writes a CA and a node certificate into a temporary
// directory and renames it to dir.
func makeSelfSigned(dataDir, dir string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	tmp, err := os.MkdirTemp(dataDir, ".tls-new-")
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := InitCA(tmp); err != nil {
		return err
	}
	if err := Issue(tmp, SelfSignedName, nil); err != nil {
		return err
	}
	// Rename replaces only a missing or empty directory: two nodes racing
	// on one data directory cannot both install an identity.
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("identity: install %s: %w", dir, err)
	}
	return syncDir(dataDir)
}

// countExisting returns how many of paths exist.
func countExisting(paths []string) (int, error) {
	n := 0
	for _, p := range paths {
		_, err := os.Stat(p)
		switch {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			return 0, fmt.Errorf("identity: %w", err)
		}
	}
	return n, nil
}
