package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/node"
)

// env is a node on a temp dir behind the API on a test server.
type env struct {
	t   *testing.T
	db  *node.DB
	api *httpapi.Server
	ts  *httptest.Server
}

func newEnv(t *testing.T, nopts *node.Options, opts httpapi.Options) *env {
	t.Helper()
	if nopts == nil {
		nopts = &node.Options{}
	}
	if nopts.Logger == nil {
		nopts.Logger = quiet
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	db, err := node.Open(t.TempDir(), nopts)
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(db, opts)
	ts := httptest.NewServer(api)
	t.Cleanup(func() {
		api.Shutdown()
		ts.Close()
		db.Close()
	})
	return &env{t: t, db: db, api: api, ts: ts}
}

// do sends a request with the path as written (escapes and all) and
// returns the status, headers and body.
func (e *env) do(method, path, body string, header ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// want sends a request and fails unless the status is code; it returns the body.
func (e *env) want(code int, method, path, body string) []byte {
	e.t.Helper()
	got, _, b := e.do(method, path, body)
	if got != code {
		e.t.Fatalf("%s %s %q: status %d, want %d; body %s", method, path, trunc(body), got, code, b)
	}
	return b
}

// wantJSON sends a request, checks the status and decodes the answer.
func (e *env) wantJSON(code int, method, path, body string, out any) {
	e.t.Helper()
	b := e.want(code, method, path, body)
	if err := json.Unmarshal(b, out); err != nil {
		e.t.Fatalf("%s %s: answer %s is not the JSON expected: %v", method, path, b, err)
	}
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var (
	ctx   = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)
