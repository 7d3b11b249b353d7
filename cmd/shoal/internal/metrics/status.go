package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shoal-db/shoal/node"
)

// statusCollector turns one node.Status, read at scrape time, into the peer
// and sync metrics: the node keeps these figures itself, so copying them
// into gauges on every change would only add a second source of truth.
type statusCollector struct {
	status    StatusFunc
	peers     *prometheus.Desc
	connected *prometheus.Desc
	sent      *prometheus.Desc
	received  *prometheus.Desc
	lag       *prometheus.Desc
	lastDot   *prometheus.Desc
	ranges    *prometheus.Desc
	refused   *prometheus.Desc
}

func newStatusCollector(status StatusFunc) *statusCollector {
	peer := []string{"peer"}
	return &statusCollector{
		status:    status,
		peers:     prometheus.NewDesc("shoal_peers", "Peers this node knows of (configured or connected), each counted once however many sessions it has.", nil, nil),
		connected: prometheus.NewDesc("shoal_peer_connected", "1 if the peer is connected now, else 0.", peer, nil),
		sent:      prometheus.NewDesc("shoal_sync_bytes_sent_total", "Sync bytes sent to the peer.", peer, nil),
		received:  prometheus.NewDesc("shoal_sync_bytes_received_total", "Sync bytes received from the peer.", peer, nil),
		lag:       prometheus.NewDesc("shoal_sync_lag_dots", "This node's dots the peer has not acknowledged.", peer, nil),
		lastDot:   prometheus.NewDesc("shoal_last_dot", "Counter of the latest dot this node minted.", nil, nil),
		ranges:    prometheus.NewDesc("shoal_vector_ranges", "Exception ranges of the node's version vector (dots seen out of order); bounded by storage.", nil, nil),
		refused:   prometheus.NewDesc("shoal_sync_scope_rules_mismatches_total", "Peer sessions refused because the peer has other scope rules.", nil, nil),
	}
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.peers, c.connected, c.sent, c.received, c.lag, c.lastDot, c.ranges, c.refused} {
		ch <- d
	}
}

// Collect reports nothing when the node is closed: a scrape during
// shutdown then shows the metrics as absent rather than as zeros.
func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.status()
	if err != nil {
		return
	}
	peers := mergePeers(st.Peers)
	ch <- prometheus.MustNewConstMetric(c.peers, prometheus.GaugeValue, float64(len(peers)))
	ch <- prometheus.MustNewConstMetric(c.lastDot, prometheus.GaugeValue, float64(st.LastDot))
	ch <- prometheus.MustNewConstMetric(c.ranges, prometheus.GaugeValue, float64(st.VectorRanges))
	ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(st.ScopeRulesMismatches))
	for _, p := range peers {
		connected := 0.0
		if p.Connected {
			connected = 1
		}
		ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, connected, p.name)
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(p.BytesSent), p.name)
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(p.BytesRecv), p.name)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(p.Lag), p.name)
	}
}

// peerFigures are one peer's figures over all its sessions.
type peerFigures struct {
	name string // the peer's id, or its address while it has none
	node.PeerStatus
}

// mergePeers folds the sessions of each peer into one entry, in the order
// the peers first appear. A node has two sessions with a peer when both
// dial each other (every node --peer's the others), and, for up to the
// transport's idle timeout after a peer crashed and came back, a dead one
// beside the new one; two series with the same labels would fail the
// whole scrape. The peer is connected if any session is; bytes add up
// (a total that drops when a session ends reads as a counter reset, as a
// reconnection already does); the lag is the smallest, what the peer has
// acknowledged on its best-informed session.
func mergePeers(sessions []node.PeerStatus) []peerFigures {
	var out []peerFigures
	index := map[string]int{}
	for _, s := range sessions {
		name := s.ID
		if name == "" {
			name = s.Addr // a configured peer not yet reached has no id
		}
		i, seen := index[name]
		if !seen {
			index[name] = len(out)
			out = append(out, peerFigures{name: name, PeerStatus: s})
			continue
		}
		p := &out[i]
		p.Connected = p.Connected || s.Connected
		p.BytesSent += s.BytesSent
		p.BytesRecv += s.BytesRecv
		p.Lag = min(p.Lag, s.Lag)
	}
	return out
}
