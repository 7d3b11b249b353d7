package archcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/shoal-db/shoal"

// allowed maps a package directory (or a prefix ending in "/") to the
// packages of ours it may import. This is the import direction of
// docs/ARCHITECTURE.md; change both together.
var allowed = map[string][]string{
	"crdt":               {},
	"crdt/scope":         {},
	"storage":            {"crdt", "crdt/scope"},
	"sync/":              {"crdt", "crdt/scope", "sync/"},
	"sync/reconcile":     {"crdt"}, // generic: scopes today, rows for collection later
	"node":               {"crdt", "crdt/scope", "storage", "sync/"},
	"cmd/":               {"node", "cmd/", "sync/identity"},
	"bench":              {"node", "bench", "crdt", "sync/identity", "sync/transport"},
	"bench/":             {"node", "bench", "crdt", "sync/identity", "sync/transport"},
	"internal/archcheck": {},
	"internal/rapidseed": {},
}

// thirdParty limits where heavy dependencies may be imported: only the
// transport speaks QUIC (and bench, for its raw-stream baseline), and
// Pebble stays behind storage (node passes a vfs.FS through; bench uses
// Pebble as its baseline).
var thirdParty = map[string][]string{
	"github.com/quic-go/quic-go":           {"sync/transport", "bench", "bench/"},
	"github.com/cockroachdb/pebble/v2":     {"storage", "node", "bench", "bench/"},
	"github.com/cockroachdb/pebble/v2/vfs": {"storage", "node", "bench", "bench/"},
}

func TestImportDirection(t *testing.T) {
	for dir, imports := range packages(t) {
		for _, imp := range imports {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				if !matches(rel, allowedFor(t, dir)) {
					t.Errorf("%s imports %s: against the direction in docs/ARCHITECTURE.md", dir, rel)
				}
				continue
			}
			for lib, users := range thirdParty {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !matches(dir, users) {
					t.Errorf("%s imports %s; only %v may", dir, imp, users)
				}
			}
		}
	}
}

func TestEveryPackageHasDoc(t *testing.T) {
	for dir := range packages(t) {
		if !hasPackageDoc(t, dir) {
			t.Errorf("package %s has no package doc comment (put one in doc.go)", dir)
		}
	}
}

// allowedFor returns the allowed imports of dir, failing for a package the
// table does not know (a new package must be placed in the layout).
func allowedFor(t *testing.T, dir string) []string {
	if a, ok := allowed[dir]; ok {
		return a
	}
	for prefix, a := range allowed {
		if strings.HasSuffix(prefix, "/") && strings.HasPrefix(dir, prefix) {
			return a
		}
	}
	t.Errorf("package %s is not in the import table of archcheck_test.go", dir)
	return nil
}

// matches reports whether pkg is one of patterns, or under a pattern ending in "/".
func matches(pkg string, patterns []string) bool {
	for _, p := range patterns {
		if pkg == p || strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// packages returns each package directory of the module (relative to its
// root) with the imports of its non-test Go files.
func packages(t *testing.T) map[string][]string {
	root := filepath.Join("..", "..")
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		out[rel] = append(out[rel], importPaths(f.Imports)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 4 {
		t.Fatalf("found only %d packages under %s; is the test running from its own directory?", len(out), root)
	}
	return out
}

func importPaths(specs []*ast.ImportSpec) []string {
	out := make([]string, 0, len(specs))
	for _, s := range specs {
		p, _ := strconv.Unquote(s.Path.Value)
		out = append(out, p)
	}
	return out
}

func hasPackageDoc(t *testing.T, dir string) bool {
	entries, err := os.ReadDir(filepath.Join("..", "..", dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", dir, name), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc == nil {
			continue
		}
		doc := f.Doc.Text()
		if strings.HasPrefix(doc, "Package "+f.Name.Name+" ") ||
			f.Name.Name == "main" && (strings.HasPrefix(doc, "Command ") || strings.HasPrefix(doc, path.Base(dir)+" ")) {
			return true // commands follow Go's convention: "Command shoal ..." or "Shoal ..."
		}
	}
	return false
}
