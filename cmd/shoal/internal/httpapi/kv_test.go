package httpapi_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
)

// TestKeysInPaths checks that the key is everything after /v1/kv/,
// verbatim: slashes (escaped or not, doubled), dots, spaces and non-ASCII.
func TestKeysInPaths(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	cases := []struct{ path, key string }{
		{"/v1/kv/a/b", "a/b"},
		{"/v1/kv/a%2Fc", "a/c"},
		{"/v1/kv/a//d", "a//d"},
		{"/v1/kv//lead", "/lead"},
		{"/v1/kv/..", ".."},
		{"/v1/kv/x/../y", "x/../y"},
		{"/v1/kv/sp%20ace", "sp ace"},
		{"/v1/kv/%D0%BA%D0%BB%D1%8E%D1%87", "ключ"},
		{"/v1/kv/ключ2", "ключ2"},
		{"/v1/kv/100%25", "100%"},
		{"/v1/kv/q%3Fx", "q?x"},
	}
	for _, c := range cases {
		e.want(204, "PUT", c.path, "v:"+c.key)
		it, err := e.db.Get(ctx, c.key)
		if err != nil {
			t.Errorf("PUT %s: key %q not stored: %v", c.path, c.key, err)
			continue
		}
		if got := string(e.want(200, "GET", c.path, "")); got != "v:"+c.key || string(it.Value) != got {
			t.Errorf("GET %s = %q, want %q", c.path, got, "v:"+c.key)
		}
	}
}

func TestRegisterRoundTrip(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	e.want(404, "GET", "/v1/kv/k", "")
	e.want(204, "PUT", "/v1/kv/k", "hello\x00bytes")
	code, h, body := e.do("GET", "/v1/kv/k", "")
	if code != 200 || string(body) != "hello\x00bytes" || h.Get(httpapi.ConflictsHeader) != "" {
		t.Fatalf("GET = %d %q conflicts %q", code, body, h.Get(httpapi.ConflictsHeader))
	}
	var d httpapi.Detail
	e.wantJSON(200, "GET", "/v1/kv/k?detail=1", "", &d)
	if d.Key != "k" || string(d.Value) != "hello\x00bytes" || d.HLC == "" || d.Origin != e.db.ID() || d.Siblings == nil {
		t.Errorf("detail = %+v", d)
	}
	e.want(204, "PUT", "/v1/kv/empty", "")
	var empty map[string]any
	e.wantJSON(200, "GET", "/v1/kv/empty?detail=1", "", &empty)
	if empty["value"] != "" {
		t.Errorf("empty value in detail = %v, want \"\"", empty["value"])
	}
	e.want(204, "DELETE", "/v1/kv/k", "")
	e.want(404, "GET", "/v1/kv/k", "")
	e.want(204, "DELETE", "/v1/kv/never", "")
}

func TestListPages(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	for _, k := range []string{"p/1", "p/2", "p/3", "p/4", "p/5", "q/1"} {
		must(t, e.db.Put(ctx, k, []byte("v"+k)))
	}
	must(t, e.db.Increment(ctx, "p/25", 7))
	var keys []string
	start := ""
	for range 10 {
		var page httpapi.ListPage
		e.wantJSON(200, "GET", "/v1/kv?prefix=p/&limit=2&start="+start, "", &page)
		for _, it := range page.Items {
			keys = append(keys, it.Key)
			if it.Value != base64.StdEncoding.EncodeToString([]byte("v"+it.Key)) || it.Type != "register" {
				t.Errorf("item %+v", it)
			}
		}
		if start = page.Next; start == "" {
			break
		}
	}
	if got := strings.Join(keys, " "); got != "p/1 p/2 p/3 p/4 p/5" {
		t.Errorf("paged keys = %q", got)
	}
	var all httpapi.ListPage
	e.wantJSON(200, "GET", "/v1/kv?prefix=p/2&type=all", "", &all)
	if len(all.Items) != 2 || all.Items[1].Key != "p/25" || all.Items[1].Value != 7.0 || all.Next != "" {
		t.Errorf("type=all = %+v", all)
	}
	var none httpapi.ListPage
	e.wantJSON(200, "GET", "/v1/kv?prefix=zz", "", &none)
	if none.Items == nil || len(none.Items) != 0 {
		t.Errorf("empty listing = %+v, want items []", none)
	}
}
