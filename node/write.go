package node

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"
)

// Put sets the register at key to value, superseding every value this node
// has seen there. It returns once the write is on disk.
func (db *DB) Put(ctx context.Context, key string, value []byte) error {
	return db.writeOne(ctx, op{kind: opPut, key: key, value: value})
}

// Delete removes the register at key. Deleting an absent key does nothing.
func (db *DB) Delete(ctx context.Context, key string) error {
	return db.writeOne(ctx, op{kind: opDelete, key: key})
}

// Increment adds delta (which may be negative) to the counter at key.
func (db *DB) Increment(ctx context.Context, key string, delta int64) error {
	return db.writeOne(ctx, op{kind: opIncrement, key: key, delta: delta})
}

// SetAdd adds members to the set at key, atomically.
func (db *DB) SetAdd(ctx context.Context, key string, members ...string) error {
	b := db.NewBatch()
	b.SetAdd(key, members...)
	return b.Commit(ctx)
}

// SetRemove removes members from the set at key, atomically. A concurrent
// add of the same member on another node wins (add-wins).
func (db *DB) SetRemove(ctx context.Context, key string, members ...string) error {
	b := db.NewBatch()
	b.SetRemove(key, members...)
	return b.Commit(ctx)
}

// MapSet sets field of the map at key to value.
func (db *DB) MapSet(ctx context.Context, key, field string, value []byte) error {
	return db.writeOne(ctx, op{kind: opMapSet, key: key, name: field, value: value})
}

// MapDelete removes field from the map at key.
func (db *DB) MapDelete(ctx context.Context, key, field string) error {
	return db.writeOne(ctx, op{kind: opMapDelete, key: key, name: field})
}

func (db *DB) writeOne(ctx context.Context, o op) error {
	if err := db.validate(o); err != nil {
		return err
	}
	o.value = bytes.Clone(o.value) // the caller may reuse its buffer once we return
	return db.submit(ctx, []op{o})
}

// validate checks an op's key, member or field, and value sizes.
func (db *DB) validate(o op) error {
	if err := validateKey("key", o.key); err != nil {
		return err
	}
	if o.typ() == TypeSet || o.typ() == TypeMap {
		if err := validateKey(fieldName(o.typ()), o.name); err != nil {
			return fmt.Errorf("%w (key %q)", err, o.key)
		}
	}
	if len(o.value) > db.opts.MaxValueSize {
		return fmt.Errorf("%w: %d bytes for key %q, limit %d", ErrValueTooLarge, len(o.value), o.key, db.opts.MaxValueSize)
	}
	return nil
}

// validateKey checks a key, set member or map field.
func validateKey(what, k string) error {
	switch {
	case k == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidKey, what)
	case len(k) > MaxKeySize:
		return fmt.Errorf("%w: %s of %d bytes, limit %d", ErrInvalidKey, what, len(k), MaxKeySize)
	case !utf8.ValidString(k):
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalidKey, what, k)
	}
	return nil
}

// Batch collects writes to apply atomically: all commit together on this
// node, in one dot-minting commit, or none does. A Batch is not safe for
// concurrent use; reuse after Commit is not allowed.
type Batch struct {
	db  *DB
	ops []op
	err error // first validation error; Commit returns it
}

// NewBatch returns an empty batch.
func (db *DB) NewBatch() *Batch { return &Batch{db: db} }

func (b *Batch) add(o op) *Batch {
	if b.err == nil {
		b.err = b.db.validate(o)
	}
	o.value = bytes.Clone(o.value) // the caller may reuse its buffer
	b.ops = append(b.ops, o)
	return b
}

// Put adds a register write to the batch.
func (b *Batch) Put(key string, value []byte) *Batch {
	return b.add(op{kind: opPut, key: key, value: value})
}

// Delete adds a register delete to the batch.
func (b *Batch) Delete(key string) *Batch { return b.add(op{kind: opDelete, key: key}) }

// Increment adds a counter increment to the batch.
func (b *Batch) Increment(key string, delta int64) *Batch {
	return b.add(op{kind: opIncrement, key: key, delta: delta})
}

// SetAdd adds set member additions to the batch.
func (b *Batch) SetAdd(key string, members ...string) *Batch {
	for _, m := range members {
		b.add(op{kind: opSetAdd, key: key, name: m})
	}
	return b
}

// SetRemove adds set member removals to the batch.
func (b *Batch) SetRemove(key string, members ...string) *Batch {
	for _, m := range members {
		b.add(op{kind: opSetRemove, key: key, name: m})
	}
	return b
}

// MapSet adds a map field write to the batch.
func (b *Batch) MapSet(key, field string, value []byte) *Batch {
	return b.add(op{kind: opMapSet, key: key, name: field, value: value})
}

// MapDelete adds a map field delete to the batch.
func (b *Batch) MapDelete(key, field string) *Batch {
	return b.add(op{kind: opMapDelete, key: key, name: field})
}

// Len returns the number of row writes in the batch.
func (b *Batch) Len() int { return len(b.ops) }

// Commit applies the batch atomically and returns once it is on disk. If
// any write is invalid or hits a key of another type, nothing is applied.
func (b *Batch) Commit(ctx context.Context) error {
	if b.err != nil {
		return b.err
	}
	if len(b.ops) == 0 {
		return nil
	}
	return b.db.submit(ctx, b.ops)
}

// fieldName says what a row name is called for a type, for error messages.
func fieldName(t Type) string {
	if t == TypeSet {
		return "member"
	}
	return "field"
}
