// Package transport carries wire frames between nodes over QUIC (quic-go)
// with mutual TLS 1.3. It is the only package of Shoal that imports
// quic-go.
//
// A Conn is one QUIC connection carrying one bidirectional stream of
// frames, in both directions: the dialer opens the stream and sends first
// (its HELLO), the acceptor accepts it. A peer is known by the common name
// of its verified certificate, never by its address. 0-RTT is never
// enabled: a replayed first flight could repeat a HELLO or a PUSH.
//
// Bytes from a peer are untrusted: frames are size-checked before they
// are read and decoded strictly (package wire); a bad frame gives an error
// from Recv and closes the connection, never a panic or unbounded memory.
// What a peer can hold is bounded too: a message must arrive within a
// deadline once begun (the first one, the HELLO, within HandshakeTimeout
// of the handshake), buffers grow with the bytes that arrived and draw on
// a shared receive budget, a Send to a peer that stops reading times out,
// and a Listener holds at most MaxConns connections. A failing peer never
// stops a Listener from serving others.
//
// Package transport imports wire and identity of Shoal's packages.
package transport
