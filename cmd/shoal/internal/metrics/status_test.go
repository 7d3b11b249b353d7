package metrics

import (
	"testing"

	"github.com/shoal-db/shoal/node"
)

// TestPeerSessionsMerged gives the collector what a node reports when it
// and a peer both dial each other, plus a stale session left by a crash:
// the scrape must succeed with one series per peer. The node-wide figures
// (shoal_vector_ranges) come through as given.
func TestPeerSessionsMerged(t *testing.T) {
	status := func() (node.Status, error) {
		return node.Status{VectorRanges: 4, ScopeRulesMismatches: 5, Peers: []node.PeerStatus{
			{ID: "b", Addr: "127.0.0.1:7401", Connected: true, BytesSent: 10, BytesRecv: 1, Lag: 3},
			{ID: "b", Addr: "127.0.0.1:50000", Connected: true, BytesSent: 20, BytesRecv: 2, Lag: 1},
			{ID: "c", Addr: "127.0.0.1:50001", Connected: false, Lag: 9},
			{ID: "c", Addr: "127.0.0.1:50002", Connected: true, Lag: 0},
			{Addr: "127.0.0.1:7403"}, // configured, never reached
		}}, nil
	}
	families, err := New(status).Registry().Gather()
	if err != nil {
		t.Fatalf("scrape failed: %v", err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	for key, want := range map[string]float64{
		"shoal_peers":                             3,
		"shoal_vector_ranges":                     4,
		"shoal_sync_scope_rules_mismatches_total": 5,
		"shoal_peer_connected/b":                  1,
		"shoal_peer_connected/c":                  1,
		"shoal_peer_connected/127.0.0.1:7403":     0,
		"shoal_sync_bytes_sent_total/b":           30,
		"shoal_sync_bytes_received_total/b":       3,
		"shoal_sync_lag_dots/b":                   1,
		"shoal_sync_lag_dots/c":                   0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
}
