package storage

import (
	"bytes"
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
//	ack  -> (no longer written) the vector the peer last acknowledged;
//	        dropAcks deletes those an older version stored
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

// acksDroppedKey marks a directory whose old acknowledged vectors were
// deleted, so that later Opens skip the pass.
var acksDroppedKey = []byte("m/acks-dropped")

// dropAcks deletes the acknowledged vectors an older version stored for
// every peer (m/peer/<id>/ack): nothing reads them, and a hub kept a whole
// vector per phone. One pass over the peer records, at the first Open of
// this version.
func (s *Store) dropAcks() error {
	if done, err := getBytes(s.db, acksDroppedKey); err != nil || done != nil {
		return err
	}
	prefix := []byte("m/peer/")
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer b.Close()
	for valid := it.First(); valid; valid = it.Next() {
		if bytes.HasSuffix(it.Key(), []byte("/ack")) {
			if err := b.Delete(it.Key(), nil); err != nil {
				return err
			}
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := b.Set(acksDroppedKey, []byte{1}, nil); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}
