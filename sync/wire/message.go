package wire

import "github.com/shoal-db/shoal/crdt"

// Version is the protocol version this build speaks. A peer with another
// version is refused at HELLO. Version 2 added Hello's Nonce and
// Bootstrap, the Start message, and messages carried in several frames.
// Hello's RulesHash came later within version 2, as an element that is
// left out when nil (hello.go).
const Version = 2

// Message is one protocol message: exactly one body field is set. Seq
// numbers the messages of one direction of one session from 1; a receiver
// that sees a gap, a repeat or a reordering aborts the session, because a
// Done or a Push that overtakes a lost Batch or Push would let it claim dots
// whose rows it never got.
type Message struct {
	Seq   uint64 `cbor:"0,keyasint"`
	Hello *Hello `cbor:"1,keyasint,omitempty"`
	Batch *Batch `cbor:"2,keyasint,omitempty"`
	Done  *Done  `cbor:"3,keyasint,omitempty"`
	Push  *Push  `cbor:"4,keyasint,omitempty"`
	Ack   *Ack   `cbor:"5,keyasint,omitempty"`
	Start *Start `cbor:"6,keyasint,omitempty"`
}

// Hello opens a session in each direction: who I am, what I have.
type Hello struct {
	_       struct{} `cbor:",toarray"`
	Version uint32
	Replica crdt.ReplicaID
	// VV is every dot the sender has durably applied. The receiver sends
	// it, in catch-up, exactly the rows holding dots outside it.
	VV *crdt.VersionVector
	// Nonce binds Replica to the key of the sender's certificate:
	// Replica == crdt.ReplicaIDFor(key, Nonce), checked by the receiver,
	// so that no other certificate can speak for the replica (at most
	// MaxNonceSize bytes).
	Nonce []byte
	// Bootstrap, if set, asks for a bootstrap (a stream of every row in
	// key order, from a position) instead of an ordinary catch-up.
	Bootstrap *Bootstrap
	// Firsthand, if set, is the part of VV the sender learnt from rows or
	// from each origin itself, not on a third node's word. The receiver
	// takes its own origin's part from it: it then sends every row of its
	// own dots that the sender holds only on another's word (a liar's
	// claim is undone by the origin).
	Firsthand *crdt.VersionVector
	// RulesHash is the hash of the sender's scope rules (crdt/scope's
	// Rules.Hash, RulesHashSize bytes), or nil for a sender without rules.
	// Nodes whose rules differ refuse to sync: every node of a cluster
	// must map a key to the same scope. A Hello without it encodes as
	// before the field existed (see MarshalCBOR), so nodes without rules
	// send the same bytes as before scopes.
	RulesHash []byte
}

// MaxNonceSize bounds Hello.Nonce.
const MaxNonceSize = 64

// RulesHashSize is the length of Hello.RulesHash when set.
const RulesHashSize = 32

// Bootstrap is where a bootstrap resumes: after the row (Key, RowKey), or
// from the first row if Started is false.
type Bootstrap struct {
	_       struct{} `cbor:",toarray"`
	Started bool
	Key     string
	RowKey  []byte
}

// Start opens the catch-up of a bootstrap: VV is the vector of the
// snapshot its rows are read from, told before the rows so that a
// receiver cut off half way knows what the rows it holds came from.
type Start struct {
	_  struct{} `cbor:",toarray"`
	VV *crdt.VersionVector
}

// Row is one row of one key, as stored.
type Row struct {
	_      struct{} `cbor:",toarray"`
	Key    string
	RowKey []byte // crdt.RowKey.Append
	Row    crdt.Row
}

// Batch carries catch-up rows, read from one snapshot of the sender.
type Batch struct {
	_    struct{} `cbor:",toarray"`
	Rows []Row
}

// Done ends a catch-up: every row of the sender's snapshot that the
// receiver lacked has been sent. VV is the version vector read from that
// same snapshot; the receiver may join it once the rows are synced.
type Done struct {
	_  struct{} `cbor:",toarray"`
	VV *crdt.VersionVector
}

// Push carries one commit of the sender, live, in commit order. Pushes are
// sent only after a Done in the same session, and every commit since that
// catch-up's snapshot is pushed, so OwnCounter lets the receiver claim the
// sender's own dots 1..OwnCounter (and nothing else beyond the rows' own
// dots).
type Push struct {
	_          struct{} `cbor:",toarray"`
	Rows       []Row
	OwnCounter uint64
}

// Ack reports the receiver's durable version vector, periodically, and
// the replicas it has a live session with: a node does not relay to a peer
// rows whose origins that peer hears from directly.
type Ack struct {
	_     struct{} `cbor:",toarray"`
	VV    *crdt.VersionVector
	Peers []crdt.ReplicaID
}

// Rows returns the rows a Batch or a Push carries (nil for other messages).
func (m *Message) Rows() []Row {
	switch {
	case m.Batch != nil:
		return m.Batch.Rows
	case m.Push != nil:
		return m.Push.Rows
	}
	return nil
}
