package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/shoal-db/shoal/node"
)

// ListItem is one key of GET /v1/kv, with its value as the GET of its type
// gives it (base64 bytes for a register).
type ListItem struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// ListPage is the answer of GET /v1/kv. Next is the start of the next page,
// empty on the last one.
type ListPage struct {
	Items []ListItem `json:"items"`
	Next  string     `json:"next"`
}

// list answers GET /v1/kv?prefix=P&start=S&limit=N&type=T. By default it
// lists registers only, since this is the register API and its items'
// values are base64 bytes; type=all lists every key, type=counter (set,
// map) one other type.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := listLimit(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	keep, err := typeFilter(q.Get("type"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	page := ListPage{Items: []ListItem{}}
	for rec, err := range s.db.Scan(r.Context(), node.ScanOptions{Prefix: q.Get("prefix"), Start: q.Get("start")}) {
		if err != nil {
			s.nodeError(w, r, err)
			return
		}
		if !keep(rec.Type) {
			continue
		}
		if len(page.Items) == limit {
			page.Next = rec.Key // one more exists: that is where the next page starts
			break
		}
		page.Items = append(page.Items, ListItem{Key: rec.Key, Type: rec.Type.String(), Value: valueOf(rec)})
	}
	s.metrics.Op("list")
	writeJSON(w, http.StatusOK, page)
}

// listLimit parses limit: empty means the default, more than the maximum
// is cut to it, anything else not a positive integer is refused.
func listLimit(s string) (int, error) {
	if s == "" {
		return DefaultListLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("limit %q: want an integer from 1 to %d", s, MaxListLimit)
	}
	return min(n, MaxListLimit), nil
}

func typeFilter(s string) (func(node.Type) bool, error) {
	switch s {
	case "", "register":
		return func(t node.Type) bool { return t == node.TypeRegister }, nil
	case "all":
		return func(node.Type) bool { return true }, nil
	}
	for _, t := range []node.Type{node.TypeCounter, node.TypeSet, node.TypeMap} {
		if s == t.String() {
			return func(u node.Type) bool { return u == t }, nil
		}
	}
	return nil, fmt.Errorf("type %q: want register, counter, set, map or all", s)
}

// valueOf gives a record's value as the GET of its type does: base64 bytes
// for a register, a number for a counter, a sorted array for a set, an
// object of base64 values for a map.
func valueOf(rec node.Record) any {
	switch rec.Type {
	case node.TypeCounter:
		return rec.Counter
	case node.TypeSet:
		return nonNilStrings(rec.Members)
	case node.TypeMap:
		return fieldValues(rec.Fields)
	}
	return nonNil(rec.Item.Value)
}

func fieldValues(fields map[string]node.Item) map[string][]byte {
	out := make(map[string][]byte, len(fields))
	for f, it := range fields {
		out[f] = nonNil(it.Value)
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
