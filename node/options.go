package node

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// MaxKeySize is the largest key, set member or map field, in bytes.
const MaxKeySize = 1024

// Defaults for the zero values of Options.
const (
	DefaultMaxValueSize   = 1 << 20
	DefaultWatchEvents    = 1 << 16
	DefaultWatchBytes     = 64 << 20
	DefaultMaxBatchWrites = 1 << 12
	DefaultSyncMemory     = 256 << 20
	// MaxValueSizeLimit is the largest Options.MaxValueSize: a row of a
	// few concurrent values of that size must still fit the largest
	// message replication carries (wire.MaxMessageSize).
	MaxValueSizeLimit = 64 << 20
)

// Options configures a DB. The zero value, and a nil *Options, give the
// defaults. Open does not modify the caller's struct.
type Options struct {
	// MaxValueSize bounds register values and map field values, in bytes.
	// Zero means DefaultMaxValueSize (1 MiB).
	MaxValueSize int
	// WatchEvents and WatchBytes bound the committed changes kept for
	// watchers to resume from; the oldest are dropped first. A watcher that
	// falls further behind than this gets ErrCursorExpired, so a slow
	// watcher never holds writers back or grows memory.
	WatchEvents int
	WatchBytes  int
	// Logger receives the DB's logs. Nil means slog.Default().
	Logger *slog.Logger
	// Now returns the physical time for the hybrid logical clock. Nil means
	// time.Now. Tests pass a fake clock.
	Now func() time.Time
	// FS is the file system Pebble uses. Nil means the disk; tests may pass
	// vfs.NewMem().
	FS vfs.FS
	// CacheSize is Pebble's block cache size in bytes; zero means storage's default.
	CacheSize int64

	// Listen is the UDP address (host:port) to accept peers on over QUIC.
	// Empty: accept no peers (the node may still dial out).
	Listen string
	// Peers are addresses to dial and keep connected, with backoff. Peers
	// and the cloud node are the same kind of node; one connection carries
	// sync both ways, so an edge behind NAT only needs to dial.
	Peers []string
	// TLS names the cluster CA and this node's certificate and key. It is
	// required when Listen or Peers is set: peers authenticate each other
	// against the CA (mutual TLS).
	TLS TLSFiles
	// Transport replaces QUIC, for tests (an in-memory network) or other
	// carriers. Nil means QUIC with TLS.
	Transport Transport
	// SyncAckInterval is how often a node tells each peer what it has
	// applied. Zero means 250ms.
	SyncAckInterval time.Duration
	// SyncQueueBytes bounds the commits held for one peer that is catching
	// up or slow; past it the peer gets a fresh catch-up instead. Zero
	// means protocol.DefaultMaxQueueBytes.
	SyncQueueBytes int
	// SyncBackoffMin and SyncBackoffMax bound the wait between redials of
	// a peer that is down. Zero means 100ms and 10s.
	SyncBackoffMin, SyncBackoffMax time.Duration
	// FreshReplica takes a fresh replica id at Open: for a data directory
	// restored from a backup, whose original may have gone on writing
	// (see docs/OPERATIONS.md). Writes made before keep their dots.
	FreshReplica bool
	// RekeyInterval is the least time between two fresh replica ids taken
	// because a peer showed this node's dots above its counter (a copied
	// directory); zero means DefaultRekeyInterval.
	RekeyInterval time.Duration
	// SyncTimeout bounds each message's send and arrival once begun (plus
	// its size at 64 KiB/s): a peer that stops reading, or sends half a
	// message, has its session ended and its catch-up's snapshot freed.
	// Zero means 30s.
	SyncTimeout time.Duration
	// SyncMemory bounds the bytes of peers' messages the node holds
	// received but not yet applied, across all sessions; past it sessions
	// stop reading until the writer catches up. Zero means
	// DefaultSyncMemory (256 MiB).
	SyncMemory int
	// ScopeRules are the cluster's scope rules (docs/SCOPES.md): ordered
	// patterns such as "users/{user}/" that map a key to its scope. Nil or
	// empty: no rules, every key in the root scope. Every node of a
	// cluster needs the same rules: each Hello carries their hash and a
	// peer with another hash is refused (ErrScopeRulesMismatch). Open
	// parses them (ErrBadScopeRules) and refuses a data directory written
	// with other rules (ErrScopeRulesChanged); a directory without a
	// record of its rules (new, or older than the record) takes these.
	ScopeRules []string
}

// TLSFiles are PEM file paths.
type TLSFiles struct {
	CA, Cert, Key string
}

func (o *Options) clone() *Options {
	if o == nil {
		return &Options{}
	}
	c := *o
	c.Peers = slices.Clone(o.Peers)
	c.ScopeRules = slices.Clone(o.ScopeRules)
	return &c
}

func (o *Options) ensureDefaults() *Options {
	if o.MaxValueSize == 0 {
		o.MaxValueSize = DefaultMaxValueSize
	}
	if o.WatchEvents == 0 {
		o.WatchEvents = DefaultWatchEvents
	}
	if o.WatchBytes == 0 {
		o.WatchBytes = DefaultWatchBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SyncAckInterval == 0 {
		o.SyncAckInterval = 250 * time.Millisecond
	}
	if o.SyncBackoffMin == 0 {
		o.SyncBackoffMin = 100 * time.Millisecond
	}
	if o.SyncBackoffMax == 0 {
		o.SyncBackoffMax = 10 * time.Second
	}
	if o.RekeyInterval == 0 {
		o.RekeyInterval = DefaultRekeyInterval
	}
	if o.SyncMemory == 0 {
		o.SyncMemory = DefaultSyncMemory
	}
	return o
}

func (o *Options) validate() error {
	switch {
	case o.MaxValueSize < 0 || o.MaxValueSize > MaxValueSizeLimit:
		return fmt.Errorf("shoal: MaxValueSize %d is outside 0..%d (MaxValueSizeLimit)", o.MaxValueSize, MaxValueSizeLimit)
	case o.SyncMemory < 0 || o.SyncTimeout < 0:
		return fmt.Errorf("shoal: SyncMemory %d is negative", o.SyncMemory)
	case o.WatchEvents < 0 || o.WatchBytes < 0:
		return fmt.Errorf("shoal: negative watch bounds")
	case o.SyncAckInterval < 0 || o.SyncBackoffMin < 0 || o.SyncBackoffMax < o.SyncBackoffMin || o.SyncQueueBytes < 0:
		return fmt.Errorf("shoal: negative or inverted sync settings")
	case o.CacheSize < 0:
		return fmt.Errorf("shoal: CacheSize %d is negative", o.CacheSize)
	}
	return nil
}
