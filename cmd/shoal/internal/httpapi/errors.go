package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/shoal-db/shoal/node"
)

// errorBody is every error answer: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON answers v as JSON with the status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// An encoding error here means the client went away; nothing to answer.
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, errorBody{Error: fmt.Sprintf(format, args...)})
}

// nodeError answers an error from the node with the status it deserves:
// the caller's mistakes are 4xx, the node's own failures 5xx.
func (s *Server) nodeError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, node.ErrInvalidKey):
		code = http.StatusBadRequest
	case errors.Is(err, node.ErrValueTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, node.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, node.ErrWrongType):
		code = http.StatusConflict
	case errors.Is(err, node.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = http.StatusServiceUnavailable
	}
	if code >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	// Node's errors start with "shoal: "; the CLI adds its own.
	writeError(w, code, "%s", strings.TrimPrefix(err.Error(), "shoal: "))
}

// badRequest is a client error found while reading a request, with its status.
type badRequest struct {
	code int
	msg  string
}

func (b *badRequest) Error() string { return b.msg }

func (s *Server) writeBad(w http.ResponseWriter, err error) {
	var b *badRequest
	if errors.As(err, &b) {
		writeError(w, b.code, "%s", b.msg)
		return
	}
	writeError(w, http.StatusBadRequest, "%v", err)
}

// readValue reads a register or map field value, refusing more than the
// configured limit without reading past it.
func (s *Server) readValue(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.opts.MaxValueSize)))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &badRequest{http.StatusRequestEntityTooLarge, fmt.Sprintf("value over the limit of %d bytes", s.opts.MaxValueSize)}
	}
	if err != nil {
		return nil, &badRequest{http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err)}
	}
	return b, nil
}

// decodeJSON reads exactly one JSON object into dst, refusing unknown
// fields, wrong types, trailing data and bodies over the limit.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	limit := max(s.opts.MaxValueSize, minJSONBody)
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, int64(limit)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &badRequest{http.StatusBadRequest, "malformed JSON: more data after the object"}
	}
	return nil
}

// jsonError says what was wrong with a JSON body.
func jsonError(err error, limit int) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		tooBig *http.MaxBytesError
		msg    string
	)
	switch {
	case errors.As(err, &tooBig):
		return &badRequest{http.StatusRequestEntityTooLarge, fmt.Sprintf("body over the limit of %d bytes", limit)}
	case errors.Is(err, io.EOF):
		msg = "empty body: want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "malformed JSON: unexpected end of the body"
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ) && typ.Field != "":
		msg = fmt.Sprintf("wrong JSON type for %q: got %s, want %s", typ.Field, typ.Value, jsonTypeName(typ.Type.String()))
	case errors.As(err, &typ):
		msg = fmt.Sprintf("wrong JSON type: got %s, want an object", typ.Value)
	case strings.Contains(err.Error(), "unknown field"):
		msg = "unknown field " + err.Error()[strings.Index(err.Error(), "unknown field")+len("unknown field "):]
	default:
		msg = fmt.Sprintf("bad JSON: %v", err)
	}
	return &badRequest{http.StatusBadRequest, msg}
}

// jsonTypeName names a Go type the way a JSON user would.
func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array of " + jsonTypeName(goType[2:]) + "s"
	case goType == "string":
		return "string"
	case strings.Contains(goType, "int"):
		return "an integer"
	}
	return goType
}
