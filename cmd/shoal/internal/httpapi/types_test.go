package httpapi_test

import (
	"reflect"
	"testing"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
)

func TestCounters(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	var v httpapi.CounterValue
	e.wantJSON(200, "GET", "/v1/counters/c", "", &v)
	if v.Value != 0 {
		t.Errorf("absent counter = %d", v.Value)
	}
	e.wantJSON(200, "POST", "/v1/counters/c", `{"add": 3}`, &v)
	e.wantJSON(200, "POST", "/v1/counters/c", `{"add": -5}`, &v)
	if v.Value != -2 {
		t.Errorf("after add = %d, want -2", v.Value)
	}
	e.wantJSON(200, "GET", "/v1/counters/c", "", &v)
	if v.Value != -2 {
		t.Errorf("counter = %d, want -2", v.Value)
	}
}

func TestSets(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	var m httpapi.SetMembers
	e.wantJSON(200, "GET", "/v1/sets/s", "", &m)
	if m.Members == nil || len(m.Members) != 0 {
		t.Errorf("absent set = %#v, want []", m.Members)
	}
	e.want(204, "POST", "/v1/sets/s", `{"add": ["b", "a", "c"]}`)
	e.want(204, "POST", "/v1/sets/s", `{"remove": ["c"], "add": ["d"]}`)
	e.want(204, "POST", "/v1/sets/s", `{"add": ["e"], "remove": ["e"]}`) // adds, then removes
	e.wantJSON(200, "GET", "/v1/sets/s", "", &m)
	if want := []string{"a", "b", "d"}; !reflect.DeepEqual(m.Members, want) {
		t.Errorf("members = %v, want %v", m.Members, want)
	}
}

func TestMaps(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	e.want(204, "PUT", "/v1/maps/m/f1", "x")
	e.want(204, "PUT", "/v1/maps/m/f2", "y")
	e.want(204, "DELETE", "/v1/maps/m/f2", "")
	e.want(204, "PUT", "/v1/maps/a/b/f%2Fg", "z") // key "a/b", field "f/g"
	var f httpapi.MapFields
	e.wantJSON(200, "GET", "/v1/maps/m", "", &f)
	if !reflect.DeepEqual(f.Fields, map[string][]byte{"f1": []byte("x")}) {
		t.Errorf("map m = %q", f.Fields)
	}
	var g httpapi.MapFields
	e.wantJSON(200, "GET", "/v1/maps/a/b", "", &g)
	if !reflect.DeepEqual(g.Fields, map[string][]byte{"f/g": []byte("z")}) {
		t.Errorf("map a/b = %q", g.Fields)
	}
	got, err := e.db.Map(ctx, "a/b")
	if err != nil || string(got["f/g"].Value) != "z" {
		t.Errorf("node map a/b = %v, %v", got, err)
	}
}

func TestStatusAndHealth(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	var st map[string]any
	e.wantJSON(200, "GET", "/v1/status", "", &st)
	if st["node_id"] != e.db.ID() || st["peers"] == nil || st["vector_ranges"] != 0.0 {
		t.Errorf("status = %v", st)
	}
	if peers, ok := st["peers"].([]any); !ok || len(peers) != 0 {
		t.Errorf("peers = %#v, want []", st["peers"])
	}
	e.want(200, "GET", "/livez", "")
	e.want(200, "GET", "/readyz", "")
	e.api.Shutdown()
	e.want(503, "GET", "/readyz", "")
	e.want(200, "GET", "/livez", "")
}
