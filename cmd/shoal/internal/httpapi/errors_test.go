package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/node"
)

// TestBadInput sends every kind of bad request and checks the 4xx status,
// the JSON error body and that the message names the problem.
func TestBadInput(t *testing.T) {
	e := newEnv(t, &node.Options{MaxValueSize: 16}, httpapi.Options{MaxValueSize: 16})
	must(t, e.db.Put(ctx, "reg", []byte("v")))
	must(t, e.db.SetAdd(ctx, "aset", "m"))
	long := strings.Repeat("k", node.MaxKeySize+1)
	cases := []struct {
		method, path, body string
		code               int
		says               string
	}{
		{"PUT", "/v1/kv/", "v", 400, "empty key"},
		{"GET", "/v1/kv/", "", 400, "empty key"},
		{"PUT", "/v1/kv/" + long, "v", 400, "key of 1025 bytes"},
		{"GET", "/v1/counters/" + long, "", 400, "key of 1025 bytes"},
		{"GET", "/v1/kv/%FF", "", 400, "not valid UTF-8"},
		{"PUT", "/v1/kv/big", strings.Repeat("x", 17), 413, "limit of 16 bytes"},
		{"PUT", "/v1/maps/m/f", strings.Repeat("x", 17), 413, "limit of 16 bytes"},
		{"PUT", "/v1/maps//f", "v", 400, "empty key"},
		{"PUT", "/v1/maps/m/" + long, "v", 400, "field of 1025 bytes"},
		{"POST", "/v1/counters/c", "{", 400, "malformed JSON"},
		{"POST", "/v1/counters/c", `{"add": 1,}`, 400, "malformed JSON"},
		{"POST", "/v1/counters/c", "", 400, "empty body"},
		{"POST", "/v1/counters/c", `{"add": "3"}`, 400, `wrong JSON type for "add"`},
		{"POST", "/v1/counters/c", `{"add": 1.5}`, 400, `wrong JSON type for "add"`},
		{"POST", "/v1/counters/c", `{"add": 99999999999999999999}`, 400, `wrong JSON type for "add"`},
		{"POST", "/v1/counters/c", `[1]`, 400, "wrong JSON type"},
		{"POST", "/v1/counters/c", `{"add": 1, "sub": 2}`, 400, `unknown field "sub"`},
		{"POST", "/v1/counters/c", `{}`, 400, `missing field "add"`},
		{"POST", "/v1/counters/c", `{"add": 1} {"add": 2}`, 400, "more data after"},
		{"POST", "/v1/sets/s", `{"add": [1]}`, 400, `wrong JSON type for "add"`},
		{"POST", "/v1/sets/s", `{"add": "a"}`, 400, `wrong JSON type for "add"`},
		{"POST", "/v1/sets/s", `{}`, 400, "nothing to do"},
		{"POST", "/v1/sets/s", `{"add": [""]}`, 400, "empty member"},
		{"POST", "/v1/counters/reg", `{"add": 1}`, 409, "wrong type"},
		{"GET", "/v1/sets/reg", "", 409, "wrong type"},
		{"GET", "/v1/kv/aset", "", 409, "wrong type"},
		{"PUT", "/v1/kv/aset", "v", 409, "wrong type"},
		{"PUT", "/v1/maps/aset/f", "v", 409, "wrong type"},
		{"GET", "/v1/kv/absent", "", 404, "not found"},
		{"GET", "/v1/nope", "", 404, "no such endpoint"},
		{"GET", "/", "", 404, "no such endpoint"},
		{"GET", "/v1/maps", "", 404, "no such endpoint"},
		{"POST", "/v1/status", "", 405, "allowed: GET, HEAD"},
		{"PATCH", "/v1/kv/x", "", 405, "not allowed"},
		{"POST", "/v1/kv/x", "", 405, "not allowed"},
		{"PUT", "/v1/maps/m", "", 405, "not allowed"},
		{"GET", "/v1/kv?limit=abc", "", 400, `limit "abc"`},
		{"GET", "/v1/kv?limit=0", "", 400, `limit "0"`},
		{"GET", "/v1/kv?type=blob", "", 400, `type "blob"`},
		{"GET", "/v1/watch?since=abc", "", 400, "bad watch cursor"},
	}
	for _, c := range cases {
		code, h, body := e.do(c.method, c.path, c.body)
		var msg struct{ Error string }
		err := json.Unmarshal(body, &msg)
		if code != c.code || err != nil || !strings.Contains(msg.Error, c.says) {
			t.Errorf("%s %s %q: %d %s; want %d with an error saying %q", c.method, trunc(c.path), trunc(c.body), code, body, c.code, c.says)
		}
		if code == 405 && h.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without an Allow header", c.method, c.path)
		}
		if ct := h.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
	}
}
