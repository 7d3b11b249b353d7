// Package httpapi serves Shoal's client HTTP API (the route table is in
// docs/API.md) for one open *node.DB: registers under /v1/kv,
// counters, sets and maps, the /v1/watch Server-Sent Events stream, status,
// health and metrics, and POST /v1/admin/backup, which writes a backup of
// the node into a directory on the agent's machine.
//
// Keys travel in the path, URL-escaped. Everything after /v1/kv/ (or
// /v1/counters/, /v1/sets/) is the key, verbatim: it may hold '/', even
// "//", "." or "..", which the server never cleans away. A map's field is
// the last segment of /v1/maps/{key}/{field} (escape a '/' inside a field as
// %2F); its key is everything before.
//
// Every bad request gets a 4xx with a JSON body {"error": "..."} naming what
// was wrong; a 5xx means the server or its storage failed.
//
// The package imports only node (and the metrics package beside it); it
// knows nothing of flags, signals or listeners, which belong to agent.
package httpapi
