package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultAddr is the API's default address.
const DefaultAddr = "http://127.0.0.1:7401"

// APIError is an error answer of the server: its status and message.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return e.Message }

// IsNotFound reports whether err is the server's 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Client talks to one server. Safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// New returns a client of the server at addr, a URL or a bare host:port.
func New(addr string, hc *http.Client) (*Client, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad server address %q: want http://host:port", addr)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return &Client{base: u, hc: hc}, nil
}

// endpoint returns the URL of path + each part escaped as one segment, so
// that a '/' in a key stays in the key.
func (c *Client) endpoint(path string, parts ...string) *url.URL {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	u.Path += path
	for i, p := range parts {
		if i > 0 {
			u.Path += "/"
			u.RawPath += "/"
		}
		u.Path += p
		u.RawPath += url.PathEscape(p)
	}
	return &u
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method string, u *url.URL, body io.Reader, out any) error {
	resp, err := c.send(ctx, method, u, body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: bad answer: %w", method, u.Path, err)
	}
	return nil
}

// send sends a request and returns the response of a 2xx; any other
// status becomes an *APIError with the server's message.
func (c *Client) send(ctx context.Context, method string, u *url.URL, body io.Reader, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, apiError(resp)
}

func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &body) != nil || body.Error == "" {
		body.Error = fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return &APIError{Status: resp.StatusCode, Message: body.Error}
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v) // our request types always encode
	return bytes.NewReader(b)
}
