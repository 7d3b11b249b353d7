package httpapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// BackupRequest is the body of POST /v1/admin/backup: the directory, on
// the agent's machine, to write the backup into. It must be an absolute
// path that does not exist yet.
type BackupRequest struct {
	Dir string `json:"dir"`
}

// BackupResult is the answer of a backup: where it is and the total size
// of its files. Files are hard links to the node's where the file system
// allows, so the backup may take less new disk space than Bytes.
type BackupResult struct {
	Dir   string `json:"dir"`
	Bytes int64  `json:"bytes"`
}

// backup writes a consistent copy of the node into the directory asked
// for (node.DB.Backup) while the node keeps serving: 201 with the result,
// 400 for a bad directory, 409 if it exists.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	var body BackupRequest
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.writeBad(w, err)
		return
	}
	dir, err := s.backupDir(body.Dir)
	if err != nil {
		s.writeBad(w, err)
		return
	}
	start := time.Now()
	if err := s.db.Backup(dir); err != nil {
		s.backupError(w, r, dir, err)
		return
	}
	n, err := dirBytes(dir)
	if err != nil {
		s.log.Warn("backup written, but its size could not be read", "dir", dir, "err", err)
	}
	s.log.Info("backup written", "dir", dir, "bytes", n, "took", time.Since(start).Round(time.Millisecond))
	s.metrics.Op("backup")
	writeJSON(w, http.StatusCreated, BackupResult{Dir: dir, Bytes: n})
}

// backupDir checks the directory of a backup request before any file is
// written: absolute (a relative path would name a place relative to the
// agent's working directory, which the caller cannot see), outside the
// node's data directory (a backup must survive losing it), not there yet.
func (s *Server) backupDir(dir string) (string, error) {
	bad := func(code int, format string, args ...any) error {
		return &badRequest{code, fmt.Sprintf(format, args...)}
	}
	switch {
	case dir == "":
		return "", bad(http.StatusBadRequest, `missing field "dir": want {"dir": "/absolute/path"}`)
	case !filepath.IsAbs(dir):
		return "", bad(http.StatusBadRequest, "backup directory %q is not an absolute path (it is a path on the agent's machine)", dir)
	}
	dir = filepath.Clean(dir)
	if data, ok := within(dir, s.opts.DataDir); ok {
		return "", bad(http.StatusBadRequest, "backup directory %s is inside the node's data directory %s: put it elsewhere, so that it survives losing the data", dir, data)
	}
	if _, err := os.Lstat(dir); err == nil {
		return "", bad(http.StatusConflict, "backup directory %s already exists: name a new one", dir)
	}
	return dir, nil
}

// within reports whether dir is root or below it, and returns root made
// absolute (the agent may have been given a relative data directory). An
// empty root contains nothing.
func within(dir, root string) (string, bool) {
	if root == "" {
		return "", false
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(root, dir)
	return root, err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// backupError answers a failed backup: the directory appearing meanwhile
// is a 409, one the agent cannot create (no permission, a read-only or
// special file system, a file in the path) a 400; anything else is the
// node's (a full disk, a closed node).
func (s *Server) backupError(w http.ResponseWriter, r *http.Request, dir string, err error) {
	switch {
	case errors.Is(err, fs.ErrExist):
		writeError(w, http.StatusConflict, "backup directory %s already exists: name a new one", dir)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EROFS):
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe // "mkdir /x: permission denied", without the layers above
		}
		writeError(w, http.StatusBadRequest, "cannot write the backup into %s: %v", dir, err)
	default:
		s.nodeError(w, r, err)
	}
}

// dirBytes adds up the sizes of the files under dir: one stat per file of
// the store, cheap beside writing them.
func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}
