package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
)

// checkEverywhere reads want back from every running member, key by key
// through the API of its type (registers with GET, the rest with the CLI),
// checks that deleted registers answer 404, and that the listings and the
// peers of `kv ls` and `status -o json` agree between members.
func (c *cluster) checkEverywhere(want state, deleted ...string) {
	c.t.Helper()
	var listings []string
	for _, m := range c.running() {
		for key, entry := range want {
			typ, value, _ := strings.Cut(entry, " ")
			c.checkKey(m, key, typ, value)
		}
		for _, key := range deleted {
			if code, body := c.getRegister(m, key); code != http.StatusNotFound {
				c.t.Errorf("%s: deleted %q answers %d %q", m.name, key, code, body)
			}
		}
		listings = append(listings, c.cliAddr(m, "kv", "ls", "--type", "all", "-o", "json")+c.cliAddr(m, "kv", "ls"))
	}
	for i, l := range listings[1:] {
		if l != listings[0] {
			c.t.Errorf("`kv ls` differs:\n%s:\n%s\n%s:\n%s", c.running()[0].name, listings[0], c.running()[i+1].name, l)
		}
	}
	c.checkPeers()
	c.checkMetrics()
}

// checkKey reads key on m as its type's own command or endpoint gives it.
func (c *cluster) checkKey(m *member, key, typ, value string) {
	c.t.Helper()
	var got, want string
	switch typ {
	case "register":
		code, body := c.getRegister(m, key)
		got, want = http.StatusText(code)+" "+body, "OK "+value
	case "counter":
		got, want = c.cliAddr(m, "counter", "get", key), value+"\n"
	case "set":
		got, want = c.cliAddr(m, "set", "members", key), strings.ReplaceAll(value, ",", "\n")+"\n"
	case "map":
		got = c.cliAddr(m, "map", "get", key)
		want = strings.ReplaceAll(strings.ReplaceAll(value, "=", "\t"), ",", "\n") + "\n"
	}
	if got != want {
		c.t.Errorf("%s: %s %q = %q, want %q", m.name, typ, key, got, want)
	}
}

// getRegister GETs a register: its status and exact bytes. A register
// with concurrent siblings would make the answer depend on timing, so the
// Shoal-Conflicts header is reported as an error.
func (c *cluster) getRegister(m *member, key string) (int, string) {
	c.t.Helper()
	resp, err := http.Get(m.url() + "/v1/kv/" + url.PathEscape(key))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if n := resp.Header.Get("Shoal-Conflicts"); n != "" {
		c.t.Errorf("%s: %q has %s conflicts", m.name, key, n)
	}
	return resp.StatusCode, string(body)
}

// checkPeers waits until `status -o json` on every running member shows
// each other running member (by node id) as a connected peer.
func (c *cluster) checkPeers() {
	c.t.Helper()
	ids := map[*member]string{}
	for _, m := range c.running() {
		ids[m] = c.status(m).NodeID
	}
	deadline := time.Now().Add(convergeTimeout)
	for _, m := range c.running() {
		for {
			missing := c.missingPeers(m, ids)
			if len(missing) == 0 {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s: no connected peer with id %v:\n%s", m.name, missing, c.cliAddr(m, "status"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// missingPeers returns the ids of the other members that m's status does
// not list as connected.
func (c *cluster) missingPeers(m *member, ids map[*member]string) []string {
	connected := map[string]bool{}
	for _, p := range c.status(m).Peers {
		connected[p.ID] = connected[p.ID] || p.Connected
	}
	var missing []string
	for other, id := range ids {
		if other != m && !connected[id] {
			missing = append(missing, other.name+"="+id)
		}
	}
	slices.Sort(missing)
	return missing
}

// status is m's `shoal status -o json`.
func (c *cluster) status(m *member) httpapi.Status {
	c.t.Helper()
	var st httpapi.Status
	out := c.cliAddr(m, "status", "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.NodeID == "" {
		c.t.Fatalf("%s: status -o json: %v\n%s", m.name, err, out)
	}
	return st
}

// checkMetrics scrapes every running member and looks for each other
// one, by node id, as a connected peer. Each has two sessions with every
// peer (both dial), and for a while a dead one beside them after a crash:
// still one series per peer, or the scrape fails.
func (c *cluster) checkMetrics() {
	c.t.Helper()
	ids := map[*member]string{}
	for _, m := range c.running() {
		ids[m] = c.status(m).NodeID
	}
	for _, m := range c.running() {
		resp, err := http.Get(m.url() + "/metrics")
		if err != nil {
			c.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for other, id := range ids {
			want := fmt.Sprintf("shoal_peer_connected{peer=%q} 1\n", id)
			if other != m && (resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want)) {
				c.t.Errorf("%s: /metrics: %s, want %q in:\n%s", m.name, resp.Status, want, grepLines(string(body), "shoal_peer"))
			}
		}
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
