package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/shoal-db/shoal/node"
)

// describe turns a node event into a watch event. A register or counter
// event carries its value. A set or map event names only one member or
// field, so the key is read again and its whole current value sent: "put"
// while the set or map has members or fields, "delete" once it is empty.
// That value may already include later changes, whose own events follow.
func (s *Server) describe(ctx context.Context, e node.Event) (string, Change, error) {
	ch := Change{Key: e.Key, Type: e.Type.String()}
	switch e.Type {
	case node.TypeRegister:
		if e.Deleted {
			return "delete", ch, nil
		}
		ch.Value = nonNil(e.Value)
		return "put", ch, nil
	case node.TypeCounter:
		ch.Value = e.Counter
		return "put", ch, nil
	}
	rec, ok, err := s.current(ctx, e.Key)
	if err != nil || !ok {
		return "delete", ch, err
	}
	return "put", Change{Key: rec.Key, Type: rec.Type.String(), Value: valueOf(rec)}, nil
}

// current reads one key of any type; ok is false when it holds nothing live.
func (s *Server) current(ctx context.Context, key string) (node.Record, bool, error) {
	rec, err := s.db.Lookup(ctx, key)
	if errors.Is(err, node.ErrNotFound) {
		return node.Record{}, false, nil
	}
	return rec, err == nil, err
}

// errTooSlow marks a stream cut off because a write to it timed out.
var errTooSlow = errors.New("watch: write timed out")

// eventStream writes Server-Sent Events, flushing each one, with a
// deadline on every write so that a client that stops reading is cut off
// instead of holding a goroutine and its buffers forever.
type eventStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func newEventStream(w http.ResponseWriter, timeout time.Duration) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // a proxy must not hold events back
	w.WriteHeader(http.StatusOK)
	st := &eventStream{w: w, rc: http.NewResponseController(w), timeout: timeout}
	_ = st.flush()
	return st
}

// send writes one event. Its data is one line: JSON never holds a raw newline.
func (st *eventStream) send(id uint64, kind string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := st.deadline(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(st.w, "id: %d\nevent: %s\ndata: %s\n\n", id, kind, b); err != nil {
		return st.cause(err)
	}
	return st.flush()
}

// comment writes a comment line, which clients ignore; it keeps idle
// connections (and proxies) from timing out.
func (st *eventStream) comment(text string) error {
	if err := st.deadline(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(st.w, ": %s\n\n", text); err != nil {
		return st.cause(err)
	}
	return st.flush()
}

func (st *eventStream) deadline() error {
	err := st.rc.SetWriteDeadline(time.Now().Add(st.timeout))
	if errors.Is(err, http.ErrNotSupported) {
		return nil // a test recorder: nothing to time out
	}
	return err
}

func (st *eventStream) flush() error {
	err := st.rc.Flush()
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return st.cause(err)
}

func (st *eventStream) cause(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %v", errTooSlow, err)
	}
	return err
}
