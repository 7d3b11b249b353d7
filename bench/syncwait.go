package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/node"
)

// pollEvery is how often a wait re-checks its condition: short next to
// the catch-ups measured (tens of ms and up), cheap next to what the
// nodes do meanwhile (a Status call).
const pollEvery = 2 * time.Millisecond

// waitUntil calls cond every pollEvery until it is true, fails, or timeout
// passes. It returns the moment cond was first seen true.
func waitUntil(timeout time.Duration, what string, cond func() (bool, error)) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		now := time.Now()
		if err != nil || ok {
			return now, err
		}
		if now.After(deadline) {
			return now, fmt.Errorf("bench: %s: not done after %v", what, timeout)
		}
		time.Sleep(pollEvery)
	}
}

// mark is a point in a node's history: its own latest dot.
type mark struct {
	origin  string
	counter uint64
}

func markOf(db *node.DB) (mark, error) {
	st, err := db.Status()
	return mark{st.NodeID, st.LastDot}, err
}

// hasAll reports whether db's version vector holds every dot of m's origin
// up to m's counter. Catch-up joins the sender's snapshot vector only
// after the rows it covers are synced (sync.md), so this is true exactly
// when db has every change m's node had made.
func hasAll(db *node.DB, m mark) (bool, error) {
	st, err := db.Status()
	if err != nil {
		return false, err
	}
	return vvBase(st.VersionVector, m.origin) >= m.counter, nil
}

// vvBase reads origin's contiguous counter out of a version vector as
// Status prints it: "{origin:base+[lo-hi] origin2:base}". Zero if absent.
func vvBase(vv, origin string) uint64 {
	i := strings.Index(vv, origin+":")
	if i < 0 {
		return 0
	}
	s := vv[i+len(origin)+1:]
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(s)
	}
	n, _ := strconv.ParseUint(s[:end], 10, 64)
	return n
}

// traffic is the frame bytes of every current session of a node, as
// Status counts them (QUIC stream payload, length prefixes included).
type traffic struct{ sent, recv uint64 }

func (t traffic) total() uint64 { return t.sent + t.recv }

func trafficOf(db *node.DB) (traffic, error) {
	st, err := db.Status()
	var t traffic
	for _, p := range st.Peers {
		t.sent += p.BytesSent
		t.recv += p.BytesRecv
	}
	return t, err
}
