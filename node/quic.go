package node

import (
	"context"
	"os"

	"github.com/shoal-db/shoal/sync/identity"
	"github.com/shoal-db/shoal/sync/transport"
	"github.com/shoal-db/shoal/sync/wire"
)

// replicationTransport returns the transport a node that replicates uses
// and the key its replica id derives from; nil and nil for a local-only
// node.
func (o *Options) replicationTransport() (Transport, []byte, error) {
	if o.Listen == "" && len(o.Peers) == 0 {
		return nil, nil, nil
	}
	t, err := o.transport()
	if err != nil {
		return nil, nil, err
	}
	return t, t.Key(), nil
}

// identityKey returns the key the replica id derives from when the node
// replicates: its Transport's, or its certificate's; nil if neither is set.
func (o *Options) identityKey() ([]byte, error) {
	switch {
	case o.Transport != nil:
		return o.Transport.Key(), nil
	case o.TLS.Cert != "":
		return identity.KeyOfFile(o.TLS.Cert)
	}
	return nil, nil
}

// transport returns the configured transport: Options.Transport, or QUIC
// with mutual TLS from Options.TLS.
func (o *Options) transport() (Transport, error) {
	if o.Transport != nil {
		return o.Transport, nil
	}
	if o.TLS.CA == "" || o.TLS.Cert == "" || o.TLS.Key == "" {
		return nil, errNoTLS
	}
	m := identity.Material{CAFile: o.TLS.CA, CertFile: o.TLS.Cert, KeyFile: o.TLS.Key}
	server, err := m.ServerConfig()
	if err != nil {
		return nil, err
	}
	client, err := m.ClientConfig()
	if err != nil {
		return nil, err
	}
	// The reset secret must survive restarts and stay private: the node's
	// TLS key is both. See transport.Options.ResetSecret.
	secret, err := os.ReadFile(o.TLS.Key)
	if err != nil {
		return nil, err
	}
	key, err := identity.KeyOfFile(o.TLS.Cert)
	if err != nil {
		return nil, err
	}
	return &quicTransport{key: key, opts: transport.Options{TLS: server, ClientTLS: client, Logger: o.Logger, ResetSecret: secret,
		SendTimeout: o.SyncTimeout, FrameTimeout: o.SyncTimeout,
		// One receive budget for every connection, accepted or dialed:
		// the node's peers together cannot make it buffer more.
		Budget: wire.NewBudget(transport.DefaultBudget),
	}}, nil
}

// quicTransport adapts sync/transport (QUIC, mutual TLS 1.3) to Transport.
type quicTransport struct {
	opts transport.Options
	key  []byte // identity.KeyOf our certificate
}

func (q *quicTransport) Key() []byte { return q.key }

func (q *quicTransport) Listen(addr string) (Listener, error) {
	l, err := transport.Listen(addr, &q.opts)
	if err != nil {
		return nil, err
	}
	return quicListener{l}, nil
}

func (q *quicTransport) Dial(ctx context.Context, addr string) (Conn, error) {
	c, err := transport.Dial(ctx, addr, &q.opts)
	if err != nil {
		return nil, err
	}
	return quicConn{c}, nil
}

type quicListener struct{ l *transport.Listener }

func (q quicListener) Accept(ctx context.Context) (Conn, error) {
	c, err := q.l.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return quicConn{c}, nil
}

func (q quicListener) Addr() string { return q.l.Addr().String() }
func (q quicListener) Close() error { return q.l.Close() }

// quicConn gives a QUIC connection the address as a string.
type quicConn struct{ *transport.Conn }

func (q quicConn) RemoteAddr() string { return q.Conn.RemoteAddr().String() }
