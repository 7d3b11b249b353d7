package storage

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package doc: of Shoal's packages storage
// imports only crdt, and besides the standard library only Pebble.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowedImport(path) {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

func allowedImport(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") || // standard library
		path == "github.com/shoal-db/shoal/crdt" ||
		path == "github.com/cockroachdb/pebble/v2" ||
		strings.HasPrefix(path, "github.com/cockroachdb/pebble/v2/")
}
