package wire

import (
	"fmt"

	"github.com/shoal-db/shoal/crdt"
)

// Encode returns the canonical CBOR body of m (crdt's deterministic
// encoding: equal messages give equal bytes). It refuses a message that
// Decode would refuse, so a local bug shows up here rather than as a peer
// dropping the connection.
func Encode(m *Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := crdt.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("wire: encode: %w", err)
	}
	return b, nil
}

// Decode decodes and validates one message body from a peer. It uses
// crdt's strict options (no duplicate map keys, unknown fields,
// indefinite lengths or tags; bounded nesting and sizes) and then
// Validate. Any bad input gives an error wrapping ErrMalformed, never a
// panic.
func Decode(b []byte) (*Message, error) {
	var m Message
	if err := crdt.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}
