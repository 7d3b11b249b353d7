package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
)

// Value is a register's value and how many concurrent siblings it has.
type Value struct {
	Bytes     []byte
	Conflicts int
}

// Put sets the register at key.
func (c *Client) Put(ctx context.Context, key string, value []byte) error {
	return c.do(ctx, http.MethodPut, c.endpoint("/v1/kv/", key), bytes.NewReader(value), nil)
}

// Get returns the register at key; a missing key is an *APIError with 404.
func (c *Client) Get(ctx context.Context, key string) (Value, error) {
	resp, err := c.send(ctx, http.MethodGet, c.endpoint("/v1/kv/", key), nil, nil)
	if err != nil {
		return Value{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	n, _ := strconv.Atoi(resp.Header.Get(httpapi.ConflictsHeader))
	return Value{Bytes: b, Conflicts: n}, err
}

// Detail returns the register at key with its HLC, origin and siblings.
func (c *Client) Detail(ctx context.Context, key string) (httpapi.Detail, error) {
	u := c.endpoint("/v1/kv/", key)
	u.RawQuery = "detail=1"
	var d httpapi.Detail
	return d, c.do(ctx, http.MethodGet, u, nil, &d)
}

// Delete removes the register at key.
func (c *Client) Delete(ctx context.Context, key string) error {
	return c.do(ctx, http.MethodDelete, c.endpoint("/v1/kv/", key), nil, nil)
}

// Item is one key of a listing; Value is as the GET of its Type gives it.
type Item struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// Page is one page of a listing; Next is empty on the last.
type Page struct {
	Items []Item `json:"items"`
	Next  string `json:"next"`
}

// List returns one page of the keys with prefix from start. typ is
// "" (registers), a type name, or "all"; limit 0 is the server's default.
func (c *Client) List(ctx context.Context, prefix, start, typ string, limit int) (Page, error) {
	u := c.endpoint("/v1/kv")
	q := url.Values{"prefix": {prefix}}
	if start != "" {
		q.Set("start", start)
	}
	if typ != "" {
		q.Set("type", typ)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	u.RawQuery = q.Encode()
	var p Page
	return p, c.do(ctx, http.MethodGet, u, nil, &p)
}

// CounterAdd adds n to the counter and returns its total just after.
func (c *Client) CounterAdd(ctx context.Context, key string, n int64) (int64, error) {
	var v httpapi.CounterValue
	err := c.do(ctx, http.MethodPost, c.endpoint("/v1/counters/", key), jsonBody(httpapi.CounterAdd{Add: &n}), &v)
	return v.Value, err
}

// Counter returns the counter's total; an absent counter is 0.
func (c *Client) Counter(ctx context.Context, key string) (int64, error) {
	var v httpapi.CounterValue
	err := c.do(ctx, http.MethodGet, c.endpoint("/v1/counters/", key), nil, &v)
	return v.Value, err
}

// SetUpdate adds and removes members of the set at key, atomically.
func (c *Client) SetUpdate(ctx context.Context, key string, add, remove []string) error {
	return c.do(ctx, http.MethodPost, c.endpoint("/v1/sets/", key), jsonBody(httpapi.SetUpdate{Add: add, Remove: remove}), nil)
}

// Members returns the set's members, sorted.
func (c *Client) Members(ctx context.Context, key string) ([]string, error) {
	var v httpapi.SetMembers
	err := c.do(ctx, http.MethodGet, c.endpoint("/v1/sets/", key), nil, &v)
	return v.Members, err
}

// MapSet sets one field of the map at key.
func (c *Client) MapSet(ctx context.Context, key, field string, value []byte) error {
	return c.do(ctx, http.MethodPut, c.endpoint("/v1/maps/", key, field), bytes.NewReader(value), nil)
}

// MapDelete removes one field of the map at key.
func (c *Client) MapDelete(ctx context.Context, key, field string) error {
	return c.do(ctx, http.MethodDelete, c.endpoint("/v1/maps/", key, field), nil, nil)
}

// Map returns the map's fields.
func (c *Client) Map(ctx context.Context, key string) (map[string][]byte, error) {
	var v httpapi.MapFields
	err := c.do(ctx, http.MethodGet, c.endpoint("/v1/maps/", key), nil, &v)
	return v.Fields, err
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (httpapi.Status, error) {
	var st httpapi.Status
	return st, c.do(ctx, http.MethodGet, c.endpoint("/v1/status"), nil, &st)
}

// Backup asks the agent to write a backup of its node into dir, an
// absolute path on the agent's machine that must not exist yet.
func (c *Client) Backup(ctx context.Context, dir string) (httpapi.BackupResult, error) {
	var res httpapi.BackupResult
	err := c.do(ctx, http.MethodPost, c.endpoint("/v1/admin/backup"), jsonBody(httpapi.BackupRequest{Dir: dir}), &res)
	return res, err
}
