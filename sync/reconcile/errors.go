package reconcile

import "errors"

var (
	// ErrMalformed marks peer bytes that do not form a valid message: bad
	// or non-canonical CBOR, unsorted or overlapping ranges, keys outside
	// their range, fields of the wrong size.
	ErrMalformed = errors.New("reconcile: malformed message")
	// ErrTooLarge marks a message over one of the limits (MaxMessageBytes,
	// MaxEntries, MaxItems, MaxKeyLen, MaxTotal). It is found before the
	// message is acted on; from the byte count alone for MaxMessageBytes.
	ErrTooLarge = errors.New("reconcile: message over a limit")
	// ErrProtocol marks a well-formed message that contradicts the
	// session: a report on a range we did not list, a claim about our own
	// items that is false, a changed total, a peer contradicting itself.
	// The session must end.
	ErrProtocol = errors.New("reconcile: peer broke the protocol")
	// ErrTooManyRounds marks a peer that kept the exchange going past
	// MaxRounds.
	ErrTooManyRounds = errors.New("reconcile: too many rounds")
	// ErrState marks a call the session cannot take now: Initiate twice or
	// after Step, Step after the exchange ended or after an error.
	ErrState = errors.New("reconcile: call out of order")
	// ErrOptions marks an Options field out of its range.
	ErrOptions = errors.New("reconcile: invalid options")
	// ErrDuplicateKey marks a key given twice with different values.
	ErrDuplicateKey = errors.New("reconcile: key given twice with different values")
	// ErrKeyTooLong marks a key longer than MaxKeyLen.
	ErrKeyTooLong = errors.New("reconcile: key too long")
)
