package wire

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Fuzz targets for the decoders of peer bytes. Neither may panic; what
// they accept must survive an Encode/Decode round trip byte for byte.
// Seeds are below (f.Add) and in testdata/fuzz/<target>/, written by
//
//	go test ./sync/wire/ -run=TestSeedCorpus -update-corpus
//
// and a crasher found later belongs there too. To fuzz:
//
//	go test ./sync/wire/ -run='^$' -fuzz='^FuzzDecode$' -fuzztime=30s

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz seeds")

// decodeSeeds are message bodies: every example, then malformed ones.
func decodeSeeds(t fataler) [][]byte {
	var out [][]byte
	for _, m := range exampleMessages() {
		out = append(out, mustEncode(t, m))
	}
	for _, name := range sortedKeys(malformedBodies(t)) {
		out = append(out, malformedBodies(t)[name])
	}
	return out
}

// readerSeeds are byte streams: all examples in one stream, then streams
// that end badly.
func readerSeeds(t fataler) [][]byte {
	var all []byte
	for _, m := range exampleMessages() {
		all = append(all, frameOf(mustEncode(t, m))...)
	}
	var split bytes.Buffer // every example in frames of 7 bytes
	w := NewWriterSize(&split, 7)
	for _, m := range exampleMessages() {
		if _, err := w.Write(m); err != nil {
			t.Fatalf("%v", err)
		}
	}
	hello := frameOf(mustEncode(t, exampleMessages()[0]))
	return [][]byte{
		all,
		split.Bytes(),
		append(header(3, true), 0xa1, 0x00, 0x01),                             // ends where the message said more
		append(append(header(1, true), 0xa2), 0x01),                           // empty frame mid-message
		append(header(fuzzFrameLimit, true), header(fuzzFrameLimit, true)...), // over the message limit
		all[:len(all)-3], // truncated body
		append(bytes.Clone(hello), 0xff, 0xff, 0xff, 0xff),                                     // truncated prefix
		append(bytes.Clone(hello), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), // 1<<63
		append(bytes.Clone(hello), frameOf([]byte{0xa2, 0x05, 0x81, 0x80, 0x05, 0x81, 0x80})...),
		{0x81, 0x00},
		{},
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		checkRoundTrip(t, mustEncode(t, m))
	})
}

// The fuzzed Reader's limits are small, so that the fuzzer reaches the
// size checks and the budget; its free allowance too, so that every
// buffer growth past a few bytes is checked against the bytes received.
const (
	fuzzFrameLimit   = 1 << 12
	fuzzMessageLimit = 1 << 14
	fuzzBudget       = 1 << 12
	fuzzFree         = 16
)

func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &boundedBudget{SharedBudget: NewBudget(fuzzBudget), bound: 2 * len(data)}
		r := NewReaderWith(bytes.NewReader(data), &ReaderOptions{
			MaxFrameSize: fuzzFrameLimit, MaxMessageSize: fuzzMessageLimit, Budget: b,
		})
		r.free = fuzzFree
		total := 0
		for {
			m, n, err := r.Read()
			total += n
			if total > len(data) {
				t.Fatalf("read %d bytes of %d", total, len(data))
			}
			if b.Used() != 0 || b.exceeded {
				t.Fatalf("budget: %d bytes still reserved after Read; asked beyond twice the input: %v", b.Used(), b.exceeded)
			}
			if err != nil {
				checkStreamError(t, err, total == len(data))
				return
			}
			checkRoundTrip(t, mustEncode(t, m))
		}
	})
}

// boundedBudget notes a request that would make the reserved bytes
// exceed bound: a Reader's buffer must follow the bytes it received.
type boundedBudget struct {
	*SharedBudget
	bound    int
	exceeded bool
}

func (b *boundedBudget) Reserve(n int) bool {
	b.exceeded = b.exceeded || b.Used()+n > b.bound
	return b.SharedBudget.Reserve(n)
}

// checkStreamError fails unless err is one a Reader may return on a byte
// slice: io.EOF only once all is read, or one of the package's errors.
func checkStreamError(t *testing.T, err error, atEnd bool) {
	t.Helper()
	switch {
	case err == io.EOF:
		if !atEnd {
			t.Fatal("io.EOF before the end of the input")
		}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrMalformed),
		errors.Is(err, ErrBusy):
	default:
		t.Fatalf("unexpected error %v", err)
	}
}

// TestSeedCorpus checks that the stored seed corpus exists, and with
// -update-corpus rewrites it from the seeds above.
func TestSeedCorpus(t *testing.T) {
	for target, seeds := range map[string][][]byte{"FuzzDecode": decodeSeeds(t), "FuzzReader": readerSeeds(t)} {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateCorpus {
			writeCorpus(t, dir, seeds)
		}
		files, err := os.ReadDir(dir)
		if err != nil || len(files) < len(seeds) {
			t.Errorf("%s holds %d seeds, want %d (%v); run with -update-corpus", dir, len(files), len(seeds), err)
		}
	}
}

func writeCorpus(t *testing.T, dir string, seeds [][]byte) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
