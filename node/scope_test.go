package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/crdt/scope"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/wire"
)

// rulesHex is the hex hash of patterns, as Status and errors show it.
func rulesHex(t *testing.T, patterns ...string) string {
	t.Helper()
	r, err := scope.Parse(patterns)
	must(t, err)
	h := r.Hash()
	return hex.EncodeToString(h[:])
}

// TestScopeRulesSameSync: nodes with the same rules sync as ever, and
// Status shows the rules and their hash.
func TestScopeRulesSameSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		rules := []string{"users/admin/", "users/{user}/", "catalog/"}
		c := &cluster{t: t, net: newMemNet(), fss: []vfs.FS{vfs.NewMem(), vfs.NewMem()}, dbs: make([]*DB, 2)}
		for i := range 2 {
			c.openWith(i, func(o *Options) { o.ScopeRules = rules })
		}
		defer c.close()
		must(t, c.dbs[0].Put(ctx, "users/alice/cart", []byte("a")))
		must(t, c.dbs[1].Put(ctx, "catalog/item", []byte("b")))
		state := c.waitConverged(30 * time.Second)
		if want := "catalog/item:register=b\nusers/alice/cart:register=a\n"; state != want {
			t.Fatalf("converged to\n%s\nwant\n%s", state, want)
		}
		for _, db := range c.dbs {
			st, err := db.Status()
			must(t, err)
			if st.ScopeRulesHash != rulesHex(t, rules...) || strings.Join(st.ScopeRules, " ") != strings.Join(rules, " ") ||
				st.ScopeRulesMismatches != 0 {
				t.Fatalf("status rules %s %q mismatches %d, want %s %q 0",
					st.ScopeRulesHash, st.ScopeRules, st.ScopeRulesMismatches, rulesHex(t, rules...), rules)
			}
		}
	})
}

// countingHandler counts the log records at Error level whose message
// and attributes contain want.
type countingHandler struct {
	mu     sync.Mutex
	want   string
	errors int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	text := r.Message
	r.Attrs(func(a slog.Attr) bool {
		text += " " + a.Value.String()
		return true
	})
	if strings.Contains(text, h.want) {
		h.mu.Lock()
		h.errors++
		h.mu.Unlock()
	}
	return nil
}

func (h *countingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.errors
}

// TestScopeRulesMismatchRefused: two nodes with different rules (one of
// them with none) dial each other and refuse every session, with
// ErrScopeRulesMismatch naming both hashes, in the peer's LastError, the
// mismatch count and one error log per refused session; redials follow
// the backoff; each keeps working locally and receives nothing.
func TestScopeRulesMismatchRefused(t *testing.T) {
	for _, bRules := range [][]string{{"sites/{site}/"}, nil} {
		t.Run(fmt.Sprintf("b=%q", bRules), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				aRules := []string{"users/{user}/"}
				net := newMemNet()
				open := func(name, peer string, rules []string, log *countingHandler) *DB {
					db, err := Open("db", &Options{FS: vfs.NewMem(), Logger: slog.New(log), Transport: net.transport(name),
						Listen: name, Peers: []string{peer}, ScopeRules: rules})
					must(t, err)
					return db
				}
				aLog := &countingHandler{want: ErrScopeRulesMismatch.Error()}
				bLog := &countingHandler{want: ErrScopeRulesMismatch.Error()}
				a, b := open("a", "b", aRules, aLog), open("b", "a", bRules, bLog)
				defer a.Close()
				defer b.Close()
				must(t, a.Put(ctx, "users/alice/cart", []byte("a")))
				must(t, b.Put(ctx, "sites/x/page", []byte("b")))

				const window = time.Minute
				time.Sleep(window)
				aHash, bHash := rulesHex(t, aRules...), rulesHex(t, bRules...)
				for _, n := range []struct {
					name string
					db   *DB
					log  *countingHandler
					peer string
				}{{"a", a, aLog, "b"}, {"b", b, bLog, "a"}} {
					n.db.repl.mu.Lock()
					err := n.db.repl.mu.lastErr[n.peer]
					n.db.repl.mu.Unlock()
					if !errors.Is(err, ErrScopeRulesMismatch) {
						t.Fatalf("%s: last error with %s: %v, want ErrScopeRulesMismatch", n.name, n.peer, err)
					}
					st, err := n.db.Status()
					must(t, err)
					if len(st.Peers) != 1 || st.Peers[0].Connected || st.Peers[0].Addr != n.peer {
						t.Fatalf("%s: peers %+v, want %s down", n.name, st.Peers, n.peer)
					}
					last := st.Peers[0].LastError
					if !strings.Contains(last, ErrScopeRulesMismatch.Error()) || !strings.Contains(last, aHash) || !strings.Contains(last, bHash) {
						t.Fatalf("%s: LastError %q does not name the mismatch and both hashes %s, %s", n.name, last, aHash, bHash)
					}
					// Backoff from 100ms to 10s, with jitter: some fifteen
					// dials a minute each way, each refused by both sides;
					// a hot loop would make thousands.
					if m := st.ScopeRulesMismatches; m == 0 || m > 100 {
						t.Fatalf("%s: %d sessions refused in %s", n.name, m, window)
					}
					if logs := n.log.count(); logs == 0 || uint64(logs) > st.ScopeRulesMismatches {
						t.Fatalf("%s: %d error logs for %d refused sessions", n.name, logs, st.ScopeRulesMismatches)
					}
				}
				if _, err := a.Get(ctx, "sites/x/page"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("a received b's write: %v", err)
				}
				if _, err := b.Get(ctx, "users/alice/cart"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("b received a's write: %v", err)
				}
				must(t, a.Put(ctx, "users/bob/cart", []byte("still local")))
				if it, err := a.Get(ctx, "users/bob/cart"); err != nil || string(it.Value) != "still local" {
					t.Fatalf("a local read: %v %v", it, err)
				}
			})
		})
	}
}

// TestScopeRulesOldPeer: a node without rules takes a peer speaking the
// Hello of before scope rules (no rules hash: the same bytes as before,
// see wire's TestHelloBytes), and one that shows the hash of no rules
// explicitly; its own Hello carries no hash; a peer showing rules is
// refused. Two nodes without rules sync as before (TestReplicationBasic).
func TestScopeRulesOldPeer(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1)
	defer c.close()
	must(t, c.dbs[0].Put(ctx, "users/alice/cart", []byte("v")))
	noRules := (*scope.Rules)(nil).Hash()
	someRules, err := scope.Parse([]string{"users/{user}/"})
	must(t, err)
	other := someRules.Hash()
	for _, tc := range []struct {
		name   string
		hash   []byte
		refuse bool
	}{{"old", nil, false}, {"explicit", noRules[:], false}, {"rules", other[:], true}} {
		t.Run(tc.name, func(t *testing.T) {
			nonce := []byte("nonce " + tc.name)
			conn := rawPeer(t, c.net, tc.name, "n0")
			must(t, conn.Send(&wire.Message{Seq: 1, Hello: &wire.Hello{Version: wire.Version,
				Replica: crdt.ReplicaIDFor(memKey(tc.name), nonce), VV: &crdt.VersionVector{}, Nonce: nonce, RulesHash: tc.hash}}))
			m, err := conn.Recv()
			if err != nil || m.Hello == nil {
				t.Fatalf("first message %+v, %v; want the node's Hello", m, err)
			}
			if m.Hello.RulesHash != nil {
				t.Fatalf("a node without rules sent rules hash %x", m.Hello.RulesHash)
			}
			if tc.refuse {
				waitRefused(t, conn)
				st, err := c.dbs[0].Status()
				must(t, err)
				if st.ScopeRulesMismatches != 1 {
					t.Fatalf("mismatches = %d, want 1", st.ScopeRulesMismatches)
				}
				return
			}
			var got []string
			for {
				m, err := conn.Recv()
				if err != nil {
					t.Fatalf("catch-up: %v (rows %q)", err, got)
				}
				for _, r := range m.Rows() {
					got = append(got, r.Key)
				}
				if m.Done != nil {
					break
				}
			}
			if len(got) != 1 || got[0] != "users/alice/cart" {
				t.Fatalf("catch-up rows %q", got)
			}
		})
	}
}

// TestScopeRulesChangedRefused: a data directory remembers its rules; an
// Open with others (or none) is refused naming both hashes and changes
// nothing, one with the same works. A directory written before the
// record existed takes the rules of its next Open.
func TestScopeRulesChangedRefused(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	// A directory from before the record: storage opened without rules.
	st, err := storage.Open("db", &storage.Options{FS: fs, Logger: discardLogger()})
	must(t, err)
	must(t, st.Close())

	rules := []string{"users/{user}/", "catalog/"}
	open := func(r []string) (*DB, error) {
		return Open("db", &Options{FS: fs, Logger: discardLogger(), ScopeRules: r})
	}
	db, err := open(rules)
	must(t, err)
	must(t, db.Put(ctx, "users/alice/cart", []byte("v")))
	must(t, db.Close())

	for _, other := range [][]string{{"users/{id}/", "catalog/"}, {"catalog/", "users/{user}/"}, nil} {
		_, err := open(other)
		if !errors.Is(err, ErrScopeRulesChanged) {
			t.Fatalf("open with %q: %v, want ErrScopeRulesChanged", other, err)
		}
		for _, want := range []string{rulesHex(t, rules...), rulesHex(t, other...), "migration"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
	}
	db, err = open(rules)
	must(t, err)
	defer db.Close()
	if it, err := db.Get(ctx, "users/alice/cart"); err != nil || string(it.Value) != "v" {
		t.Fatalf("after reopening: %v %v", it, err)
	}
}

// TestBadScopeRulesRefused: rules that crdt/scope refuses fail Open with
// ErrBadScopeRules naming the pattern, before the directory is touched.
func TestBadScopeRulesRefused(t *testing.T) {
	for _, tc := range []struct {
		rules []string
		names string
	}{
		{[]string{"users"}, `"users"`},
		{[]string{"users/{user}/", "users/admin/"}, `"users/admin/"`},
		{[]string{"catalog/", "catalog/"}, `rule 2 "catalog/"`},
		{[]string{"ünï/"}, `"ünï/"`},
	} {
		fs := vfs.NewMem()
		_, err := Open("db", &Options{FS: fs, Logger: discardLogger(), ScopeRules: tc.rules})
		if !errors.Is(err, ErrBadScopeRules) || !errors.Is(err, scope.ErrBadRules) || !strings.Contains(err.Error(), tc.names) {
			t.Errorf("Open with rules %q: %v; want ErrBadScopeRules naming %s", tc.rules, err, tc.names)
		}
		if names, _ := fs.List("db"); len(names) != 0 {
			t.Errorf("rules %q: Open wrote %q", tc.rules, names)
		}
	}
}
