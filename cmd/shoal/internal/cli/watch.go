package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
	"github.com/spf13/cobra"
)

func watchCmd(out *output) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Print the current keys, then every change, until interrupted",
		Long: `Print the current keys with the prefix ("put" lines), a "ready" line, then each
change as it is committed. When the connection drops it reconnects and resumes
after the last event it printed, so nothing is lost or printed twice. If the
agent can no longer resume (it restarted, or this watcher fell too far
behind) it prints "reset" and starts again from a fresh listing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			return withClient(cmd, func(c *client.Client) error {
				return watchLoop(cmd.Context(), c, prefix, eventPrinter(cmd.OutOrStdout(), asJSON))
			})
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "watch only keys with this prefix")
	return cmd
}

// watchLoop watches until ctx ends, reconnecting with backoff and the last
// id seen; an error answer of the server (a 4xx) ends it.
func watchLoop(ctx context.Context, c *client.Client, prefix string, print func(client.Event) error) error {
	lastID, backoff := "", 100*time.Millisecond
	for {
		err := c.Watch(ctx, prefix, lastID, func(e client.Event) error {
			backoff = 100 * time.Millisecond
			lastID = e.ID
			if e.Kind == "reset" {
				lastID = "" // start again without a cursor
			}
			return print(e)
		})
		var apiErr *client.APIError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &apiErr) && apiErr.Status < http.StatusInternalServerError:
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// eventPrinter prints "put KEY VALUE", "delete KEY", "ready" and
// "reset REASON" lines, or with JSON one object per event.
func eventPrinter(w io.Writer, asJSON bool) func(client.Event) error {
	return func(e client.Event) error {
		if e.Data == "" {
			e.Data = "null"
		}
		if asJSON {
			line, err := json.Marshal(map[string]any{"id": e.ID, "event": e.Kind, "data": json.RawMessage(e.Data)})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "%s\n", line)
			return err
		}
		var d struct {
			Key    string          `json:"key"`
			Type   string          `json:"type"`
			Value  json.RawMessage `json:"value"`
			Reason string          `json:"reason"`
		}
		_ = json.Unmarshal([]byte(e.Data), &d)
		var err error
		switch e.Kind {
		case "put":
			_, err = fmt.Fprintf(w, "put %s %s\n", d.Key, renderValue(d.Type, d.Value))
		case "delete":
			_, err = fmt.Fprintf(w, "delete %s\n", d.Key)
		case "reset":
			_, err = fmt.Fprintf(w, "reset %s\n", d.Reason)
		default:
			_, err = fmt.Fprintf(w, "%s\n", e.Kind)
		}
		return err
	}
}
