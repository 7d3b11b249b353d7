package storage

import (
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultCacheSize is the block cache size used when Options.CacheSize is 0.
const DefaultCacheSize = 64 << 20

// Options configures a Store. The zero value gives the defaults and a nil
// *Options is valid; Open never modifies the caller's struct.
type Options struct {
	// FS is the file system Pebble uses. Nil means vfs.Default (the disk);
	// tests use vfs.NewMem().
	FS vfs.FS
	// Logger receives the store's and Pebble's messages. Nil means
	// slog.Default().
	Logger *slog.Logger
	// CacheSize is the size in bytes of Pebble's block cache. Zero means
	// DefaultCacheSize.
	CacheSize int64
	// IdentityKey, if set, is the hash of the node's certificate public
	// key: the replica id is derived from it (see identity.go), so that a
	// peer can check the id against the certificate. Nil: a random id.
	IdentityKey []byte
	// FreshReplica makes Open take a fresh replica id, for a directory
	// restored from a backup: the copy it was taken from may have minted
	// dots after the backup, and reusing them would hide this copy's new
	// writes from every peer that saw the others.
	FreshReplica bool
	// MaxVectorRanges bounds the exception ranges the version vector keeps
	// per origin; past it the highest are forgotten (claiming less is always
	// safe). Zero means DefaultMaxVectorRanges.
	MaxVectorRanges int
	// ScopeRules, if set, are the scope rules the directory is opened
	// with: Open refuses a directory that recorded others
	// (ErrScopeRulesChanged), and records these in one that has none. Nil
	// checks and records nothing (a restore, a tool).
	ScopeRules *ScopeRules
}

// DefaultMaxVectorRanges is the default of Options.MaxVectorRanges: a
// vector of one origin stays under 10 KB however its dots arrived, so a
// Hello or an Ack stays small.
const DefaultMaxVectorRanges = 512

// withDefaults returns a copy of o (which may be nil) with every zero field
// set to its default.
func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.FS == nil {
		out.FS = vfs.Default
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.CacheSize == 0 {
		out.CacheSize = DefaultCacheSize
	}
	if out.MaxVectorRanges == 0 {
		out.MaxVectorRanges = DefaultMaxVectorRanges
	}
	return out
}

func (o *Options) validate() error {
	if o.CacheSize < 0 {
		return fmt.Errorf("storage: negative CacheSize %d", o.CacheSize)
	}
	if o.MaxVectorRanges < 0 {
		return fmt.Errorf("storage: negative MaxVectorRanges %d", o.MaxVectorRanges)
	}
	return nil
}

// pebbleOptions returns Pebble's options; the caller owns the cache
// reference and releases it once Pebble has opened (Pebble takes its own).
func (o *Options) pebbleOptions(cache *pebble.Cache) *pebble.Options {
	opts := &pebble.Options{
		FS:                 o.FS,
		Cache:              cache,
		Logger:             pebbleLogger{o.Logger},
		FormatMajorVersion: pebble.FormatNewest,
	}
	// Reads are point lookups of one row (a register Get, a commit reading
	// the row it changes, catch-up following the dot index): a Bloom filter
	// per table lets a lookup skip the tables that lack the key.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return opts
}

// pebbleLogger adapts a *slog.Logger to Pebble's printf-style logger.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Info(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf is called by Pebble on unrecoverable states; Pebble expects it not
// to return, so it panics after logging.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble", "fatal", true)
	panic("pebble: " + msg)
}
