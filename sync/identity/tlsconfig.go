package identity

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// NextProto is the ALPN protocol of Shoal's sync connections.
const NextProto = "shoal/1"

// Material names the PEM files of a node's TLS identity: the cluster CA's
// certificate(s), and the node's certificate and key.
type Material struct{ CAFile, CertFile, KeyFile string }

// ServerConfig returns the configuration for accepting sync connections:
// TLS 1.3 only, and a client certificate is required and verified against
// the cluster CA.
func (m Material) ServerConfig() (*tls.Config, error) {
	pool, cert, err := m.load()
	if err != nil {
		return nil, err
	}
	cfg := baseConfig(cert)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = pool
	cfg.VerifyConnection = checkPeerName // the chain is verified by crypto/tls
	return cfg, nil
}

// ClientConfig returns the configuration for dialling sync connections:
// TLS 1.3 only, with the node's certificate, verifying the server's chain
// against the cluster CA.
//
// The server's host name is not verified. Peers are dialled by IPs and
// host names that their certificates need not list, and a connection's
// address may change under QUIC migration; a peer is who its certificate,
// signed by the cluster CA, says it is (see PeerName). So crypto/tls's own
// check, which always includes the host name, is off (InsecureSkipVerify)
// and VerifyConnection verifies the chain explicitly instead, for server
// use, on every handshake.
func (m Material) ClientConfig() (*tls.Config, error) {
	pool, cert, err := m.load()
	if err != nil {
		return nil, err
	}
	cfg := baseConfig(cert)
	cfg.RootCAs = pool
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyServer(cs, pool) }
	return cfg, nil
}

// baseConfig holds what both sides share. Session tickets are off: every
// connection makes a full handshake and verifies the peer's certificate
// anew, and without resumption there is no 0-RTT (which the transport
// also never enables).
func baseConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{cert},
		NextProtos:             []string{NextProto},
		SessionTicketsDisabled: true,
	}
}

// load reads the CA pool and the node's key pair.
func (m Material) load() (*x509.CertPool, tls.Certificate, error) {
	pemBytes, err := os.ReadFile(m.CAFile)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("identity: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, tls.Certificate{}, fmt.Errorf("identity: no certificate in %s", m.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(m.CertFile, m.KeyFile)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("identity: load %s: %w", m.CertFile, err)
	}
	return pool, cert, nil
}
