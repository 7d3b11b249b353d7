package transport

import (
	"errors"
	"testing"

	"github.com/shoal-db/shoal/sync/wire"
)

// TestMessageSpansFramesOverQUIC: a message of many frames arrives whole.
func TestMessageSpansFramesOverQUIC(t *testing.T) {
	checkGoroutines(t)
	server, client := opts(t, cluster, "server"), opts(t, cluster, "client")
	server.MaxFrameSize, client.MaxFrameSize = 16<<10, 16<<10
	c, s := pair(t, server, client)
	sent := make(chan error, 1)
	go func() { sent <- c.Send(push(2, 1<<20)) }() // over the flow control window: Recv must run
	m, err := s.Recv()
	if err != nil || len(m.Push.Rows[0].Row.Entries[0].Value) != 1<<20 {
		t.Fatalf("Recv of a 1 MiB message in 16 KiB frames: %v", err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if c.BytesSent() != s.BytesReceived() {
		t.Fatalf("sent %d bytes, received %d", c.BytesSent(), s.BytesReceived())
	}
}

// TestMessageLimitPerConnection: a message over the sender's message limit
// is refused and the connection stays usable.
func TestMessageLimitPerConnection(t *testing.T) {
	checkGoroutines(t)
	client := opts(t, cluster, "client")
	client.MaxMessageSize = 64 << 10
	c, s := pair(t, opts(t, cluster, "server"), client)
	if err := c.Send(push(2, 100<<10)); !errors.Is(err, wire.ErrMessageTooLarge) {
		t.Fatalf("Send over the message limit: %v, want ErrMessageTooLarge", err)
	}
	if err := c.Send(ack(2)); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Recv(); err != nil || m.Ack == nil {
		t.Fatalf("Recv after a refused Send: %+v, %v", m, err)
	}
}

// TestReceiveBudgetExhausted: a message that does not fit the Listener's
// budget fails Recv with wire.ErrBusy and closes the connection with
// CodeBusy; the budget is whole again, and other peers are served.
func TestReceiveBudgetExhausted(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	budget := wire.NewBudget(256 << 10)
	server.Budget = budget
	l := listen(t, server)
	c, s := acceptOne(t, l)
	go c.Send(push(2, 512<<10)) // may fail: the acceptor gives up midway
	if _, err := s.Recv(); !errors.Is(err, wire.ErrBusy) {
		t.Fatalf("Recv over the budget: %v, want wire.ErrBusy", err)
	}
	var ce *CloseError
	if _, err := c.Recv(); !errors.As(err, &ce) || ce.Code != CodeBusy {
		t.Fatalf("sender over the budget: %v, want CodeBusy", err)
	}
	if budget.Used() != 0 {
		t.Fatalf("%d bytes of the budget still reserved", budget.Used())
	}
	c, s = acceptOne(t, l)
	if err := c.Send(push(2, 200<<10)); err != nil { // within the flow control window
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatalf("Recv within the budget: %v", err)
	}
}
