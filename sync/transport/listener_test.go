package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"
)

func TestListenerCloseUnblocksAccept(t *testing.T) {
	checkGoroutines(t)
	l := listen(t, opts(t, cluster, "server"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Accept(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Accept with a cancelled context: %v", err)
	}
	accepted := make(chan error, 1)
	go func() {
		_, err := l.Accept(context.Background())
		accepted <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; !errors.Is(err, ErrClosed) {
		t.Fatalf("Accept after Close: %v, want ErrClosed", err)
	}
	if _, err := Dial(ctxShort(t), l.Addr().String(), opts(t, cluster, "client")); err == nil {
		t.Fatal("dialled a closed listener")
	}
}

func ctxShort(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// TestListenerCloseWithPendingPeers closes a listener holding connections
// that nobody accepted: their goroutines must end.
func TestListenerCloseWithPendingPeers(t *testing.T) {
	checkGoroutines(t)
	l := listen(t, opts(t, cluster, "server"))
	for range 3 {
		c, err := Dial(ctxTimeout(t), l.Addr().String(), opts(t, cluster, "client"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Send(hello(1))
	}
	time.Sleep(100 * time.Millisecond)
	l.Close()
}

func TestOptionsValidation(t *testing.T) {
	good := opts(t, cluster, "client")
	noClientAuth := good.TLS.Clone()
	noClientAuth.ClientAuth = tls.VerifyClientCertIfGiven
	noVerify := good.ClientTLS.Clone()
	noVerify.VerifyConnection = nil
	noCert := good.ClientTLS.Clone()
	noCert.Certificates = nil
	if _, err := Listen("127.0.0.1:0", nil); err == nil {
		t.Error("Listen without TLS")
	}
	if _, err := Listen("127.0.0.1:0", &Options{TLS: noClientAuth}); err == nil {
		t.Error("Listen without client authentication")
	}
	for _, c := range []*tls.Config{nil, noVerify, noCert} {
		if _, err := Dial(ctxShort(t), "127.0.0.1:1", &Options{ClientTLS: c}); err == nil {
			t.Error("Dial with a bad client configuration")
		}
	}
}
