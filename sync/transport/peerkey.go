package transport

import "github.com/shoal-db/shoal/sync/identity"

// PeerKey returns the hash of the peer's certificate public key
// (identity.KeyOf): a replica id is checked against it.
func (c *Conn) PeerKey() []byte {
	key, _ := identity.PeerKey(c.qc.ConnectionState().TLS) // newConn checked the certificate
	return key
}
