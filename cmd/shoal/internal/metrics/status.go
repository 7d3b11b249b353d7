package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
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
}

func newStatusCollector(status StatusFunc) *statusCollector {
	peer := []string{"peer"}
	return &statusCollector{
		status:    status,
		peers:     prometheus.NewDesc("shoal_peers", "Peers this node knows of (configured or connected).", nil, nil),
		connected: prometheus.NewDesc("shoal_peer_connected", "1 if the peer is connected now, else 0.", peer, nil),
		sent:      prometheus.NewDesc("shoal_sync_bytes_sent_total", "Sync bytes sent to the peer.", peer, nil),
		received:  prometheus.NewDesc("shoal_sync_bytes_received_total", "Sync bytes received from the peer.", peer, nil),
		lag:       prometheus.NewDesc("shoal_sync_lag_dots", "This node's dots the peer has not acknowledged.", peer, nil),
		lastDot:   prometheus.NewDesc("shoal_last_dot", "Counter of the latest dot this node minted.", nil, nil),
	}
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.peers, c.connected, c.sent, c.received, c.lag, c.lastDot} {
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
	ch <- prometheus.MustNewConstMetric(c.peers, prometheus.GaugeValue, float64(len(st.Peers)))
	ch <- prometheus.MustNewConstMetric(c.lastDot, prometheus.GaugeValue, float64(st.LastDot))
	for _, p := range st.Peers {
		name := p.ID
		if name == "" {
			name = p.Addr // a configured peer not yet reached has no id
		}
		connected := 0.0
		if p.Connected {
			connected = 1
		}
		ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, connected, name)
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(p.BytesSent), name)
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(p.BytesRecv), name)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(p.Lag), name)
	}
}
