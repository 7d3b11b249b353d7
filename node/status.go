package node

// Status describes the node: its id, its peers, and its storage.
type Status struct {
	NodeID string
	// Peers is the state of each peer; empty for a local-only node.
	Peers []PeerStatus
	// LastDot is the counter of the latest dot this node minted.
	LastDot uint64
	// VersionVector lists, per origin, the dots this node has seen (the
	// first exception ranges only: see VectorRanges).
	VersionVector string
	// VectorRanges counts the vector's exception ranges (dots seen out of
	// order); storage keeps it bounded whatever order rows arrive in.
	VectorRanges int
	// WatchCursor is the cursor of the latest committed event.
	WatchCursor uint64
	// DiskBytes is what the store takes on disk.
	DiskBytes uint64
	// ScopeRulesHash is the hash of the scope rules (Options.ScopeRules),
	// 64 hex digits: the same on every node of a cluster. Without rules it
	// is crdt/scope's hash of no rules, 39202f1a...f0af9aa.
	ScopeRulesHash string
	// ScopeRules are the rules' patterns, in order; nil without rules.
	ScopeRules []string
	// ScopeRulesMismatches counts the sessions refused since Open because
	// the peer showed other scope rules (ErrScopeRulesMismatch).
	ScopeRulesMismatches uint64
}

// PeerStatus is one peer's state as this node sees it.
type PeerStatus struct {
	ID        string
	Addr      string
	Connected bool
	LastSeen  int64  // Unix nanoseconds; 0 if never
	Lag       uint64 // this node's dots the peer has not acknowledged
	BytesSent uint64
	BytesRecv uint64
	// LastError, for a configured peer that is down, is why its last
	// session or dial ended ("" if none yet): a refused peer shows
	// ErrScopeRulesMismatch here, with both hashes.
	LastError string
}

// Status returns the node's current state, or ErrClosed.
func (db *DB) Status() (Status, error) {
	if err := db.beginRead(); err != nil {
		return Status{}, err
	}
	defer db.pointReads.RUnlock()
	vv := db.store.VersionVector()
	return Status{
		NodeID:        db.ID(),
		Peers:         db.repl.peerStatuses(),
		LastDot:       db.store.LastCounter(),
		VersionVector: vv.String(),
		VectorRanges:  vv.Ranges(),
		WatchCursor:   db.hub.head(),
		DiskBytes:     db.store.DiskUsage(),

		ScopeRulesHash:       rulesHashString(db.rules.Hash()),
		ScopeRules:           db.rules.Patterns(),
		ScopeRulesMismatches: db.repl.scopeMismatches.Load(),
	}, nil
}

// Flush writes what is held in memory tables to sorted files on disk.
// Writes are durable without it (each is synced to the log before it is
// acknowledged); it is for backups, and for measuring reads from files as
// after a restart.
func (db *DB) Flush() error {
	if err := db.beginRead(); err != nil {
		return err
	}
	defer db.pointReads.RUnlock()
	return mapStorageErr(db.store.Flush())
}
