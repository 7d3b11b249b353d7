package node

import "errors"

// Sentinel errors, checked with errors.Is. Errors returned by DB wrap them
// with the key or value that was wrong.
var (
	// ErrNotFound: the register or map field is absent or deleted.
	ErrNotFound = errors.New("shoal: not found")
	// ErrWrongType: the key holds another type than the operation's.
	ErrWrongType = errors.New("shoal: wrong type")
	// ErrClosed: the DB was closed.
	ErrClosed = errors.New("shoal: closed")
	// ErrInvalidKey: an empty key, a key over MaxKeySize, or one that is not UTF-8.
	// Set members and map fields follow the same rules.
	ErrInvalidKey = errors.New("shoal: invalid key")
	// ErrValueTooLarge: a value over Options.MaxValueSize.
	ErrValueTooLarge = errors.New("shoal: value too large")
	// ErrCursorExpired: a watch cursor older than the events the DB still
	// keeps, from an earlier run of the DB, or a watcher that fell that far
	// behind. The watcher must start again without a cursor (after a fresh
	// read of what it follows).
	ErrCursorExpired = errors.New("shoal: watch cursor expired")
)
