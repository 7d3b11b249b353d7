package crdt

import "errors"

var (
	// ErrInvalid marks bytes or values that do not form a valid CRDT state.
	ErrInvalid = errors.New("crdt: invalid state")
	// ErrClockOffset marks a remote timestamp too far ahead of local time.
	ErrClockOffset = errors.New("crdt: remote clock too far ahead")
)
