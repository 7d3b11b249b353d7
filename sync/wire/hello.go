package wire

import (
	"errors"

	"github.com/shoal-db/shoal/crdt"
)

// A Hello is a CBOR array of its fields in order. RulesHash came later, in
// the same protocol version: a Hello without it is the array of six that
// nodes sent before it existed, byte for byte, and one with it an array
// of seven. So nodes without scope rules, of either kind, interoperate as
// before, and an older node refuses a Hello with rules as malformed
// rather than syncing with a node whose scopes it cannot know.

// helloV6 is a Hello without RulesHash, as encoded.
type helloV6 struct {
	_         struct{} `cbor:",toarray"`
	Version   uint32
	Replica   crdt.ReplicaID
	VV        *crdt.VersionVector
	Nonce     []byte
	Bootstrap *Bootstrap
	Firsthand *crdt.VersionVector
}

// helloV7 is Hello with every field, RulesHash last; without methods.
type helloV7 Hello

// cborArray6 is the initial byte of a CBOR array of six elements.
const cborArray6 = 0x86

// MarshalCBOR encodes the Hello as an array of six fields when RulesHash
// is nil, else of seven.
func (h Hello) MarshalCBOR() ([]byte, error) {
	if h.RulesHash == nil {
		return crdt.Marshal(&helloV6{Version: h.Version, Replica: h.Replica, VV: h.VV, Nonce: h.Nonce,
			Bootstrap: h.Bootstrap, Firsthand: h.Firsthand})
	}
	return crdt.Marshal((*helloV7)(&h))
}

// UnmarshalCBOR decodes either form, strictly: an array of seven must
// carry a rules hash (not null), and any other length is refused.
// Validation is Decode's.
func (h *Hello) UnmarshalCBOR(b []byte) error {
	if len(b) > 0 && b[0] == cborArray6 {
		var v helloV6
		if err := crdt.Unmarshal(b, &v); err != nil {
			return err
		}
		*h = Hello{Version: v.Version, Replica: v.Replica, VV: v.VV, Nonce: v.Nonce, Bootstrap: v.Bootstrap, Firsthand: v.Firsthand}
		return nil
	}
	var v helloV7
	if err := crdt.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.RulesHash == nil {
		return errors.New("hello of seven fields without a rules hash")
	}
	*h = Hello(v)
	return nil
}
