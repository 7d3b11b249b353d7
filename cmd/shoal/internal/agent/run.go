package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/cmd/shoal/internal/metrics"
	"github.com/shoal-db/shoal/node"
)

// Deps are what Run needs from outside this package.
type Deps struct {
	// EnsureIdentity finds or makes a self-signed CA and node certificate
	// under the data directory, for a node given no certificates. Nil: the
	// node runs without TLS files (local-only nodes need none).
	EnsureIdentity func(dataDir string) (ca, cert, key string, created bool, err error)
	// LogOutput receives the logs. Nil: os.Stderr.
	LogOutput io.Writer
	// API overrides httpapi options (tests shorten the heartbeat).
	API httpapi.Options
}

// Run runs the agent until ctx ends, then shuts down: /readyz turns 503
// and watch streams end, the HTTP server stops accepting and waits (up to
// cfg.Timeout) for requests in flight, and only then is the node closed.
// A write is acknowledged only after the node's synced commit, and the node
// is closed only after its handlers return, so nothing acknowledged is lost.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	if deps.LogOutput == nil {
		deps.LogOutput = os.Stderr
	}
	log := NewLogger(cfg.LogFmt, cfg.LogLvl, deps.LogOutput)
	tls, err := tlsFiles(cfg, deps, log)
	if err != nil {
		return err
	}
	if cfg.FreshReplica {
		log.Warn("fresh-replica is set: this start takes a fresh replica id; remove the setting once the node runs, or every restart takes another", "data", cfg.Data)
	}
	db, err := node.Open(cfg.Data, &node.Options{
		MaxValueSize: cfg.MaxVal, Logger: log,
		Listen: cfg.NodeListen(), Peers: cfg.Peers, TLS: tls, FreshReplica: cfg.FreshReplica,
		ScopeRules: cfg.ScopeRules,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.API)
	if err != nil {
		return errors.Join(fmt.Errorf("api: %w", err), db.Close())
	}
	opts := deps.API
	opts.MaxValueSize, opts.Logger, opts.Metrics = cfg.MaxVal, log, metrics.New(db.Status)
	opts.DataDir = cfg.Data
	api := httpapi.New(db, opts)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving HTTP API", "addr", ln.Addr().String(), "data", cfg.Data, "peer_listen", cfg.NodeListen(), "peers", cfg.Peers)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-served:
		log.Error("HTTP server failed", "err", err)
	}
	return errors.Join(err, shutdown(log, cfg.Timeout, api, srv, db))
}

// shutdown stops in the order that keeps every acknowledged write.
func shutdown(log *slog.Logger, timeout time.Duration, api *httpapi.Server, srv *http.Server, db *node.DB) error {
	log.Info("shutting down", "timeout", timeout)
	api.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		// Handlers still running get ErrClosed from the node below; their
		// clients get no acknowledgement, so nothing acknowledged is lost.
		log.Warn("requests still running after the timeout; closing their connections", "err", err)
		_ = srv.Close()
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the node: %w", err)
	}
	log.Info("stopped")
	return nil
}

// tlsFiles returns the certificates given, or the node's own ones.
func tlsFiles(cfg Config, deps Deps, log *slog.Logger) (node.TLSFiles, error) {
	if cfg.CA != "" {
		return node.TLSFiles{CA: cfg.CA, Cert: cfg.Cert, Key: cfg.Key}, nil
	}
	if deps.EnsureIdentity == nil {
		return node.TLSFiles{}, nil
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return node.TLSFiles{}, err
	}
	ca, cert, key, created, err := deps.EnsureIdentity(cfg.Data)
	if err != nil {
		return node.TLSFiles{}, fmt.Errorf("making the node's own identity: %w", err)
	}
	if created {
		log.Info("no certificates given: made this node's own CA and identity; give --ca/--cert/--key from `shoal cert` to join a cluster",
			"ca", ca, "cert", cert, "key", key)
	} else {
		log.Info("no certificates given: using this node's own CA and identity", "ca", ca, "cert", cert, "key", key)
	}
	if len(cfg.Peers) > 0 {
		log.Warn("peers configured without --ca/--cert/--key: they will refuse this node's own CA unless they share it")
	}
	return node.TLSFiles{CA: ca, Cert: cert, Key: key}, nil
}

// NewLogger returns a text or JSON logger at the level given; the names
// are checked by Load, and anything else gives text at info.
func NewLogger(format, level string, w io.Writer) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
