package httpapi

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/metrics"
	"github.com/shoal-db/shoal/node"
)

// Defaults for the zero values of Options.
const (
	DefaultHeartbeat    = 15 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultListLimit    = 100
	MaxListLimit        = 1000
	// minJSONBody is the least a JSON body may hold, whatever the value
	// limit: a set update carries many members of up to 1 KiB each.
	minJSONBody = 1 << 20
)

// Options configures a Server. The zero value gives the defaults.
type Options struct {
	// MaxValueSize is the largest register or map field value accepted, in
	// bytes; it should equal the node's. Zero means node.DefaultMaxValueSize.
	MaxValueSize int
	// Heartbeat is how often an idle watch stream gets a ": ping" comment.
	Heartbeat time.Duration
	// WriteTimeout bounds each write to a watch stream: a client that does
	// not read for this long is cut off rather than left to hold memory.
	WriteTimeout time.Duration
	// Logger receives request errors and watch endings. Nil: slog.Default().
	Logger *slog.Logger
	// Metrics is updated by every request and served on /metrics. Nil: a
	// fresh registry with the node's status collector.
	Metrics *metrics.Metrics
	// DataDir is the node's data directory, if known: a backup is refused
	// inside it. Empty: no such check.
	DataDir string
}

// Server is the HTTP API of one node. It is an http.Handler, safe for
// concurrent use. It does not own the DB: the caller closes it after
// Shutdown and the http.Server's own shutdown.
type Server struct {
	db      *node.DB
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
	mux     *http.ServeMux

	ready     atomic.Bool
	closing   chan struct{} // closed by Shutdown: watch streams end
	closeOnce sync.Once
}

// New returns the API of db, ready to serve.
func New(db *node.DB, opts Options) *Server {
	if opts.MaxValueSize == 0 {
		opts.MaxValueSize = node.DefaultMaxValueSize
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New(db.Status)
	}
	s := &Server{db: db, opts: opts, log: opts.Logger, metrics: opts.Metrics, closing: make(chan struct{})}
	s.mux = s.routes()
	s.ready.Store(true)
	return s
}

// Shutdown marks the server not ready (/readyz answers 503) and ends every
// watch stream, so that http.Server.Shutdown, which waits for handlers, is
// not held up by streams that never finish on their own. Requests already
// in flight are left to complete. Safe to call more than once.
func (s *Server) Shutdown() {
	s.ready.Store(false)
	s.closeOnce.Do(func() { close(s.closing) })
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/kv/{key...}", s.putRegister)
	mux.HandleFunc("GET /v1/kv/{key...}", s.getRegister)
	mux.HandleFunc("DELETE /v1/kv/{key...}", s.deleteRegister)
	mux.HandleFunc("GET /v1/kv", s.list)
	mux.HandleFunc("POST /v1/counters/{key...}", s.addCounter)
	mux.HandleFunc("GET /v1/counters/{key...}", s.getCounter)
	mux.HandleFunc("POST /v1/sets/{key...}", s.updateSet)
	mux.HandleFunc("GET /v1/sets/{key...}", s.getSet)
	mux.HandleFunc("PUT /v1/maps/{key}/{field}", s.setMapField)
	mux.HandleFunc("DELETE /v1/maps/{key}/{field}", s.deleteMapField)
	mux.HandleFunc("GET /v1/maps/{key}", s.getMap)
	mux.HandleFunc("GET /v1/watch", s.watch)
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("POST /v1/admin/backup", s.backup)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /livez", s.livez)
	mux.HandleFunc("GET /readyz", s.readyz)
	return mux
}

// ServeHTTP routes the request and records it in the metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	route := s.serve(sw, r)
	s.metrics.ObserveRequest(r.Method, route, sw.status(), time.Since(start))
}

// serve answers r and returns the route label for the metrics.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) string {
	if err := canonicalize(r); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return "invalid"
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		notRouted(w, r, h)
		return "unmatched"
	}
	s.mux.ServeHTTP(w, r)
	return routeLabel(pattern)
}
