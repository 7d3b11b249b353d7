package transport

import (
	"sync"
	"time"
)

// deadline is one direction of a stream's deadline: the earlier of the
// caller's (SetRecvDeadline, SetSendDeadline) and the one that Conn sets
// for each message. Safe for concurrent use.
type deadline struct {
	mu   sync.Mutex
	user time.Time
	auto time.Time
	set  func(time.Time) error // the stream's
}

func (d *deadline) setUser(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.user = t
	return d.set(earliest(d.user, d.auto))
}

func (d *deadline) setAuto(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.auto = t
	d.set(earliest(d.user, d.auto)) // quic-go's never fails
}

// earliest returns the earlier of a and b, where zero means never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
