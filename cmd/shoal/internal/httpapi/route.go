package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/shoal-db/shoal/node"
)

// keyPrefixes are the paths whose whole remainder is one key.
var keyPrefixes = []string{"/v1/kv/", "/v1/counters/", "/v1/sets/"}

const mapPrefix = "/v1/maps/"

// canonicalize rewrites a keyed path so that the key (and a map's field) is
// one escaped path segment. ServeMux cleans paths before matching and would
// redirect "/v1/kv/a//b" to "/v1/kv/a/b", silently changing the key; with
// every '/' and '.' of the key escaped there is nothing left to clean, and
// r.PathValue gives the key back unescaped. It also refuses bad keys before
// any body is read.
func canonicalize(r *http.Request) error {
	esc := r.URL.EscapedPath()
	for _, p := range keyPrefixes {
		if rest, ok := strings.CutPrefix(esc, p); ok {
			return setKeyPath(r, p, rest)
		}
	}
	rest, ok := strings.CutPrefix(esc, mapPrefix)
	if !ok {
		return nil
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return setKeyPath(r, mapPrefix, rest)
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return nil // no field: the router answers 405 (only GET fits)
	}
	return setKeyPath(r, mapPrefix, rest[:i], rest[i+1:])
}

// setKeyPath unescapes and checks each part, then sets the request's path
// to prefix + the parts, each escaped as one segment.
func setKeyPath(r *http.Request, prefix string, escaped ...string) error {
	names := []string{"key", "field"}
	var path, raw strings.Builder
	path.WriteString(prefix)
	raw.WriteString(prefix)
	for i, e := range escaped {
		s, err := url.PathUnescape(e)
		if err != nil {
			return fmt.Errorf("bad escape in the %s %q: %v", names[i], e, err)
		}
		if err := checkName(names[i], s); err != nil {
			return err
		}
		if i > 0 {
			path.WriteByte('/')
			raw.WriteByte('/')
		}
		path.WriteString(s)
		raw.WriteString(strings.ReplaceAll(url.PathEscape(s), ".", "%2E"))
	}
	r.URL.Path, r.URL.RawPath = path.String(), raw.String()
	return nil
}

// checkName applies node's rules for keys, members and fields, so that the
// answer is a 400 before a body is read.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty %s", what)
	case len(s) > node.MaxKeySize:
		return fmt.Errorf("%s of %d bytes, over the limit of %d", what, len(s), node.MaxKeySize)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	}
	return nil
}

// notRouted answers a request no pattern matched: the mux's own handler
// (a plain-text 404 or 405) runs into a scratch writer, and the answer is
// given again as JSON with the same status and Allow header.
func notRouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	scratch := &headerWriter{header: http.Header{}}
	h.ServeHTTP(scratch, r)
	if scratch.code == http.StatusMethodNotAllowed {
		allow := scratch.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)
		return
	}
	writeError(w, http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}

// routeLabel turns "GET /v1/kv/{key...}" into "/v1/kv/{key...}": the
// method is a label of its own.
func routeLabel(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// headerWriter keeps the status and headers and drops the body.
type headerWriter struct {
	header http.Header
	code   int
}

func (h *headerWriter) Header() http.Header         { return h.header }
func (h *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerWriter) WriteHeader(code int)        { h.code = code }

// statusWriter records the status code for the metrics. Unwrap lets
// http.ResponseController reach the connection (flushes, write deadlines).
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
