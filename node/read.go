package node

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
)

// Type is the CRDT type a key holds.
type Type = crdt.Kind

// The four types. A key holds one; see ErrWrongType.
const (
	TypeRegister = crdt.KindRegister
	TypeCounter  = crdt.KindCounter
	TypeSet      = crdt.KindSet
	TypeMap      = crdt.KindMap
)

// Item is a register's value (or a map field's): the value that wins by
// (HLC, origin), and the concurrent values it won over, so that a conflict
// is visible, never silently lost.
type Item struct {
	Key      string
	Value    []byte
	Time     crdt.Timestamp // the winner's hybrid logical clock reading
	Origin   string         // the replica that wrote the winner
	Siblings []Sibling      // concurrent values, newest first
	// Conflicts lists other types written concurrently at this key on
	// other nodes. The key shows its Type on every node alike.
	Conflicts []Type
}

// Sibling is a concurrent value of a register.
type Sibling struct {
	Value  []byte
	Time   crdt.Timestamp
	Origin string
}

// WallTime returns the physical part of the winner's timestamp.
func (it Item) WallTime() time.Time { return time.Unix(0, it.Time.Wall) }

func itemOf(key string, row crdt.Row, conflicts []Type) Item {
	w, _ := row.Winner()
	it := Item{Key: key, Value: w.Value, Time: w.Time, Origin: w.Dot.Origin.String(), Conflicts: conflicts}
	for _, s := range row.Siblings() {
		it.Siblings = append(it.Siblings, Sibling{Value: s.Value, Time: s.Time, Origin: s.Dot.Origin.String()})
	}
	return it
}

// Get returns the register at key, or ErrNotFound.
func (db *DB) Get(ctx context.Context, key string) (Item, error) {
	if it, ok, err := db.getFast(ctx, key); ok || err != nil {
		return it, err
	}
	obj, conflicts, err := db.readTyped(ctx, key, TypeRegister)
	if err != nil {
		return Item{}, err
	}
	row := obj[crdt.RowKey{Kind: crdt.KindRegister}]
	if !row.Live() {
		return Item{}, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	return itemOf(key, row, conflicts), nil
}

// getFast reads a register with one point lookup when that is certain to
// be the answer: the key is not one with live rows of several types, and
// its register row is live (so no other type is). ok is false otherwise.
func (db *DB) getFast(ctx context.Context, key string) (Item, bool, error) {
	if err := validateKey("key", key); err != nil {
		return Item{}, false, err
	}
	if err := ctx.Err(); err != nil {
		return Item{}, false, err
	}
	if err := db.beginRead(); err != nil {
		return Item{}, false, err
	}
	defer db.pointReads.RUnlock()
	if db.store.MultiKind(key) {
		return Item{}, false, nil
	}
	row, err := db.store.Row(key, crdt.RowKey{Kind: crdt.KindRegister})
	if err != nil || !row.Live() {
		return Item{}, false, mapStorageErr(err)
	}
	return itemOf(key, row, nil), true, nil
}

// Counter returns the counter at key; an absent key reads 0.
func (db *DB) Counter(ctx context.Context, key string) (int64, error) {
	if n, ok, err := db.counterFast(ctx, key); ok || err != nil {
		return n, err
	}
	obj, _, err := db.readTyped(ctx, key, TypeCounter)
	if err != nil {
		return 0, err
	}
	return obj.Counter(), nil
}

// counterFast reads a counter with one point lookup, its key's record
// (storage keeps each counter's total at commit, however many origins
// write it), when that is certain to be the answer: the key is not one
// with live rows of several types, and it has a record (every key with
// counter rows has one), which then also says which type is live. ok is
// false otherwise (an absent key, a register, a set or map without a
// record): the rows are read.
func (db *DB) counterFast(ctx context.Context, key string) (int64, bool, error) {
	if err := validateKey("key", key); err != nil {
		return 0, false, err
	}
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	if err := db.beginRead(); err != nil {
		return 0, false, err
	}
	defer db.pointReads.RUnlock()
	if db.store.MultiKind(key) {
		return 0, false, nil
	}
	sum, found, err := db.store.KeySummary(key)
	switch {
	case err != nil || !found || len(sum.Kinds) > 1:
		return 0, false, mapStorageErr(err)
	case len(sum.Kinds) == 1 && sum.Kinds[0] != TypeCounter:
		return 0, false, fmt.Errorf("%w: key %q holds a %s, not a %s", ErrWrongType, key, sum.Kinds[0], TypeCounter)
	}
	return sum.Counter, true, nil
}

// Members returns the members of the set at key, sorted; an absent key has none.
func (db *DB) Members(ctx context.Context, key string) ([]string, error) {
	obj, _, err := db.readTyped(ctx, key, TypeSet)
	if err != nil {
		return nil, err
	}
	return obj.Members(), nil
}

// Map returns the fields of the map at key; an absent key has none.
func (db *DB) Map(ctx context.Context, key string) (map[string]Item, error) {
	obj, conflicts, err := db.readTyped(ctx, key, TypeMap)
	if err != nil {
		return nil, err
	}
	return fieldsOf(key, obj, conflicts), nil
}

func fieldsOf(key string, obj crdt.Object, conflicts []Type) map[string]Item {
	out := map[string]Item{}
	for f, row := range obj.Fields() {
		out[f] = itemOf(key, row, conflicts)
	}
	return out
}

// readTyped reads key's rows and checks that it holds want (or nothing).
func (db *DB) readTyped(ctx context.Context, key string, want Type) (crdt.Object, []Type, error) {
	if err := validateKey("key", key); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := db.beginRead(); err != nil {
		return nil, nil, err
	}
	defer db.pointReads.RUnlock()
	obj, err := db.store.Object(key)
	if err != nil {
		return nil, nil, mapStorageErr(err)
	}
	t, conflicts := obj.Type()
	if t != 0 && t != want {
		return nil, nil, fmt.Errorf("%w: key %q holds a %s, not a %s", ErrWrongType, key, t, want)
	}
	return obj, conflicts, nil
}

// Lookup returns key's value whatever its type; ErrNotFound when the key
// holds nothing live.
func (db *DB) Lookup(ctx context.Context, key string) (Record, error) {
	if err := validateKey("key", key); err != nil {
		return Record{}, err
	}
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if err := db.beginRead(); err != nil {
		return Record{}, err
	}
	defer db.pointReads.RUnlock()
	obj, err := db.store.Object(key)
	if err != nil {
		return Record{}, mapStorageErr(err)
	}
	rec, ok := recordOf(key, obj)
	if !ok {
		return Record{}, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	return rec, nil
}

// ScanOptions selects the keys Scan visits: those with Prefix, from Start
// (inclusive) to End (exclusive), at most Limit of them (0: no limit).
type ScanOptions struct {
	Prefix, Start, End string
	Limit              int
}

// Record is one key met by Scan, with its value in the field of its Type.
type Record struct {
	Key       string
	Type      Type
	Item      Item            // TypeRegister
	Counter   int64           // TypeCounter
	Members   []string        // TypeSet
	Fields    map[string]Item // TypeMap
	Conflicts []Type
}

// Scan visits live keys in byte order, each with its value. Deleted keys are
// skipped. It reads from a consistent view taken when iteration starts; a
// storage error ends the iteration with that error.
func (db *DB) Scan(ctx context.Context, opts ScanOptions) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		done, err := db.beginScan()
		if err != nil {
			yield(Record{}, err)
			return
		}
		defer done()
		n := 0
		for ko, err := range db.store.Scan(storage.ScanOptions{Prefix: opts.Prefix, Start: opts.Start, End: opts.End}) {
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				yield(Record{}, mapStorageErr(err))
				return
			}
			rec, ok := recordOf(ko.Key, ko.Object)
			if !ok {
				continue
			}
			if !yield(rec, nil) {
				return
			}
			if n++; opts.Limit > 0 && n >= opts.Limit {
				return
			}
		}
	}
}

// recordOf derives a key's value; ok is false for a key with no live row.
func recordOf(key string, obj crdt.Object) (Record, bool) {
	t, conflicts := obj.Type()
	rec := Record{Key: key, Type: t, Conflicts: conflicts}
	switch t {
	case TypeRegister:
		rec.Item = itemOf(key, obj[crdt.RowKey{Kind: crdt.KindRegister}], conflicts)
	case TypeCounter:
		rec.Counter = obj.Counter()
	case TypeSet:
		rec.Members = obj.Members()
	case TypeMap:
		rec.Fields = fieldsOf(key, obj, conflicts)
	default:
		return Record{}, false
	}
	return rec, true
}
