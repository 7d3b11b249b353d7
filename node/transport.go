package node

import (
	"context"

	"github.com/shoal-db/shoal/sync/wire"
)

// Conn is one connection to a peer: an ordered, reliable stream of
// messages in each direction, authenticated. Send may be called by one
// goroutine and Recv by another at the same time; Close unblocks both.
type Conn interface {
	Send(m *wire.Message) error
	Recv() (*wire.Message, error)
	// PeerName is the name in the peer's verified certificate.
	PeerName() string
	// PeerKey is the hash of the peer's certificate public key
	// (identity.KeyOf): its replica id must derive from it.
	PeerKey() []byte
	RemoteAddr() string
	BytesSent() uint64
	BytesReceived() uint64
	Close() error
}

// Listener accepts connections from peers.
type Listener interface {
	Accept(ctx context.Context) (Conn, error)
	Addr() string
	Close() error
}

// Transport connects a node to its peers. The default is QUIC with mutual
// TLS (package sync/transport); tests pass an in-memory network.
type Transport interface {
	Listen(addr string) (Listener, error)
	Dial(ctx context.Context, addr string) (Conn, error)
	// Key is the hash of this node's certificate public key: the replica
	// id is derived from it, so that peers can check it.
	Key() []byte
}
