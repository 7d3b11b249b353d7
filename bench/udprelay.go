package bench

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// udpHeaders is what IPv4 and UDP add to each datagram on a real link.
const udpHeaders = 20 + 8

// relayBuffer is the relay's socket receive buffer, as large as quic-go
// asks for its own, so that the relay does not drop what QUIC would then
// retransmit (and count twice).
const relayBuffer = 7 << 20

// relay forwards UDP datagrams between dialers and one target, counting
// them: it measures what a QUIC connection really puts on the wire
// (packet headers, TLS tags, acknowledgements, retransmissions), which the
// nodes' own counters (frame bytes of the stream) do not see. Each dialer
// address gets its own upstream socket, so a restarted node that dials
// from a new port is a new flow. Connections migrate by address, never by
// identity, so QUIC and mutual TLS work through it unchanged.
type relay struct {
	front  *net.UDPConn
	target *net.UDPAddr

	bytes, packets atomic.Uint64
	last           atomic.Int64 // Unix nanoseconds of the latest datagram

	mu    sync.Mutex
	flows map[string]*net.UDPConn
	wg    sync.WaitGroup
}

func newRelay(target string) (*relay, error) {
	to, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, err
	}
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	front.SetReadBuffer(relayBuffer)
	r := &relay{front: front, target: to, flows: map[string]*net.UDPConn{}}
	r.wg.Go(r.forward)
	return r, nil
}

// addr is where dialers should dial instead of the target.
func (r *relay) addr() string { return r.front.LocalAddr().String() }

// count returns the bytes on the wire (payload plus IP and UDP headers)
// since the last reset, both ways.
func (r *relay) count() uint64 { return r.bytes.Load() + udpHeaders*r.packets.Load() }

func (r *relay) reset() { r.bytes.Store(0); r.packets.Store(0) }

func (r *relay) note(n int) {
	r.bytes.Add(uint64(n))
	r.packets.Add(1)
	r.last.Store(time.Now().UnixNano())
}

// lastPacket is when the latest datagram went through, either way.
func (r *relay) lastPacket() time.Time { return time.Unix(0, r.last.Load()) }

// forward carries dialers' datagrams to the target until the relay closes.
func (r *relay) forward() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := r.front.ReadFromUDP(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil {
			continue // an ICMP error for an earlier datagram
		}
		up, err := r.flow(from)
		if err != nil {
			continue // like a lost packet: QUIC retransmits
		}
		r.note(n)
		up.Write(buf[:n])
	}
}

// flow returns the upstream socket of a dialer, starting its return path
// on first use.
func (r *relay) flow(from *net.UDPAddr) (*net.UDPConn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if up := r.flows[from.String()]; up != nil {
		return up, nil
	}
	if r.flows == nil {
		return nil, net.ErrClosed
	}
	up, err := net.DialUDP("udp", nil, r.target)
	if err != nil {
		return nil, err
	}
	up.SetReadBuffer(relayBuffer)
	r.flows[from.String()] = up
	r.wg.Go(func() { r.back(up, from) })
	return up, nil
}

// back carries the target's datagrams to one dialer.
func (r *relay) back(up *net.UDPConn, to *net.UDPAddr) {
	buf := make([]byte, 64<<10)
	for {
		n, err := up.Read(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil {
			continue
		}
		r.note(n)
		r.front.WriteToUDP(buf[:n], to)
	}
}

func (r *relay) close() error {
	errs := []error{r.front.Close()}
	r.mu.Lock()
	for _, up := range r.flows {
		errs = append(errs, up.Close())
	}
	r.flows = nil
	r.mu.Unlock()
	r.wg.Wait()
	return errors.Join(errs...)
}
