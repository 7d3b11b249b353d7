package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// fataler is what the helpers need from *testing.T, *testing.F and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func mustEncode(t fataler, m *Message) []byte {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode(%+v): %v", m, err)
	}
	return b
}

// checkRoundTrip fails unless b decodes to a message that encodes back to b.
func checkRoundTrip(t fataler, b []byte) *Message {
	t.Helper()
	m, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v", err)
	}
	if again := mustEncode(t, m); !bytes.Equal(again, b) {
		t.Fatalf("round trip changed the bytes:\n%x\n%x", b, again)
	}
	return m
}

func TestRoundTripExamples(t *testing.T) {
	for _, m := range exampleMessages() {
		checkRoundTrip(t, mustEncode(t, m))
	}
}

func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t)
		back := checkRoundTrip(t, mustEncode(t, m))
		if vv, got := messageVV(m), messageVV(back); vv != nil && !got.Equal(vv) {
			t.Fatalf("version vector %s came back as %s", vv, got)
		}
	})
}

// messageVV returns the version vector a message carries, if any.
func messageVV(m *Message) *crdt.VersionVector {
	switch {
	case m.Hello != nil:
		return m.Hello.VV
	case m.Done != nil:
		return m.Done.VV
	case m.Ack != nil:
		return m.Ack.VV
	}
	return nil
}

func TestDecodeRefusesMalformed(t *testing.T) {
	for name, b := range malformedBodies(t) {
		t.Run(name, func(t *testing.T) {
			m, err := Decode(b)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%x) = %+v, %v; want ErrMalformed", b, m, err)
			}
		})
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	bad := []*Message{
		nil,
		{},
		{Done: &Done{VV: exampleVV()}, Ack: &Ack{VV: exampleVV()}},
		{Hello: &Hello{VV: exampleVV()}},
		{Ack: &Ack{}},
		batchOf(Row{Key: "k", RowKey: []byte{1}}),
	}
	for _, m := range bad {
		if _, err := Encode(m); !errors.Is(err, ErrMalformed) {
			t.Errorf("Encode(%+v) = %v, want ErrMalformed", m, err)
		}
	}
}

// TestKeyLimits checks the edges of the key rules.
func TestKeyLimits(t *testing.T) {
	r := exampleRows()[0]
	r.Key = string(bytes.Repeat([]byte("é"), MaxKeySize/2))
	checkRoundTrip(t, mustEncode(t, batchOf(r)))
	r.Key += "x"
	if _, err := Encode(batchOf(r)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("key of %d bytes: %v, want ErrMalformed", len(r.Key), err)
	}
}

// TestHelloBytes pins the Hello's encoding: without a rules hash it is
// the array of six that nodes sent before RulesHash existed, byte for
// byte (an older node and a node without rules interoperate); with one,
// an array of seven ending in the hash as a byte string.
func TestHelloBytes(t *testing.T) {
	m := &Message{Seq: 2, Hello: &Hello{Version: Version, Replica: 1, VV: &crdt.VersionVector{}}}
	before := []byte("\xa2\x00\x02\x01\x86\x02\x01\x80\xf6\xf6\xf6") // as encoded before RulesHash
	if got := mustEncode(t, m); !bytes.Equal(got, before) {
		t.Fatalf("hello without rules = %x, want %x", got, before)
	}
	m.Hello.RulesHash = exampleRulesHash()
	with := append([]byte("\xa2\x00\x02\x01\x87\x02\x01\x80\xf6\xf6\xf6\x58\x20"), exampleRulesHash()...)
	got := mustEncode(t, m)
	if !bytes.Equal(got, with) {
		t.Fatalf("hello with rules = %x, want %x", got, with)
	}
	back := checkRoundTrip(t, got)
	if !bytes.Equal(back.Hello.RulesHash, exampleRulesHash()) {
		t.Fatalf("rules hash came back as %x", back.Hello.RulesHash)
	}
	if back := checkRoundTrip(t, before); back.Hello.RulesHash != nil {
		t.Fatalf("a hello of six fields decoded with rules hash %x", back.Hello.RulesHash)
	}
}
