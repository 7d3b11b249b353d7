// Package metrics owns Shoal's Prometheus metrics: a registry of its own
// (never the global one, so tests and several servers in one process do not
// collide), the HTTP and operation counters the API updates, and a
// collector that reads a node's Status at scrape time for the peer and sync
// figures.
//
// It imports only node (for the Status type) and client_golang.
package metrics
