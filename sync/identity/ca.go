package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Certificate lifetimes. A CA outlives the node certificates it signs;
// node certificates are clamped to their CA's expiry.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	NodeValidity = 5 * 365 * 24 * time.Hour
	// clockSkew backdates certificates, so a peer whose clock is a little
	// behind does not refuse a certificate made a moment ago.
	clockSkew = time.Hour
)

// InitCA makes a cluster CA: dir/ca.crt and dir/ca.key (mode 0600). It
// creates dir if needed (mode 0700) and refuses to overwrite either file.
func InitCA(dir string) error {
	crt, key := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if err := refuseExisting(crt, key); err != nil {
		return err
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	now := time.Now()
	tmpl := &x509.Certificate{
		// A random suffix tells two clusters' CAs apart in logs and
		// in chain building, which looks issuers up by subject.
		Subject:               pkix.Name{CommonName: "shoal cluster CA " + hex.EncodeToString(suffix), Organization: []string{"shoal"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(CAValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true, // signs node certificates only
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	return create(crt, key, tmpl, nil, nil)
}

// Issue makes dir/NAME.crt and dir/NAME.key (mode 0600), signed by
// dir/ca.crt and dir/ca.key: common name NAME, SANs hosts (if none:
// localhost, 127.0.0.1 and ::1), usable both as a server and as a client, since each side of
// a sync connection authenticates the other. It refuses to overwrite.
func Issue(dir, name string, hosts []string) error {
	is, err := LoadIssuer(dir)
	if err != nil {
		return err
	}
	return is.Issue(name, hosts)
}

// Issuer issues node certificates under the CA in one directory, loaded
// once: for a caller that makes many (a benchmark's thousands of phones,
// each with its own certificate since replica ids are bound to them).
type Issuer struct {
	dir    string
	ca     *x509.Certificate
	signer crypto.Signer
}

// LoadIssuer loads dir/ca.crt and dir/ca.key.
func LoadIssuer(dir string) (*Issuer, error) {
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
	if err != nil {
		return nil, fmt.Errorf("identity: load the CA from %s: %w", dir, err)
	}
	signer, ok := ca.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("identity: the CA key in %s cannot sign", dir)
	}
	return &Issuer{dir: dir, ca: ca.Leaf, signer: signer}, nil
}

// Issue is the package's Issue under the loaded CA.
func (is *Issuer) Issue(name string, hosts []string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	ips, dns, err := splitHosts(hosts)
	if err != nil {
		return err
	}
	crt, key := filepath.Join(is.dir, name+".crt"), filepath.Join(is.dir, name+".key")
	if err := refuseExisting(crt, key); err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"shoal"}},
		NotBefore:   now.Add(-clockSkew),
		NotAfter:    earliest(now.Add(NodeValidity), is.ca.NotAfter),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    dns,
		IPAddresses: ips,
	}
	return create(crt, key, tmpl, is.ca, is.signer)
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// create makes a key, signs tmpl with parentKey (itself if parent is
// nil), and writes the key, then the certificate.
func create(crtPath, keyPath string, tmpl, parent *x509.Certificate, parentKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return fmt.Errorf("identity: sign %s: %w", crtPath, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if err := writePEM(keyPath, "PRIVATE KEY", pkcs8, 0o600); err != nil {
		return err
	}
	return writePEM(crtPath, "CERTIFICATE", der, 0o644)
}
