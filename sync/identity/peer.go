package identity

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// verifyServer verifies the server's chain against the cluster CA, for
// server use, ignoring host names (see ClientConfig).
func verifyServer(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: the server sent no certificate", ErrPeer)
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPeer, err)
	}
	return checkPeerName(cs)
}

// checkPeerName refuses a verified certificate whose name is not a valid
// node name: it could not have come from Issue.
func checkPeerName(cs tls.ConnectionState) error {
	_, err := PeerName(cs)
	return err
}

// PeerName returns the peer's node name: the common name of its
// certificate. cs must come from a handshake made with a configuration
// from Material, whose verification has then passed: the server's chain
// is verified by crypto/tls, the client's by ClientConfig's
// VerifyConnection (so cs.VerifiedChains is empty on the client side).
func PeerName(cs tls.ConnectionState) (string, error) {
	if len(cs.PeerCertificates) == 0 {
		return "", fmt.Errorf("%w: no peer certificate", ErrPeer)
	}
	name := cs.PeerCertificates[0].Subject.CommonName
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("%w: %w", ErrPeer, err)
	}
	return name, nil
}
