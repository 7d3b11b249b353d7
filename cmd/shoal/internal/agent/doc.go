// Package agent runs a Shoal node as a daemon: it loads the configuration
// (flags > SHOAL_* environment > config file > defaults), makes or finds
// the node's TLS identity, opens the node, serves the HTTP API, and shuts
// all of it down in order on a signal so that nothing acknowledged is lost.
// Restore prepares a data directory from a backup, offline.
//
// It imports node and the API packages beside it under cmd/shoal; the
// certificate code comes in through Deps, so this package needs no
// certificate library of its own.
package agent
