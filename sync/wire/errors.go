package wire

import "errors"

var (
	// ErrMalformed marks bytes that do not form a valid message: bad CBOR,
	// unknown fields, or content that breaks the rules in Validate.
	ErrMalformed = errors.New("wire: malformed message")
	// ErrFrameTooLarge marks a frame whose length exceeds the limit. It is
	// found from the length prefix alone, before the body is read.
	ErrFrameTooLarge = errors.New("wire: frame too large")
)
