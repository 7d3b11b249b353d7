package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shoal-db/shoal/node"
)

// Metrics holds the registry and the metrics the API updates. Safe for
// concurrent use.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	ops       *prometheus.CounterVec
	watchers  prometheus.Gauge
	conflicts prometheus.Counter
}

// StatusFunc reads a node's state; (*node.DB).Status fits.
type StatusFunc func() (node.Status, error)

// New returns metrics in a fresh registry, with the Go runtime and process
// collectors and, when status is not nil, the node's peer figures.
func New(status StatusFunc) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoal_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route (a watch counts its whole stream).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"route"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_operations_total",
			Help: "Successful operations on the node through the API, by operation.",
		}, []string{"op"}),
		watchers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shoal_watch_subscribers",
			Help: "Open /v1/watch streams.",
		}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoal_conflicts_total",
			Help: "Register reads that found concurrent siblings (a conflict the reader was shown).",
		}),
	}
	m.reg.MustRegister(m.requests, m.durations, m.ops, m.watchers, m.conflicts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if status != nil {
		m.reg.MustRegister(newStatusCollector(status))
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one answered request.
func (m *Metrics) ObserveRequest(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(methodLabel(method), route, strconv.Itoa(code)).Inc()
	m.durations.WithLabelValues(route).Observe(d.Seconds())
}

// Op counts one successful operation, such as "put" or "set_add".
func (m *Metrics) Op(name string) { m.ops.WithLabelValues(name).Inc() }

// Conflict counts a read that found siblings.
func (m *Metrics) Conflict() { m.conflicts.Inc() }

// WatchStarted counts an open watch stream; call the returned func when it ends.
func (m *Metrics) WatchStarted() (ended func()) {
	m.watchers.Inc()
	return m.watchers.Dec
}

// methodLabel keeps the method label's values to a known few, so that a
// client inventing methods cannot grow the number of series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodPatch:
		return m
	}
	return "other"
}
