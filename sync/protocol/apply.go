package protocol

import (
	"fmt"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// Target is what a received Step is applied to: one commit of the
// receiver's store (package storage's Commit is one), synced by the caller.
type Target interface {
	Row(key string, rk crdt.RowKey) (crdt.Row, error)
	Merge(key string, rk crdt.RowKey, delta crdt.Row) (crdt.Row, error)
	BootstrapRow(key string, rk crdt.RowKey, row crdt.Row) error
	BootstrapSnapshot(vv *crdt.VersionVector) error
	FinishBootstrap(vv *crdt.VersionVector, from crdt.ReplicaID) error
	JoinVersionVector(vv *crdt.VersionVector, from crdt.ReplicaID)
}

// RowHooks let the caller refuse or follow the rows of a Step as they are
// applied; nil fields do nothing.
type RowHooks struct {
	// Check runs before a row is merged; an error refuses the whole Step.
	Check func(r wire.Row, rk crdt.RowKey) error
	// Applied runs after, with the row's states before and after.
	Applied func(key string, rk crdt.RowKey, before, after crdt.Row) error
}

// ErrBadRowKey marks a row whose row key does not parse (wire validation
// refuses those; a Step built elsewhere may hold one).
var ErrBadRowKey = fmt.Errorf("%w: bad row key", ErrProtocol)

// Apply applies the Step, received from the peer from, to t: a
// bootstrap's snapshot first, then the rows (a bootstrap's merged
// without claiming their dots, in key order), then the claim and a
// bootstrap's end. package node's writer and the protocol simulation both
// apply what they receive with it. An error leaves t to be discarded.
func (st Step) Apply(t Target, from crdt.ReplicaID, h RowHooks) error {
	if st.BootstrapSnapshot != nil {
		if err := t.BootstrapSnapshot(st.BootstrapSnapshot); err != nil {
			return err
		}
	}
	for _, r := range st.Rows {
		if err := st.applyRow(t, r, h); err != nil {
			return err
		}
	}
	if st.Claim != nil {
		t.JoinVersionVector(st.Claim, from)
	}
	if st.BootstrapDone != nil {
		return t.FinishBootstrap(st.BootstrapDone, from)
	}
	return nil
}

func (st Step) applyRow(t Target, r wire.Row, h RowHooks) error {
	rk, err := crdt.ParseRowKey(r.RowKey)
	if err != nil {
		return fmt.Errorf("%w: row key of %q: %v", ErrBadRowKey, r.Key, err)
	}
	if h.Check != nil {
		if err := h.Check(r, rk); err != nil {
			return err
		}
	}
	before, err := t.Row(r.Key, rk)
	if err != nil {
		return err
	}
	var after crdt.Row
	if st.Bootstrap {
		if err = t.BootstrapRow(r.Key, rk, r.Row); err == nil {
			after, err = t.Row(r.Key, rk)
		}
	} else {
		after, err = t.Merge(r.Key, rk, r.Row)
	}
	if err != nil {
		return err
	}
	if h.Applied != nil {
		return h.Applied(r.Key, rk, before, after)
	}
	return nil
}
