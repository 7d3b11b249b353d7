package identity

import "errors"

var (
	// ErrExists marks a refusal to overwrite a certificate or key file.
	ErrExists = errors.New("identity: file already exists")
	// ErrInvalidName marks a node name or host that cannot be used.
	ErrInvalidName = errors.New("identity: invalid name")
	// ErrIncomplete marks a certificate directory holding only some of
	// the files it should: a person must look at it, not a program guess.
	ErrIncomplete = errors.New("identity: incomplete certificate directory")
	// ErrPeer marks a peer certificate that is missing or not acceptable.
	ErrPeer = errors.New("identity: bad peer certificate")
)
