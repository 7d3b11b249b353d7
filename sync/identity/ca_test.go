package identity

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// newCA makes a CA and the named node certificates in a fresh directory.
func newCA(t *testing.T, names ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	if err := InitCA(dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := Issue(dir, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIssueAndVerify(t *testing.T) {
	dir := newCA(t, "n1")
	ca, node := readCert(t, filepath.Join(dir, "ca.crt")), readCert(t, filepath.Join(dir, "n1.crt"))
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := node.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Errorf("verify for usage %v: %v", usage, err)
		}
	}
	if node.Subject.CommonName != "n1" || !slices.Equal(node.DNSNames, []string{"localhost"}) || len(node.IPAddresses) != 2 {
		t.Errorf("node certificate: CN %q, DNS %v, IPs %v", node.Subject.CommonName, node.DNSNames, node.IPAddresses)
	}
	checkLifetime(t, "CA", ca, CAValidity)
	checkLifetime(t, "node", node, NodeValidity)
	if !ca.IsCA || node.IsCA {
		t.Errorf("IsCA: CA %v, node %v", ca.IsCA, node.IsCA)
	}
	for _, key := range []string{"ca.key", "n1.key"} {
		if fi, err := os.Stat(filepath.Join(dir, key)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", key, fi.Mode(), err)
		}
	}
}

func checkLifetime(t *testing.T, what string, c *x509.Certificate, want time.Duration) {
	t.Helper()
	if got := time.Until(c.NotAfter); got < want-time.Minute || got > want {
		t.Errorf("%s certificate valid for %v more, want %v", what, got, want)
	}
}

func TestIssueHosts(t *testing.T) {
	dir := newCA(t)
	if err := Issue(dir, "edge-1.eu", []string{"10.0.0.7", "fe80::1", "edge1.example.com", "*.nodes.example"}); err != nil {
		t.Fatal(err)
	}
	c := readCert(t, filepath.Join(dir, "edge-1.eu.crt"))
	if !slices.Equal(c.DNSNames, []string{"edge1.example.com", "*.nodes.example"}) ||
		!c.IPAddresses[0].Equal(net.ParseIP("10.0.0.7")) || !c.IPAddresses[1].Equal(net.ParseIP("fe80::1")) {
		t.Fatalf("SANs: DNS %v, IPs %v", c.DNSNames, c.IPAddresses)
	}
	for _, bad := range []string{"", "a b", "a/b", "x*y", "*", "host_1"} {
		if err := Issue(dir, "n", []string{bad}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("host %q: %v, want ErrInvalidName", bad, err)
		}
	}
}

func TestBadNamesRefused(t *testing.T) {
	dir := newCA(t)
	bad := []string{"", ".", "..", ".hidden", "a/b", `a\b`, "../x", "a b", "é", "ca", "n\x00", strings.Repeat("n", MaxNameLen+1)}
	for _, name := range bad {
		if err := Issue(dir, name, nil); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Issue(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	if err := Issue(dir, strings.Repeat("n", MaxNameLen), nil); err != nil {
		t.Errorf("name of %d bytes: %v", MaxNameLen, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("bad names wrote outside the directory: %v", entries)
	}
}

func TestNoOverwrite(t *testing.T) {
	dir := newCA(t, "n1")
	before, _ := os.ReadFile(filepath.Join(dir, "n1.key"))
	if err := InitCA(dir); !errors.Is(err, ErrExists) {
		t.Errorf("InitCA over a CA: %v, want ErrExists", err)
	}
	if err := Issue(dir, "n1", nil); !errors.Is(err, ErrExists) {
		t.Errorf("Issue over n1: %v, want ErrExists", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "n1.key")); string(after) != string(before) {
		t.Error("n1.key changed")
	}
	os.Remove(filepath.Join(dir, "ca.crt"))
	if err := InitCA(dir); !errors.Is(err, ErrExists) {
		t.Errorf("InitCA with ca.key left: %v, want ErrExists", err)
	}
	if err := Issue(t.TempDir(), "n2", nil); err == nil {
		t.Error("Issue without a CA succeeded")
	}
}

func TestEnsureSelfSigned(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ca, cert, key, created, err := EnsureSelfSigned(data)
	if err != nil || !created {
		t.Fatalf("first call: created %v, %v", created, err)
	}
	first, _ := os.ReadFile(key)
	ca2, cert2, key2, created, err := EnsureSelfSigned(data)
	if err != nil || created || ca2 != ca || cert2 != cert || key2 != key {
		t.Fatalf("second call: %s %s %s created %v, %v", ca2, cert2, key2, created, err)
	}
	if again, _ := os.ReadFile(key); string(again) != string(first) {
		t.Fatal("the key changed on the second call")
	}
	if name := readCert(t, cert).Subject.CommonName; name != SelfSignedName {
		t.Fatalf("CN %q", name)
	}
	server, client := configs(t, Material{CAFile: ca, CertFile: cert, KeyFile: key})
	if srv, cli := handshake(t, server, client); srv.err != nil || cli.err != nil {
		t.Fatalf("self-signed handshake: server %v, client %v", srv.err, cli.err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(data, ".tls-new-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary directories left: %v", leftovers)
	}
	os.Remove(cert)
	if _, _, _, _, err := EnsureSelfSigned(data); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("with node.crt missing: %v, want ErrIncomplete", err)
	}
}
