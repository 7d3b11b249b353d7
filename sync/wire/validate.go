package wire

import (
	"fmt"
	"unicode/utf8"

	"github.com/shoal-db/shoal/crdt"
)

// MaxKeySize is the largest key a Row may name, in bytes. It matches the
// node's limit on keys, so that whatever a node accepts it can also sync.
const MaxKeySize = 1024

// Validate checks what the CBOR types alone do not: exactly one body field is
// set, Hello carries a version, every version vector that the protocol
// relies on is present, and every row is valid and agrees with its row key.
// Errors wrap ErrMalformed.
func (m *Message) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil message", ErrMalformed)
	}
	if n := m.fieldsSet(); n != 1 {
		return fmt.Errorf("%w: %d body fields set, want exactly 1", ErrMalformed, n)
	}
	switch {
	case m.Hello != nil:
		return m.Hello.validate()
	case m.Batch != nil:
		return validateRows(m.Batch.Rows)
	case m.Done != nil:
		return requireVV("done", m.Done.VV)
	case m.Push != nil:
		return validateRows(m.Push.Rows)
	case m.Start != nil:
		return requireVV("start", m.Start.VV)
	default:
		return requireVV("ack", m.Ack.VV)
	}
}

// fieldsSet counts the non-nil fields of m.
func (m *Message) fieldsSet() int {
	n := 0
	for _, set := range []bool{m.Hello != nil, m.Batch != nil, m.Done != nil, m.Push != nil, m.Ack != nil, m.Start != nil} {
		if set {
			n++
		}
	}
	return n
}

func (h *Hello) validate() error {
	if h.Version == 0 {
		return fmt.Errorf("%w: hello without a protocol version", ErrMalformed)
	}
	if len(h.Nonce) > MaxNonceSize {
		return fmt.Errorf("%w: hello nonce of %d bytes, limit %d", ErrMalformed, len(h.Nonce), MaxNonceSize)
	}
	if h.RulesHash != nil && len(h.RulesHash) != RulesHashSize {
		return fmt.Errorf("%w: hello rules hash of %d bytes, want %d", ErrMalformed, len(h.RulesHash), RulesHashSize)
	}
	if b := h.Bootstrap; b != nil && b.Started {
		if b.Key == "" || len(b.Key) > MaxKeySize || !utf8.ValidString(b.Key) {
			return fmt.Errorf("%w: bootstrap position with a bad key", ErrMalformed)
		}
		if _, err := crdt.ParseRowKey(b.RowKey); err != nil {
			return fmt.Errorf("%w: bootstrap position: %w", ErrMalformed, err)
		}
	}
	return requireVV("hello", h.VV)
}

// requireVV refuses a missing version vector: a receiver would otherwise
// have to guess between "nothing" and "unknown", and guessing "everything"
// loses writes.
func requireVV(what string, vv *crdt.VersionVector) error {
	if vv == nil {
		return fmt.Errorf("%w: %s without a version vector", ErrMalformed, what)
	}
	return nil
}

func validateRows(rows []Row) error {
	for i := range rows {
		if err := rows[i].validate(); err != nil {
			return fmt.Errorf("%w: row %d: %w", ErrMalformed, i, err)
		}
	}
	return nil
}

// validate checks one row as the receiver will store it: a key the node
// would accept, a well-formed row key, and a row whose kind is the row
// key's kind (the storage layout keys rows by RowKey, and Join trusts that
// both sides are of one kind).
func (r *Row) validate() error {
	if r.Key == "" || len(r.Key) > MaxKeySize || !utf8.ValidString(r.Key) {
		return fmt.Errorf("key of %d bytes: empty, over %d bytes or not UTF-8", len(r.Key), MaxKeySize)
	}
	rk, err := crdt.ParseRowKey(r.RowKey)
	if err != nil {
		return fmt.Errorf("key %q: %w", r.Key, err)
	}
	if err := r.Row.Validate(); err != nil {
		return fmt.Errorf("key %q: %w", r.Key, err)
	}
	if r.Row.Kind != rk.Kind {
		return fmt.Errorf("key %q: row of kind %s under a %s row key", r.Key, r.Row.Kind, rk.Kind)
	}
	return nil
}
