// Package client is a Go client of Shoal's HTTP API, as the shoal CLI uses
// it: one method per endpoint, the server's JSON errors returned as
// *APIError, and a watch that parses the Server-Sent Events stream.
//
// It shares the API's JSON types with httpapi rather than restating them.
package client
