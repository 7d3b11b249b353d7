package httpapi

import (
	"net/http"
	"strconv"

	"github.com/shoal-db/shoal/node"
)

// ConflictsHeader carries the number of concurrent siblings of a register
// value when there are any.
const ConflictsHeader = "Shoal-Conflicts"

func (s *Server) putRegister(w http.ResponseWriter, r *http.Request) {
	value, err := s.readValue(w, r)
	if err != nil {
		s.writeBad(w, err)
		return
	}
	if err := s.db.Put(r.Context(), r.PathValue("key"), value); err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("put")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getRegister(w http.ResponseWriter, r *http.Request) {
	it, err := s.db.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("get")
	if len(it.Siblings) > 0 {
		s.metrics.Conflict()
		w.Header().Set(ConflictsHeader, strconv.Itoa(len(it.Siblings)))
	}
	if wantDetail(r) {
		writeJSON(w, http.StatusOK, detailOf(it))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(it.Value)))
	_, _ = w.Write(it.Value)
}

func (s *Server) deleteRegister(w http.ResponseWriter, r *http.Request) {
	if err := s.db.Delete(r.Context(), r.PathValue("key")); err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("delete")
	w.WriteHeader(http.StatusNoContent)
}

func wantDetail(r *http.Request) bool {
	d := r.URL.Query().Get("detail")
	return d != "" && d != "0" && d != "false"
}

// Detail is the answer of GET /v1/kv/{key}?detail=1.
type Detail struct {
	Key      string    `json:"key"`
	Value    []byte    `json:"value"` // base64
	HLC      string    `json:"hlc"`
	Origin   string    `json:"origin"`
	Siblings []Sibling `json:"siblings"`
	// TypeConflicts names other types written to the key concurrently on
	// other nodes; the key shows the same type on every node.
	TypeConflicts []string `json:"type_conflicts,omitempty"`
}

// Sibling is a concurrent value that lost to the winner by (HLC, origin).
type Sibling struct {
	Value  []byte `json:"value"`
	HLC    string `json:"hlc"`
	Origin string `json:"origin"`
}

func detailOf(it node.Item) Detail {
	d := Detail{Key: it.Key, Value: nonNil(it.Value), HLC: it.Time.String(), Origin: it.Origin, Siblings: []Sibling{}}
	for _, s := range it.Siblings {
		d.Siblings = append(d.Siblings, Sibling{Value: nonNil(s.Value), HLC: s.Time.String(), Origin: s.Origin})
	}
	for _, t := range it.Conflicts {
		d.TypeConflicts = append(d.TypeConflicts, t.String())
	}
	return d
}

// nonNil makes an empty value encode as "" rather than null.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
