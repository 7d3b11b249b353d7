package client

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Event is one Server-Sent Event of /v1/watch: its id (the cursor to
// resume after it), kind ("put", "delete", "ready", "reset") and JSON data.
type Event struct {
	ID   string
	Kind string
	Data string
}

// Watch streams the events of keys with prefix to fn until ctx ends, the
// server ends the stream, or fn returns an error. With lastID it resumes
// after that event. It returns nil when the stream ends cleanly; the
// caller reconnects with the last id fn saw.
func (c *Client) Watch(ctx context.Context, prefix, lastID string, fn func(Event) error) error {
	u := c.endpoint("/v1/watch")
	u.RawQuery = url.Values{"prefix": {prefix}}.Encode()
	h := http.Header{"Accept": {"text/event-stream"}}
	if lastID != "" {
		h.Set("Last-Event-ID", lastID)
	}
	resp, err := c.send(ctx, http.MethodGet, u, nil, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readEvents(resp, fn)
}

// readEvents parses the stream: fields up to a blank line make an event;
// comment lines (": ping") are skipped.
func readEvents(resp *http.Response, fn func(Event) error) error {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a map of large values is one line
	var e Event
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			if line == "" && e.Kind != "" {
				if err := fn(e); err != nil {
					return err
				}
				e = Event{}
			}
		case "id":
			e.ID = value
		case "event":
			e.Kind = value
		case "data":
			e.Data += value
		}
	}
	return sc.Err()
}
