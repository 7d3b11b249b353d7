package identity

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// KeyOf returns the hash of a certificate's public key (SHA-256 of its
// SubjectPublicKeyInfo): what a replica id is derived from and checked
// against. Renewing a certificate with the same key keeps the id.
func KeyOf(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return sum[:]
}

// PeerKey returns KeyOf the peer's leaf certificate in a verified
// connection state.
func PeerKey(cs tls.ConnectionState) ([]byte, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, fmt.Errorf("%w: no peer certificate", ErrPeer)
	}
	return KeyOf(cs.PeerCertificates[0]), nil
}

// KeyOfFile returns KeyOf the first certificate in a PEM file.
func KeyOfFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("identity: %s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("identity: %s: %w", path, err)
	}
	return KeyOf(cert), nil
}
