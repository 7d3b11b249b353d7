package bench

import "strconv"

// keySize and valueSize are the shape of every register put: 16-byte keys
// and 100-byte values, as in the brief both sides are held to.
const (
	keySize   = 16
	valueSize = 100
)

// keyOf returns a 16-byte key: prefix and n in 15 zero-padded digits. The
// same bytes go to Pebble and (as a string) to Shoal.
func keyOf(prefix byte, n uint64) []byte {
	k := make([]byte, 1, keySize)
	k[0] = prefix
	digits := strconv.AppendUint(make([]byte, 0, 20), n%1e15, 10)
	for len(k)+len(digits) < keySize {
		k = append(k, '0')
	}
	return append(k, digits...)
}

// opNumber names worker w's i-th op uniquely across workers, within the
// 15 digits keyOf keeps.
func opNumber(w int, i uint64) uint64 { return uint64(w)*1e12 + i }

// valueOf returns the 100-byte value stored under key number n: a
// splitmix64 stream seeded by n, so it does not compress (as real payloads
// mostly do not, after the application has compressed them) and a reader
// can recompute it to check what it got back. A fresh slice every call:
// neither side may hold on to a buffer the caller reuses.
func valueOf(n uint64) []byte {
	v := make([]byte, valueSize)
	x := n
	for i := 0; i < valueSize; i += 8 {
		x += 0x9e3779b97f4a7c15
		z := (x ^ x>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		for j := i; j < min(i+8, valueSize); j++ {
			v[j] = byte(z >> (8 * (j - i)))
		}
	}
	return v
}

// counterValue is the 8-byte value the counter baseline writes.
func counterValue(n uint64) []byte {
	return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), byte(n >> 32), byte(n >> 40), byte(n >> 48), byte(n >> 56)}
}
