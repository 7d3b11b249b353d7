// Package cli defines the shoal command tree with cobra: `agent` (the
// daemon, run by package agent), the API clients (kv, counter, set, map,
// status, through package client) and `cert`. It holds flag parsing and
// output formatting only; each command is a few lines over those packages.
package cli
