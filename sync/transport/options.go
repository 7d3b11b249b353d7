package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"log/slog"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/shoal-db/shoal/sync/identity"
	"github.com/shoal-db/shoal/sync/wire"
)

// Defaults of the zero Options fields.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
	DefaultKeepAlive        = 5 * time.Second
	DefaultFrameTimeout     = 30 * time.Second
	DefaultSendTimeout      = 30 * time.Second
	DefaultMinRate          = 64 << 10 // bytes per second
	DefaultMaxConns         = 1024
	DefaultBudget           = 512 << 20 // bytes
)

// Options configure a Listener or a Dial. Zero fields take defaults; the
// caller's struct and TLS configurations are never modified.
type Options struct {
	// TLS is the server configuration, needed by Listen: typically
	// identity.Material.ServerConfig. It must require and verify client
	// certificates.
	TLS *tls.Config
	// ClientTLS is the client configuration, needed by Dial: typically
	// identity.Material.ClientConfig. It must present a certificate and
	// verify the server's.
	ClientTLS *tls.Config
	// MaxFrameSize caps the body of a frame, both ways (wire.MaxFrameSize
	// if 0). Peers must agree on it: a larger frame is refused. A message
	// larger than a frame travels in several.
	MaxFrameSize int
	// MaxMessageSize caps a message, all its frames together, both ways
	// (wire.MaxMessageSize if 0). Peers must agree on it.
	MaxMessageSize int
	// Budget bounds the memory that connections buffer for messages being
	// received beyond wire.FreeBytes each (see wire.Budget): share one
	// across every Listener and Dial of a node. If nil, each Listener (for
	// all its connections) and each Dial gets its own of DefaultBudget
	// bytes. A connection whose message does not fit is closed with
	// CodeBusy.
	Budget wire.Budget
	// HandshakeTimeout bounds the QUIC handshake (as an idle timeout:
	// quic-go aborts a handshake that takes twice as long in all), and on
	// the accepting side, the arrival of the dialer's whole first message
	// (its HELLO), counted from the end of the handshake.
	HandshakeTimeout time.Duration
	// FrameTimeout bounds the arrival of a message once its first byte is
	// in, plus the message's declared size at MinRate; past it Recv fails
	// with os.ErrDeadlineExceeded and the connection closes. Between
	// messages there is no deadline: KeepAlive and IdleTimeout find a
	// dead peer.
	FrameTimeout time.Duration
	// SendTimeout bounds a Send, plus its size at MinRate: a peer that
	// stops reading blocks Send only so long, then the connection closes.
	SendTimeout time.Duration
	// MinRate is the slowest transfer FrameTimeout and SendTimeout allow
	// for, in bytes per second, so that a big message over a slow link
	// still has time.
	MinRate int
	// MaxConns caps the connections a Listener holds at once, accepted or
	// still setting up; past it a new one is closed at once with
	// CodeRefused.
	MaxConns int
	// IdleTimeout closes a connection that hears nothing for this long.
	IdleTimeout time.Duration
	// KeepAlive is the period of keep-alive packets, which keep a quiet
	// connection, and NAT mappings on the way, alive.
	KeepAlive time.Duration
	// Logger receives connection events (slog.DiscardHandler if nil).
	Logger *slog.Logger
	// ResetSecret, if set, derives the QUIC stateless reset key. It must be
	// the same across restarts of a node (e.g. derived from its TLS key):
	// then a node restarted on its port answers its peers' packets for the
	// connections it lost with a stateless reset, and they redial at once
	// instead of waiting out the idle timeout.
	ResetSecret []byte
}

// statelessResetKey derives the reset key from ResetSecret, or nil.
func (o *Options) statelessResetKey() *quic.StatelessResetKey {
	if len(o.ResetSecret) == 0 {
		return nil
	}
	k := quic.StatelessResetKey(sha256.Sum256(append([]byte("shoal stateless reset\x00"), o.ResetSecret...)))
	return &k
}

// withDefaults returns a copy of o with every zero field set.
func (o *Options) withDefaults() *Options {
	var c Options
	if o != nil {
		c = *o
	}
	c.MaxFrameSize = orDefault(c.MaxFrameSize, wire.MaxFrameSize)
	c.MaxMessageSize = orDefault(c.MaxMessageSize, wire.MaxMessageSize)
	if c.Budget == nil {
		c.Budget = wire.NewBudget(DefaultBudget)
	}
	c.HandshakeTimeout = orDefault(c.HandshakeTimeout, DefaultHandshakeTimeout)
	c.IdleTimeout = orDefault(c.IdleTimeout, DefaultIdleTimeout)
	c.KeepAlive = orDefault(c.KeepAlive, DefaultKeepAlive)
	c.FrameTimeout = orDefault(c.FrameTimeout, DefaultFrameTimeout)
	c.SendTimeout = orDefault(c.SendTimeout, DefaultSendTimeout)
	c.MinRate = orDefault(c.MinRate, DefaultMinRate)
	c.MaxConns = orDefault(c.MaxConns, DefaultMaxConns)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &c
}

func orDefault[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// atMinRate is how long n bytes take at MinRate.
func (o *Options) atMinRate(n int) time.Duration {
	r := o.MinRate
	return time.Duration(n/r)*time.Second + time.Duration(n%r)*time.Second/time.Duration(r)
}

// serverTLS returns a copy of TLS fit for QUIC and for identifying peers.
func (o *Options) serverTLS() (*tls.Config, error) {
	if o.TLS == nil {
		return nil, errors.New("transport: Options.TLS is required to listen")
	}
	if o.TLS.ClientAuth != tls.RequireAndVerifyClientCert {
		return nil, errors.New("transport: Options.TLS must require and verify client certificates")
	}
	return tlsForQUIC(o.TLS), nil
}

// clientTLS returns a copy of ClientTLS fit for QUIC. A configuration that
// skips crypto/tls's verification must verify the chain itself, or
// PeerName would name an unverified peer.
func (o *Options) clientTLS() (*tls.Config, error) {
	c := o.ClientTLS
	switch {
	case c == nil:
		return nil, errors.New("transport: Options.ClientTLS is required to dial")
	case len(c.Certificates) == 0 && c.GetClientCertificate == nil:
		return nil, errors.New("transport: Options.ClientTLS has no client certificate")
	case c.InsecureSkipVerify && c.VerifyConnection == nil && c.VerifyPeerCertificate == nil:
		return nil, errors.New("transport: Options.ClientTLS skips verification and verifies nothing itself")
	}
	return tlsForQUIC(c), nil
}

// tlsForQUIC clones c with TLS 1.3 as the floor and Shoal's ALPN name.
func tlsForQUIC(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.MinVersion = tls.VersionTLS13
	if len(c.NextProtos) == 0 {
		c.NextProtos = []string{identity.NextProto}
	}
	return c
}

// quicConfig returns the QUIC settings. The acceptor allows exactly one
// incoming stream (the sync stream), the dialer none; neither allows
// unidirectional streams, and 0-RTT is off.
func (o *Options) quicConfig(server bool) *quic.Config {
	streams := int64(-1)
	if server {
		streams = 1
	}
	return &quic.Config{
		HandshakeIdleTimeout:  o.HandshakeTimeout,
		MaxIdleTimeout:        o.IdleTimeout,
		KeepAlivePeriod:       o.KeepAlive,
		MaxIncomingStreams:    streams,
		MaxIncomingUniStreams: -1,
		Allow0RTT:             false,
	}
}
