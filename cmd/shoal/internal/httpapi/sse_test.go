package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sse is one event read from a watch stream; a comment has kind ":".
type sse struct {
	id, kind, data string
}

// stream reads a watch stream in a goroutine into a channel, closed at
// the end of the stream.
type stream struct {
	t      *testing.T
	resp   *http.Response
	events chan sse
}

// watch opens /v1/watch?query, resuming after lastID unless it is empty.
func (e *env) watch(query, lastID string) *stream {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+"/v1/watch?"+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		e.t.Fatalf("watch: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: e.t, resp: resp, events: make(chan sse, 1024)}
	go s.read()
	e.t.Cleanup(s.close)
	return s
}

func (s *stream) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.resp.Body)
	var ev sse
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, ":"):
			s.events <- sse{kind: ":", data: strings.TrimSpace(line[1:])}
		case line == "" && ev.kind != "":
			s.events <- ev
			ev = sse{}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.kind = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

func (s *stream) close() { s.resp.Body.Close() }

// next returns the next event (comments skipped unless comments is set).
func (s *stream) next() sse {
	s.t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatal("watch stream ended")
			}
			if ev.kind != ":" {
				return ev
			}
		case <-time.After(10 * time.Second):
			s.t.Fatal("no watch event within 10s")
		}
	}
}

// ended waits for the end of the stream, failing on any further event.
func (s *stream) ended() {
	s.t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.kind != ":" {
				s.t.Fatalf("event %+v after the stream should have ended", ev)
			}
		case <-time.After(10 * time.Second):
			s.t.Fatal("watch stream did not end within 10s")
		}
	}
}

// describe renders an event as "kind key value" for comparisons; register
// values are decoded from base64.
func (ev sse) describe() string {
	var d struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if ev.kind != "put" && ev.kind != "delete" {
		return ev.kind
	}
	if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
		return "bad data " + ev.data
	}
	v := string(d.Value)
	if d.Type == "register" && v != "null" {
		var b []byte
		_ = json.Unmarshal(d.Value, &b)
		v = string(b)
	}
	return ev.kind + " " + d.Key + " " + d.Type + " " + v
}
