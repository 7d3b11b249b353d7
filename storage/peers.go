package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// ErrIdentity marks a peer whose replica id is bound to another
// certificate name than the one it presented.
var ErrIdentity = errors.New("storage: peer identity mismatch")

// Peer metadata, under m/peer/<id 8 BE>/:
//
//	name -> the certificate name the replica id was first seen with
//	ack  -> the version vector the peer last acknowledged
func peerKey(id crdt.ReplicaID, what string) []byte {
	k := append([]byte("m/peer/"), encodeUint64(uint64(id))...)
	return append(append(k, '/'), what...)
}

// BindPeer binds a peer's replica id to the certificate name it presented
// the first time it was seen, and checks it on every later session: a
// replica id is an identity only together with its certificate, so a
// node with another certificate cannot speak for it.
func (s *Store) BindPeer(id crdt.ReplicaID, name string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	k := peerKey(id, "name")
	v, closer, err := s.db.Get(k)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		return s.db.Set(k, []byte(name), pebble.Sync)
	case err != nil:
		return err
	}
	defer closer.Close()
	if string(v) != name {
		return fmt.Errorf("%w: replica %s belongs to %q, not %q", ErrIdentity, id, v, name)
	}
	return nil
}

// SavePeerAck stores what a peer acknowledged. It is not synced: losing
// the latest ack in a crash only makes the next session resend a little.
func (s *Store) SavePeerAck(id crdt.ReplicaID, vv *crdt.VersionVector) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	b, err := crdt.Marshal(vv)
	if err != nil {
		return err
	}
	return s.db.Set(peerKey(id, "ack"), b, pebble.NoSync)
}

// PeerAck returns what a peer last acknowledged (empty if never).
func (s *Store) PeerAck(id crdt.ReplicaID) (*crdt.VersionVector, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	k := peerKey(id, "ack")
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return &crdt.VersionVector{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	vv := &crdt.VersionVector{}
	if err := crdt.UnmarshalStored(v, vv); err != nil {
		return nil, corrupt(k, err)
	}
	return vv, nil
}
