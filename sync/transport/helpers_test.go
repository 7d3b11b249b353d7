package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/identity"
	"github.com/shoal-db/shoal/sync/wire"
)

// Certificates for every test, made once: a cluster CA with nodes
// "server" and "client", and a stranger CA with a node "stranger".
var cluster, strangers string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "transport-test-")
	if err != nil {
		panic(err)
	}
	cluster, strangers = filepath.Join(dir, "cluster"), filepath.Join(dir, "strangers")
	err = setUpPKI()
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func setUpPKI() error {
	for dir, names := range map[string][]string{cluster: {"server", "client"}, strangers: {"stranger"}} {
		if err := identity.InitCA(dir); err != nil {
			return err
		}
		for _, n := range names {
			if err := identity.Issue(dir, n, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func material(dir, name string) identity.Material {
	return identity.Material{
		CAFile:   filepath.Join(dir, "ca.crt"),
		CertFile: filepath.Join(dir, name+".crt"),
		KeyFile:  filepath.Join(dir, name+".key"),
	}
}

// opts returns Options with both TLS configurations of a node, and short
// timeouts so that failures show quickly.
func opts(t testing.TB, dir, name string) *Options {
	t.Helper()
	m := material(dir, name)
	server, err := m.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	client, err := m.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return &Options{TLS: server, ClientTLS: client, HandshakeTimeout: 2 * time.Second}
}

// listen starts a Listener on loopback, closed at the end of the test.
func listen(t testing.TB, o *Options) *Listener {
	t.Helper()
	l, err := Listen("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func hello(seq uint64) *wire.Message {
	return &wire.Message{Seq: seq, Hello: &wire.Hello{Version: wire.Version, Replica: 7, VV: &crdt.VersionVector{}}}
}

func ack(seq uint64) *wire.Message {
	return &wire.Message{Seq: seq, Ack: &wire.Ack{VV: &crdt.VersionVector{}}}
}

// checkGoroutines fails the test if, once its cleanups have run, the
// number of goroutines does not settle back to what it was at the start.
// Call it first: cleanups run last-registered first.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines at the end, %d at the start:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// tlsWithCert is a raw client configuration trusting anything and
// presenting certs, even if the server's request names other CAs (with
// Certificates, crypto/tls would send no certificate then): a
// misbehaving peer.
func tlsWithCert(t testing.TB, certs ...tls.Certificate) *tls.Config {
	return &tls.Config{
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if len(certs) == 0 {
				return &tls.Certificate{}, nil
			}
			return &certs[0], nil
		},
		InsecureSkipVerify: true,
		NextProtos:         []string{identity.NextProto},
		MinVersion:         tls.VersionTLS13,
	}
}

func loadCert(t testing.TB, dir, name string) tls.Certificate {
	t.Helper()
	m := material(dir, name)
	c, err := tls.LoadX509KeyPair(m.CertFile, m.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
