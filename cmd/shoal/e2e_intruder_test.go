package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"time"
)

// checkIntrudersRefused starts two agents whose certificates are signed
// by another CA (a second `shoal cert init`), each holding writes of its
// own and dialling a and c, and checks that neither joins: the cluster
// keeps replicating and holds nothing of theirs.
//
//   - "stranger" trusts its own CA, so it refuses the cluster's servers
//     itself (and its client certificate is never even looked at);
//   - "impostor" trusts the cluster's CA certificate, a public file an
//     intruder may well have, so the handshake gets as far as the
//     cluster's check of the client. crypto/tls offers a client
//     certificate only if the server's request names its issuer, so the
//     impostor sends none and is refused for that; a foreign certificate
//     sent anyway is refused by the chain check (sync/identity's tests).
func (c *cluster) checkIntrudersRefused(want state) {
	c.t.Helper()
	other := filepath.Join(c.dir, "other-ca")
	runCLI(c.t, c.bin, "", "", "cert", "init", "--dir", other)
	a, cn := c.nodes[0], c.nodes[2]
	intruders := []*member{
		c.startIntruder("stranger", filepath.Join(other, "ca.crt"), other, a, cn),
		c.startIntruder("impostor", filepath.Join(c.certs, "ca.crt"), other, a, cn),
	}
	for _, d := range intruders {
		c.waitRefusals(d, a.listen, cn.listen)
	}
	c.call(a, "PUT", "/v1/kv/after-intruders", "still serving")
	want["after-intruders"] = "register still serving"
	c.waitState(want, c.running()...)
	for _, d := range intruders {
		for _, p := range c.status(d).Peers {
			if p.Connected {
				c.t.Errorf("%s is connected to %+v", d.name, p)
			}
		}
		if got, err := readState(d); err != nil || len(got) != 2 {
			c.t.Errorf("%s holds %v (%v); want only its own two keys", d.name, got, err)
		}
	}
}

// startIntruder starts an agent with a certificate named name from the CA
// in dir, trusting the CA certificate ca, dialling the given members; it
// writes two keys the cluster must never see. It is stopped at the end of
// the test.
func (c *cluster) startIntruder(name, ca, dir string, dial ...*member) *member {
	c.t.Helper()
	runCLI(c.t, c.bin, "", "", "cert", "issue", "--dir", dir, "--name", name)
	args := []string{"--listen", "127.0.0.1:0", "--ca", ca,
		"--cert", filepath.Join(dir, name+".crt"), "--key", filepath.Join(dir, name+".key")}
	for _, m := range dial {
		args = append(args, "--peer", m.listen)
	}
	d := &member{name: name, data: filepath.Join(c.dir, name)}
	d.proc = startAgent(c.t, c.bin, d.data, args...)
	c.t.Cleanup(func() { d.proc.stop(c.t) })
	d.api = strings.TrimPrefix(d.proc.addr, "http://")
	c.cli(d, "kv", "put", "intruder/"+name, "must never spread")
	c.cli(d, "counter", "add", "hits", "1000")
	return d
}

// waitRefusals waits until d's logs show two failed sessions with each of
// addrs, and logs the first reason given.
func (c *cluster) waitRefusals(d *member, addrs ...string) {
	c.t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for {
		fails, reason := refusals(d.proc.logs.String())
		done := true
		for _, addr := range addrs {
			done = done && fails[addr] >= 2
		}
		if done {
			c.t.Logf("%s was refused: %s", d.name, reason)
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s was not refused twice by each of %v within %v:\n%s", d.name, addrs, convergeTimeout, d.proc.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// refusals counts the "peer down" lines of an agent's JSON logs per peer
// address, and returns the first error logged with one.
func refusals(logs string) (map[string]int, string) {
	fails, first := map[string]int{}, ""
	for line := range strings.Lines(logs) {
		var l struct{ Msg, Addr, Err string }
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "shoal: peer down; redialing" {
			continue
		}
		fails[l.Addr]++
		if first == "" {
			first = l.Err
		}
	}
	return fails, first
}
