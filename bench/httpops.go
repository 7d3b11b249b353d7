package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shoal-db/shoal/node"
)

// kvSide is one way to reach a node's registers: over HTTP or embedded.
// Both are safe for concurrent use.
type kvSide interface {
	put(key string, value []byte) error
	get(key string) ([]byte, error)
}

// embeddedSide calls the node in this process.
type embeddedSide struct{ db *node.DB }

func (e embeddedSide) put(key string, value []byte) error {
	return e.db.Put(context.Background(), key, value)
}

func (e embeddedSide) get(key string) ([]byte, error) {
	it, err := e.db.Get(context.Background(), key)
	return it.Value, err
}

// httpSide sends PUT and GET /v1/kv/{key} to the agent, over at most
// conns keep-alive connections (one per client goroutine): connections are
// made once and reused, as a real client pool does.
type httpSide struct {
	base   string
	client *http.Client
}

func newHTTPSide(base string, conns int) *httpSide {
	return &httpSide{base: base + "/v1/kv/", client: &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			MaxConnsPerHost:     conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}}
}

// Keys are digits after a letter (keyOf), so they need no escaping.
func (h *httpSide) put(key string, value []byte) error {
	_, err := h.do(http.MethodPut, key, value, http.StatusNoContent)
	return err
}

func (h *httpSide) get(key string) ([]byte, error) {
	return h.do(http.MethodGet, key, nil, http.StatusOK)
}

// do sends one request and reads the whole answer, which hands the
// connection back to the pool for the next request.
func (h *httpSide) do(method, key string, body []byte, want int) ([]byte, error) {
	req, err := http.NewRequest(method, h.base+key, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("%s %s: %s %s", method, key, resp.Status, out)
	}
	return out, err
}

func (h *httpSide) close() { h.client.CloseIdleConnections() }

// putOp puts a fresh key each op: worker w's i-th, with w offset by base
// so that each concurrency level writes keys of its own.
func putOp(s kvSide, base int) opFunc {
	return func(w int, i uint64) error {
		n := opNumber(base+w, i)
		return s.put(string(keyOf('p', n)), valueOf(n))
	}
}

// getOp gets a random one of the keys loaded first.
func getOp(s kvSide, keys, workers int) opFunc {
	rngs := workerRands(workers)
	return func(w int, _ uint64) error {
		v, err := s.get(string(keyOf('g', rngs[w].Uint64N(uint64(keys)))))
		if err != nil {
			return err
		}
		return checkLen(len(v))
	}
}

// verifyPuts reads back the first, middle and last key each worker of m
// put, and compares the bytes with what was written.
func verifyPuts(s kvSide, m *meter, base int) (int, error) {
	var nums []uint64
	for w, done := range m.next {
		if done > 0 {
			nums = append(nums, opNumber(base+w, 0), opNumber(base+w, done/2), opNumber(base+w, done-1))
		}
	}
	return len(nums), readBack(s, 'p', nums)
}

// verifyLoaded reads back the first, middle and last loaded key.
func verifyLoaded(s kvSide, keys int) (int, error) {
	nums := []uint64{0, uint64(keys) / 2, uint64(keys) - 1}
	return len(nums), readBack(s, 'g', nums)
}

func readBack(s kvSide, prefix byte, nums []uint64) error {
	for _, n := range nums {
		v, err := s.get(string(keyOf(prefix, n)))
		if err != nil {
			return fmt.Errorf("read back %s: %w", keyOf(prefix, n), err)
		}
		if !bytes.Equal(v, valueOf(n)) {
			return fmt.Errorf("read back %s: got %x, wrote %x", keyOf(prefix, n), v, valueOf(n))
		}
	}
	return nil
}
