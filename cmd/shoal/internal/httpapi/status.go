package httpapi

import (
	"net/http"
	"strconv"
	"time"
)

// Status is the answer of GET /v1/status.
type Status struct {
	NodeID        string       `json:"node_id"`
	Peers         []PeerStatus `json:"peers"`
	LastDot       uint64       `json:"last_dot"`
	VersionVector string       `json:"version_vector"`
	// VectorRanges counts the version vector's exception ranges (dots
	// seen out of order); the node keeps it bounded.
	VectorRanges int `json:"vector_ranges"`
	// WatchCursor is a string: cursors exceed the 2^53 that JSON numbers
	// keep exactly in most clients.
	WatchCursor string `json:"watch_cursor"`
	// ScopeRulesHash is the hash of the node's scope rules (64 hex
	// digits), the same on every node of a cluster; ScopeRules the
	// patterns ([] without rules); ScopeRulesMismatches the sessions
	// refused because a peer had other rules.
	ScopeRulesHash       string   `json:"scope_rules_hash"`
	ScopeRules           []string `json:"scope_rules"`
	ScopeRulesMismatches uint64   `json:"scope_rules_mismatches"`
}

// PeerStatus is one peer as this node sees it. LastSeen is RFC 3339, empty
// if the peer was never reached; Lag counts this node's dots the peer has
// not acknowledged.
type PeerStatus struct {
	ID            string `json:"id"`
	Addr          string `json:"addr"`
	Connected     bool   `json:"connected"`
	LastSeen      string `json:"last_seen"`
	Lag           uint64 `json:"lag"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	// LastError is why the last session with a configured peer that is
	// down ended, "" if none.
	LastError string `json:"last_error,omitempty"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.db.Status()
	if err != nil {
		s.nodeError(w, r, err)
		return
	}
	out := Status{
		NodeID:        st.NodeID,
		Peers:         []PeerStatus{},
		LastDot:       st.LastDot,
		VersionVector: st.VersionVector,
		VectorRanges:  st.VectorRanges,
		WatchCursor:   strconv.FormatUint(st.WatchCursor, 10),

		ScopeRulesHash:       st.ScopeRulesHash,
		ScopeRules:           nonNilStrings(st.ScopeRules),
		ScopeRulesMismatches: st.ScopeRulesMismatches,
	}
	for _, p := range st.Peers {
		out.Peers = append(out.Peers, PeerStatus{
			ID: p.ID, Addr: p.Addr, Connected: p.Connected, LastSeen: unixNanoString(p.LastSeen),
			Lag: p.Lag, BytesSent: p.BytesSent, BytesReceived: p.BytesRecv, LastError: p.LastError,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func unixNanoString(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// livez answers 200 while the process serves HTTP at all.
func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

// readyz answers 200 while the DB is open and the server is not shutting
// down, so that a load balancer stops sending before requests would fail.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if _, err := s.db.Status(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "node not available: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
