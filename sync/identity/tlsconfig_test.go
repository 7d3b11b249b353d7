package identity

import (
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func material(dir, name string) Material {
	return Material{
		CAFile:   filepath.Join(dir, "ca.crt"),
		CertFile: filepath.Join(dir, name+".crt"),
		KeyFile:  filepath.Join(dir, name+".key"),
	}
}

func configs(t *testing.T, m Material) (server, client *tls.Config) {
	t.Helper()
	server, err := m.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	client, err = m.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return server, client
}

// result is what one side of a handshake saw.
type result struct {
	state tls.ConnectionState
	err   error
}

// handshake runs a TLS handshake over an in-memory pipe. In TLS 1.3 a
// client finishes before the server has checked its certificate, so each
// side then exchanges one byte: a refusal shows up on both.
func handshake(t *testing.T, server, client *tls.Config) (srv, cli result) {
	t.Helper()
	a, b := net.Pipe()
	deadline := time.Now().Add(10 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	done := make(chan result, 1)
	go func() { done <- exchange(tls.Server(a, server), true) }()
	cli = exchange(tls.Client(b, client), false)
	return <-done, cli
}

// exchange handshakes, then writes (server) or reads (client) one byte.
// It closes the pipe, not the TLS conn: a close_notify written by both
// sides at once would block on the unbuffered pipe.
func exchange(c *tls.Conn, write bool) result {
	defer c.NetConn().Close()
	err := c.Handshake()
	if err == nil && write {
		_, err = c.Write([]byte{1})
	} else if err == nil {
		_, err = c.Read(make([]byte, 1))
	}
	return result{c.ConnectionState(), err}
}

func TestHandshakeBetweenNodes(t *testing.T) {
	dir := newCA(t, "n1", "n2")
	server, _ := configs(t, material(dir, "n1"))
	_, client := configs(t, material(dir, "n2"))
	srv, cli := handshake(t, server, client)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
	for _, c := range []struct {
		side  string
		state tls.ConnectionState
		peer  string
	}{{"server", srv.state, "n2"}, {"client", cli.state, "n1"}} {
		name, err := PeerName(c.state)
		if err != nil || name != c.peer {
			t.Errorf("%s: PeerName = %q, %v; want %q", c.side, name, err, c.peer)
		}
		if c.state.Version != tls.VersionTLS13 || c.state.NegotiatedProtocol != NextProto {
			t.Errorf("%s: version %x, protocol %q", c.side, c.state.Version, c.state.NegotiatedProtocol)
		}
	}
}

func TestHandshakeRefusesOtherCA(t *testing.T) {
	ours, theirs := newCA(t, "n1", "n2"), newCA(t, "x")
	server, client := configs(t, material(ours, "n1"))
	strangerServer, strangerClient := configs(t, material(theirs, "x"))

	// A stranger that trusts any server, and sends its certificate even
	// though the server's request names only our CA (crypto/tls would
	// otherwise send none): the server's own check must refuse it.
	strangerClient.VerifyConnection = nil
	cert := strangerClient.Certificates[0]
	strangerClient.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	srv, _ := handshake(t, server, strangerClient)
	var verr *tls.CertificateVerificationError
	if !errors.As(srv.err, &verr) {
		t.Errorf("server: %v, want a verification error for a client certificate from another CA", srv.err)
	}
	_, cli := handshake(t, strangerServer, client)
	if !errors.Is(cli.err, ErrPeer) {
		t.Errorf("client: %v, want ErrPeer for a server certificate from another CA", cli.err)
	}
}

func TestHandshakeRefusesMissingClientCert(t *testing.T) {
	dir := newCA(t, "n1")
	server, client := configs(t, material(dir, "n1"))
	client.Certificates = nil
	if srv, cli := handshake(t, server, client); srv.err == nil || cli.err == nil {
		t.Errorf("no client certificate: server %v, client %v; want both to fail", srv.err, cli.err)
	}
}

func TestHandshakeRefusesTLS12(t *testing.T) {
	dir := newCA(t, "n1")
	server, client := configs(t, material(dir, "n1"))
	client.MinVersion, client.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	if srv, _ := handshake(t, server, client); srv.err == nil {
		t.Error("server accepted TLS 1.2")
	}
}

func TestPeerNameWithoutCertificate(t *testing.T) {
	if _, err := PeerName(tls.ConnectionState{}); !errors.Is(err, ErrPeer) {
		t.Fatalf("PeerName of no certificate: %v, want ErrPeer", err)
	}
}

func TestMaterialErrors(t *testing.T) {
	dir := newCA(t, "n1")
	for _, m := range []Material{
		{CAFile: filepath.Join(dir, "missing"), CertFile: filepath.Join(dir, "n1.crt"), KeyFile: filepath.Join(dir, "n1.key")},
		{CAFile: filepath.Join(dir, "n1.key"), CertFile: filepath.Join(dir, "n1.crt"), KeyFile: filepath.Join(dir, "n1.key")},
		{CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "n1.crt"), KeyFile: filepath.Join(dir, "ca.key")},
	} {
		if _, err := m.ServerConfig(); err == nil {
			t.Errorf("ServerConfig(%+v) succeeded", m)
		}
	}
}
