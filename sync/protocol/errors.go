package protocol

import "errors"

// ErrProtocol marks a peer that broke the protocol; the session must end.
var ErrProtocol = errors.New("protocol: peer broke the protocol")
