// Command shoal is Shoal's one binary: `shoal agent` runs a node and serves
// its HTTP API; the other commands are clients of that API (kv, counter,
// set, map, status, backup), restore a backup offline (restore) or make
// certificates (cert).
//
// The commands live in internal/cli; this file only runs them and turns an
// error into "shoal: <error>" and exit status 1.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/shoal-db/shoal/cmd/shoal/internal/cli"
)

func main() {
	if err := cli.NewRoot().ExecuteContext(context.Background()); err != nil {
		// The node's errors carry their own "shoal: "; print it once.
		fmt.Fprintf(os.Stderr, "shoal: %s\n", strings.TrimPrefix(err.Error(), "shoal: "))
		os.Exit(1)
	}
}
