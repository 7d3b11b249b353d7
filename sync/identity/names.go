package identity

import (
	"fmt"
	"net"
)

// MaxNameLen is the longest node name.
const MaxNameLen = 64

// reservedName is the base name of the CA's own files.
const reservedName = "ca"

// defaultHosts are the SANs of a certificate issued without hosts: enough
// for nodes on one machine. Peers elsewhere are verified by chain, not by
// host name, so missing SANs do not stop them.
var defaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// ValidateName checks a node name: 1 to MaxNameLen letters, digits, '-',
// '_' or '.', not starting with '.', and not "ca". A name is also a file
// name (NAME.crt), so nothing in it may reach outside the directory.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen || name[0] == '.' || name == reservedName {
		return fmt.Errorf("%w: %q: want 1 to %d letters, digits, '-', '_' or '.', not starting with '.', not %q",
			ErrInvalidName, name, MaxNameLen, reservedName)
	}
	for _, c := range []byte(name) {
		if !isNameByte(c) {
			return fmt.Errorf("%w: %q: byte %q is not a letter, digit, '-', '_' or '.'", ErrInvalidName, name, c)
		}
	}
	return nil
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

// splitHosts sorts hosts into IP and DNS SANs (defaultHosts if none).
func splitHosts(hosts []string) (ips []net.IP, dns []string, err error) {
	if len(hosts) == 0 {
		hosts = defaultHosts
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
			continue
		}
		if err := validateDNSName(h); err != nil {
			return nil, nil, err
		}
		dns = append(dns, h)
	}
	return ips, dns, nil
}

// validateDNSName accepts host names (and a leading "*." wildcard).
func validateDNSName(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("%w: host %q", ErrInvalidName, h)
	}
	for i, c := range []byte(h) {
		ok := isNameByte(c) && c != '_' || c == '*' && i == 0 && len(h) > 2 && h[1] == '.'
		if !ok {
			return fmt.Errorf("%w: host %q: neither an IP address nor a DNS name", ErrInvalidName, h)
		}
	}
	return nil
}
