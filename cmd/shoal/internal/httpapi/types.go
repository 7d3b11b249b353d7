package httpapi

import (
	"net/http"
)

// CounterAdd is the body of POST /v1/counters/{key}.
type CounterAdd struct {
	Add *int64 `json:"add"` // a pointer, to tell a missing "add" from 0
}

// CounterValue is the answer for a counter.
type CounterValue struct {
	Value int64 `json:"value"`
}

// SetUpdate is the body of POST /v1/sets/{key}. Adds are applied before
// removes, in one atomic batch: a member in both ends up removed.
type SetUpdate struct {
	Add    []string `json:"add"`
	Remove []string `json:"remove"`
}

// SetMembers is the answer for a set, sorted.
type SetMembers struct {
	Members []string `json:"members"`
}

// MapFields is the answer for a map: each field's winning value, base64.
type MapFields struct {
	Fields map[string][]byte `json:"fields"`
}

// addCounter adds to the counter and answers its total just after (which
// may include concurrent adds by others).
func (s *Server) addCounter(w http.ResponseWriter, r *http.Request) {
	var body CounterAdd
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.writeBad(w, err)
		return
	}
	if body.Add == nil {
		writeError(w, http.StatusBadRequest, `missing field "add": want {"add": N}`)
		return
	}
	key := r.PathValue("key")
	if err := s.db.Increment(r.Context(), key, *body.Add); err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("counter_add")
	s.answerCounter(w, r, key)
}

func (s *Server) getCounter(w http.ResponseWriter, r *http.Request) {
	s.answerCounter(w, r, r.PathValue("key"))
}

func (s *Server) answerCounter(w http.ResponseWriter, r *http.Request, key string) {
	n, err := s.db.Counter(r.Context(), key)
	if err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("counter_get")
	writeJSON(w, http.StatusOK, CounterValue{Value: n})
}

func (s *Server) updateSet(w http.ResponseWriter, r *http.Request) {
	var body SetUpdate
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.writeBad(w, err)
		return
	}
	if len(body.Add) == 0 && len(body.Remove) == 0 {
		writeError(w, http.StatusBadRequest, `nothing to do: want {"add": [...], "remove": [...]} with at least one member`)
		return
	}
	key := r.PathValue("key")
	b := s.db.NewBatch().SetAdd(key, body.Add...).SetRemove(key, body.Remove...)
	if err := b.Commit(r.Context()); err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("set_update")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getSet(w http.ResponseWriter, r *http.Request) {
	members, err := s.db.Members(r.Context(), r.PathValue("key"))
	if err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("set_members")
	writeJSON(w, http.StatusOK, SetMembers{Members: nonNilStrings(members)})
}

func (s *Server) setMapField(w http.ResponseWriter, r *http.Request) {
	value, err := s.readValue(w, r)
	if err != nil {
		s.writeBad(w, err)
		return
	}
	if err := s.db.MapSet(r.Context(), r.PathValue("key"), r.PathValue("field"), value); err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("map_set")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteMapField(w http.ResponseWriter, r *http.Request) {
	if err := s.db.MapDelete(r.Context(), r.PathValue("key"), r.PathValue("field")); err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("map_delete")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getMap(w http.ResponseWriter, r *http.Request) {
	fields, err := s.db.Map(r.Context(), r.PathValue("key"))
	if err != nil {
		s.nodeError(w, r, err)
		return
	}
	s.metrics.Op("map_get")
	writeJSON(w, http.StatusOK, MapFields{Fields: fieldValues(fields)})
}
