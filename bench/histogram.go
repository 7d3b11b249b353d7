package bench

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 2^subBits buckets, so a quantile is within about 3% (half of 1/16) of
// the true latency. A fixed array keeps record allocation-free, which
// matters when it runs after every sub-microsecond get.
const subBits = 4

const numBuckets = (64 - subBits + 1) << subBits

// histogram counts latencies in nanoseconds in log-linear buckets. It is
// not safe for concurrent use: each worker keeps its own and they are
// merged at the end.
type histogram struct {
	count   uint64
	buckets [numBuckets]uint64
}

func (h *histogram) record(d time.Duration) {
	h.count++
	h.buckets[bucketOf(uint64(max(d, 0)))]++
}

func (h *histogram) merge(o *histogram) {
	h.count += o.count
	for i, n := range o.buckets {
		h.buckets[i] += n
	}
}

// quantile returns the middle of the bucket holding the q-th latency.
func (h *histogram) quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := uint64(q*float64(h.count-1)) + 1
	var seen uint64
	for i, n := range h.buckets {
		if seen += n; seen >= rank {
			lo, hi := bucketBounds(i)
			return time.Duration(lo + (hi-lo)/2)
		}
	}
	return 0
}

// bucketOf maps v to its bucket: values below 2^subBits have one each;
// above, the bucket is the position of the top bit and the subBits bits
// after it.
func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	n := bits.Len64(v) // n > subBits
	shift := n - subBits - 1
	mantissa := int(v>>shift) - 1<<subBits // 0 .. 2^subBits-1
	return (n-subBits)<<subBits + mantissa
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < 1<<subBits {
		return uint64(i), uint64(i)
	}
	n := i>>subBits + subBits
	shift := n - subBits - 1
	lo = uint64(i&(1<<subBits-1)+1<<subBits) << shift
	return lo, lo + 1<<shift - 1
}
