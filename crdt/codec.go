package crdt

import (
	"fmt"
	"math"

	"github.com/fxamacker/cbor/v2"
)

// Limits on decoded sizes. Rows and vectors come from disk and from peers;
// a decoder must not let a few bytes ask for unbounded memory.
const (
	maxArrayElements = 1 << 20
	maxNestedLevels  = 16
	maxValueBytes    = 64 << 20
)

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
	// trustedMode decodes the node's own stored bytes: as strict about
	// form as decMode, without its size limits. Those limits are there to
	// stop a peer; applied to the node's own metadata they turn a large
	// but valid record (a vector with many ranges, a row with large
	// siblings) into a directory that no longer opens.
	trustedMode cbor.DecMode
)

func init() {
	var err error
	// Canonical encoding: equal states give equal bytes (and equal hashes).
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = StrictDecOptions().DecMode()
	if err != nil {
		panic(err)
	}
	trusted := StrictDecOptions()
	trusted.MaxArrayElements, trusted.MaxMapPairs = math.MaxInt32, math.MaxInt32
	trusted.MaxNestedLevels = 64
	if trustedMode, err = trusted.DecMode(); err != nil {
		panic(err)
	}
}

// StrictDecOptions returns the CBOR decoding options for untrusted bytes:
// duplicate map keys, indefinite lengths and tags are refused, and nesting,
// array, map and string sizes are bounded.
func StrictDecOptions() cbor.DecOptions {
	return cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   maxNestedLevels,
		MaxArrayElements:  maxArrayElements,
		MaxMapPairs:       maxArrayElements,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}
}

// Marshal encodes v canonically.
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// Unmarshal decodes untrusted CBOR into v with strict limits.
func Unmarshal(b []byte, v any) error { return decMode.Unmarshal(b, v) }

// UnmarshalStored decodes CBOR the node wrote itself (its metadata) into
// v: strict about form, with no limit on sizes.
func UnmarshalStored(b []byte, v any) error {
	if vv, ok := v.(*VersionVector); ok {
		return vv.unmarshal(trustedMode, b)
	}
	return trustedMode.Unmarshal(b, v)
}

// rowCBOR is Row without its methods: what the generic encoder makes of a
// row. The hand-written encoder and decoder must agree with it exactly.
type rowCBOR Row

// MarshalCBOR encodes the row canonically (by hand), wherever it is
// embedded: in a wire message, in an encoded Object.
func (r Row) MarshalCBOR() ([]byte, error) { return appendRow(nil, r), nil }

// UnmarshalCBOR decodes a row embedded in a larger message: the fast path
// for canonical bytes, else the strict generic decoder. Validation is the
// caller's (DecodeRow, wire.Decode).
func (r *Row) UnmarshalCBOR(b []byte) error {
	if fast, ok := decodeRowFast(b); ok {
		*r = fast
		return nil
	}
	var g rowCBOR
	if err := decMode.Unmarshal(b, &g); err != nil {
		return err
	}
	*r = Row(g)
	return nil
}

// EncodeRow returns the canonical bytes of a row.
func EncodeRow(r Row) ([]byte, error) { return appendRow(nil, r), nil }

// canonical returns r with its empty slices set to nil. CBOR tells an empty
// array from null, so without this a row decoded from an empty array, or
// Join's result for two empty contexts, would encode unlike the same state
// built elsewhere, and equal states would not have equal bytes.
func (r Row) canonical() Row {
	if len(r.Entries) == 0 {
		r.Entries = nil
	}
	if len(r.Context) == 0 {
		r.Context = nil
	}
	return r
}

// DecodeRow decodes and validates a row. Any malformed input gives an error
// wrapping ErrInvalid, never a panic.
func DecodeRow(b []byte) (Row, error) {
	if len(b) > maxValueBytes {
		return Row{}, fmt.Errorf("%w: row of %d bytes", ErrInvalid, len(b))
	}
	return decodeRow(decMode, b)
}

// DecodeStoredRow decodes and validates a row the node stored itself: as
// DecodeRow, without its size limits (concurrent siblings of large values
// may add up past them, and such a row must stay readable).
func DecodeStoredRow(b []byte) (Row, error) { return decodeRow(trustedMode, b) }

func decodeRow(mode cbor.DecMode, b []byte) (Row, error) {
	r, ok := decodeRowFast(b)
	if !ok {
		var g rowCBOR
		if err := mode.Unmarshal(b, &g); err != nil {
			return Row{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		r = Row(g)
	}
	if err := r.Validate(); err != nil {
		return Row{}, err
	}
	return r.canonical(), nil
}

// vvWire is one origin of a version vector on the wire: the origin, its
// base, and its exception ranges flattened as lo, hi pairs.
type vvWire struct {
	_      struct{} `cbor:",toarray"`
	Origin ReplicaID
	Base   uint64
	Extra  []uint64
}

// MarshalCBOR encodes the vector canonically, origins in order.
func (v *VersionVector) MarshalCBOR() ([]byte, error) {
	out := make([]vvWire, 0, len(v.m))
	for _, id := range v.Origins() {
		o := v.m[id]
		w := vvWire{Origin: id, Base: o.Base, Extra: []uint64{}}
		for _, s := range o.Extra {
			w.Extra = append(w.Extra, s.Lo, s.Hi)
		}
		out = append(out, w)
	}
	return encMode.Marshal(out)
}

// UnmarshalCBOR decodes a vector, refusing unsorted origins and malformed
// ranges.
func (v *VersionVector) UnmarshalCBOR(b []byte) error { return v.unmarshal(decMode, b) }

func (v *VersionVector) unmarshal(mode cbor.DecMode, b []byte) error {
	var in []vvWire
	if err := mode.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("%w: version vector: %v", ErrInvalid, err)
	}
	out := VersionVector{}
	for i, w := range in {
		if i > 0 && in[i-1].Origin >= w.Origin {
			return fmt.Errorf("%w: version vector origins not sorted", ErrInvalid)
		}
		if len(w.Extra)%2 != 0 {
			return fmt.Errorf("%w: version vector with an odd range list", ErrInvalid)
		}
		out.AddRange(w.Origin, 1, w.Base)
		// Each range must start at least two above the previous end (the
		// base first): sorted, disjoint and not adjacent, so that the
		// encoding of a vector is unique. Written without end+1, which
		// wraps at the top counter.
		end := w.Base
		for j := 0; j < len(w.Extra); j += 2 {
			lo, hi := w.Extra[j], w.Extra[j+1]
			if lo == 0 || lo-1 <= end || hi < lo {
				return fmt.Errorf("%w: version vector ranges not sorted and disjoint", ErrInvalid)
			}
			out.AddRange(w.Origin, lo, hi)
			end = hi
		}
	}
	*v = out
	return nil
}

// objectRow is one row of an encoded Object.
type objectRow struct {
	_   struct{} `cbor:",toarray"`
	Key []byte
	Row Row
}

// EncodeObject returns the canonical bytes of a key's rows, in row key
// order: two replicas that hold the same rows give the same bytes.
func EncodeObject(o Object) ([]byte, error) {
	out := make([]objectRow, 0, len(o))
	for _, k := range o.RowKeys() {
		out = append(out, objectRow{Key: k.Append(nil), Row: o[k].canonical()})
	}
	return encMode.Marshal(out)
}
