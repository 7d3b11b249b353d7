package agent

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the agent's configuration, after every source is applied.
type Config struct {
	Data    string   // the node's data directory
	Listen  string   // UDP host:port for peers (QUIC)
	API     string   // TCP host:port for the HTTP API
	Peers   []string // peers to dial and keep connected
	CA      string   // PEM files for mutual TLS; all three or none
	Cert    string
	Key     string
	Config  string // the config file read, if any
	LogFmt  string // "text" or "json"
	LogLvl  string // "debug", "info", "warn" or "error"
	MaxVal  int    // largest value in bytes; 0 is node's default
	Timeout time.Duration
	// FreshReplica takes a fresh replica id at this start (node's
	// Options.FreshReplica): for a directory restored by other tools.
	FreshReplica bool
	// ScopeRules are the cluster's scope rules (node's
	// Options.ScopeRules), in order; every node needs the same.
	ScopeRules []string

	// ListenSet is true when listen came from a flag, the environment or
	// the file rather than the default; see NodeListen.
	ListenSet bool
}

// setting is one configuration key: its flag name (also its config file
// key and, as SHOAL_<NAME>, its environment variable), default and parser.
type setting struct {
	name  string
	def   string
	usage string
	list  bool // repeatable flag; comma-separated in the environment
	flag  bool // boolean: --name alone means true; env and file take true/false
	apply func(c *Config, v []string) error
}

var settings = []setting{
	{name: "data", def: "./shoal-data", usage: "data directory", apply: str(func(c *Config) *string { return &c.Data })},
	{name: "listen", def: "0.0.0.0:7400", usage: "UDP host:port to accept peers on (QUIC); used only with peers, certificates, or when set", apply: func(c *Config, v []string) error {
		c.Listen = last(v)
		return nil
	}},
	{name: "api", def: "127.0.0.1:7401", usage: "TCP host:port of the HTTP API", apply: str(func(c *Config) *string { return &c.API })},
	{name: "peer", list: true, usage: "peer host:port to dial and keep connected (repeatable)", apply: func(c *Config, v []string) error {
		c.Peers = v
		return nil
	}},
	{name: "scope-rule", list: true, usage: "scope rule PATTERN such as users/{user}/ (repeatable, in order; every node of a cluster needs the same rules)", apply: func(c *Config, v []string) error {
		c.ScopeRules = v
		return nil
	}},
	{name: "ca", usage: "cluster CA certificate (PEM)", apply: str(func(c *Config) *string { return &c.CA })},
	{name: "cert", usage: "this node's certificate (PEM)", apply: str(func(c *Config) *string { return &c.Cert })},
	{name: "key", usage: "this node's private key (PEM)", apply: str(func(c *Config) *string { return &c.Key })},
	{name: "log-format", def: "text", usage: "log format: text or json", apply: oneOf(func(c *Config) *string { return &c.LogFmt }, "text", "json")},
	{name: "log-level", def: "info", usage: "log level: debug, info, warn or error", apply: oneOf(func(c *Config) *string { return &c.LogLvl }, "debug", "info", "warn", "error")},
	{name: "max-value-size", def: "0", usage: "largest value in bytes (0: 1 MiB)", apply: func(c *Config, v []string) error {
		n, err := strconv.Atoi(last(v))
		if err != nil || n < 0 {
			return fmt.Errorf("want a number of bytes, not %q", last(v))
		}
		c.MaxVal = n
		return nil
	}},
	{name: "shutdown-timeout", def: "10s", usage: "how long in-flight requests may take to finish on shutdown", apply: func(c *Config, v []string) error {
		d, err := time.ParseDuration(last(v))
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 10s, not %q", last(v))
		}
		c.Timeout = d
		return nil
	}},
	{name: "fresh-replica", def: "false", flag: true, usage: "take a fresh replica id at this start: once, for a data directory restored by other means than shoal restore", apply: func(c *Config, v []string) error {
		b, err := strconv.ParseBool(last(v))
		if err != nil {
			return fmt.Errorf("want true or false, not %q", last(v))
		}
		c.FreshReplica = b
		return nil
	}},
}

func str(field func(*Config) *string) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		*field(c) = last(v)
		return nil
	}
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := strings.ToLower(last(v))
		for _, a := range allowed {
			if s == a {
				*field(c) = s
				return nil
			}
		}
		return fmt.Errorf("want one of %s, not %q", strings.Join(allowed, ", "), last(v))
	}
}

func last(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// envName is the environment variable of a setting: SHOAL_MAX_VALUE_SIZE.
func envName(name string) string {
	return "SHOAL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// NodeListen is the Listen address to give the node. A plain `shoal agent`
// stays local-only and opens no UDP port on every interface: the default
// address is used only once peering is asked for (peers or certificates
// configured), and any listen address the user set is used as given.
func (c Config) NodeListen() string {
	if c.ListenSet || len(c.Peers) > 0 || c.CA != "" || c.Cert != "" || c.Key != "" {
		return c.Listen
	}
	return ""
}
