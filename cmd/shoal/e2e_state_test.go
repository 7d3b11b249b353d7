package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
)

// convergeTimeout bounds every wait for replication. Nothing signals that
// a peer's changes have all arrived, so the tests poll; the deadline is
// generous for a loaded 2-core machine, where it takes well under a second.
const convergeTimeout = 30 * time.Second

// state is what a node holds: each key's type and value, as text that
// reads well in a failure message ("counter 10", "set a,b", "map f=v").
type state map[string]string

// readState lists every key of every type on m through the HTTP API.
func readState(m *member) (state, error) {
	var page client.Page
	if err := getJSON(m.url()+"/v1/kv?type=all&limit=1000", &page); err != nil {
		return nil, err
	}
	if page.Next != "" {
		return nil, fmt.Errorf("more than 1000 keys")
	}
	st := state{}
	for _, it := range page.Items {
		v, err := valueText(it.Type, it.Value)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", it.Key, err)
		}
		st[it.Key] = it.Type + " " + v
	}
	return st, nil
}

// valueText turns a listed value (JSON, as the GET of its type gives it)
// into the text of a state entry.
func valueText(typ string, raw json.RawMessage) (string, error) {
	var err error
	switch typ {
	case "register":
		var b []byte
		err = json.Unmarshal(raw, &b)
		return string(b), err
	case "counter":
		var n int64
		err = json.Unmarshal(raw, &n)
		return strconv.FormatInt(n, 10), err
	case "set":
		var members []string
		err = json.Unmarshal(raw, &members)
		return strings.Join(members, ","), err
	case "map":
		var fields map[string][]byte
		err = json.Unmarshal(raw, &fields)
		var kv []string
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			kv = append(kv, f+"="+string(fields[f]))
		}
		return strings.Join(kv, ","), err
	}
	return "", fmt.Errorf("unknown type %q", typ)
}

// waitState polls each member until it holds exactly want.
func (c *cluster) waitState(want state, members ...*member) {
	c.t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for _, m := range members {
		for {
			got, err := readState(m)
			if err == nil && maps.Equal(got, want) {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s did not converge within %v: %v\ngot  %v\nwant %v\nlogs of %s:\n%s",
					m.name, convergeTimeout, err, got, want, m.name, m.proc.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// call sends one request to m's API and fails the test unless it gets a
// 2xx answer; it returns the body.
func (c *cluster) call(m *member, method, path, body string) []byte {
	c.t.Helper()
	req, err := http.NewRequest(method, m.url()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s on %s: %v", method, path, m.name, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		c.t.Fatalf("%s %s on %s: %s %s %v", method, path, m.name, resp.Status, out, err)
	}
	return out
}

// cli runs a client command against m, naming the agent with SHOAL_ADDR.
func (c *cluster) cli(m *member, args ...string) string {
	c.t.Helper()
	return runCLI(c.t, c.bin, m.url(), "", args...)
}

// cliAddr runs a client command against m, naming the agent with --addr.
func (c *cluster) cliAddr(m *member, args ...string) string {
	c.t.Helper()
	return runCLI(c.t, c.bin, "", "", append([]string{"--addr", m.url()}, args...)...)
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s %s", url, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// String lists the keys in order, values quoted: a failure message stays
// readable when a value holds control bytes.
func (s state) String() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s)) {
		fmt.Fprintf(&b, "\n\t%q: %q", k, s[k])
	}
	return b.String()
}
