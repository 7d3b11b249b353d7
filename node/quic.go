package node

import "errors"

// transport returns the configured transport: Options.Transport, or QUIC
// with mutual TLS from Options.TLS.
func (o *Options) transport() (Transport, error) {
	if o.Transport != nil {
		return o.Transport, nil
	}
	if o.TLS.CA == "" || o.TLS.Cert == "" || o.TLS.Key == "" {
		return nil, errNoTLS
	}
	return nil, errors.New("shoal: QUIC transport: not wired yet")
}
