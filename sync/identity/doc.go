// Package identity owns the cluster's certificates: a cluster CA, node
// certificates signed by it, the self-signed set a lone node makes for
// itself, and the TLS 1.3 configurations that both sides of a sync
// connection use for mutual authentication.
//
// A node's identity is the common name of its verified certificate, never
// its address (QUIC connections migrate, and peers are dialled by IPs and
// host names that a certificate need not list). Keys are ECDSA P-256, in
// PKCS #8 PEM files readable only by their owner.
//
// Package identity imports none of Shoal's packages.
package identity
