package main

import (
	"net/url"
	"testing"
	"time"
)

// TestThreeAgentCluster runs three agents as separate processes with a
// CA made by `shoal cert`, writes every type through the HTTP API and the
// CLI on different nodes, SIGKILLs one, writes more on the others,
// restarts it on the same data and ports, and checks that every node
// answers the same values; then two agents with certificates from another
// CA try to join and must be refused while the cluster keeps serving.
func TestThreeAgentCluster(t *testing.T) {
	bin := shoalBinary(t)
	t0 := time.Now() // the steps log their time: -v shows where a slow run spent it
	c := newCluster(t, bin, "a", "b", "c")
	for _, m := range c.nodes {
		c.start(m)
	}
	a, b, cn := c.nodes[0], c.nodes[1], c.nodes[2]

	// Every node writes; a over HTTP, b with the CLI, c with both. The
	// writes to one key from several nodes are to merging types only, so
	// the outcome does not depend on timing.
	c.call(a, "PUT", "/v1/kv/reg/a", "from a")
	c.call(a, "POST", "/v1/counters/hits", `{"add": 5}`)
	c.call(a, "POST", "/v1/sets/tags", `{"add": ["x", "y"]}`)
	c.call(a, "PUT", "/v1/maps/user/name", "ann")
	c.cli(b, "kv", "put", "reg/b", "from b")
	c.cli(b, "counter", "add", "hits", "7")
	c.cli(b, "set", "add", "tags", "z")
	c.cli(b, "map", "set", "user", "city", "Oslo")
	c.call(cn, "PUT", "/v1/kv/"+url.PathEscape("reg/c with space/ü"), "\x00binary\xff")
	c.cli(cn, "counter", "add", "hits", "-2")
	c.cli(cn, "kv", "put", "reg/tmp", "short-lived")
	want := state{
		"reg/a": "register from a", "reg/b": "register from b", "reg/tmp": "register short-lived",
		"reg/c with space/ü": "register \x00binary\xff",
		"hits":               "counter 10", "tags": "set x,y,z", "user": "map city=Oslo,name=ann",
	}
	c.waitState(want, c.nodes...)
	t.Logf("%v: converged with all three up", time.Since(t0).Round(time.Millisecond))

	// b crashes. a and c delete and remove what b and they wrote (having
	// seen it, so the removes win) and write more; b learns it on return.
	b.proc.kill(t)
	c.call(a, "DELETE", "/v1/kv/reg/b", "")
	c.call(a, "POST", "/v1/counters/hits", `{"add": 100}`)
	c.call(a, "POST", "/v1/sets/tags", `{"add": ["w"], "remove": ["z"]}`)
	c.call(a, "DELETE", "/v1/maps/user/city", "")
	c.cli(cn, "kv", "del", "reg/tmp")
	c.cli(cn, "counter", "add", "hits", "-3")
	c.cli(cn, "set", "rm", "tags", "x")
	c.cli(cn, "map", "set", "user", "name", "bob")
	c.cli(cn, "kv", "put", "reg/c2", "while b was down")
	delete(want, "reg/b")
	delete(want, "reg/tmp")
	want["hits"], want["tags"], want["user"] = "counter 107", "set w,y", "map name=bob"
	want["reg/c2"] = "register while b was down"
	c.waitState(want, a, cn)
	t.Logf("%v: a and c converged while b was down", time.Since(t0).Round(time.Millisecond))

	// b restarts and writes at once, before it has necessarily caught up.
	c.start(b)
	c.cli(b, "counter", "add", "hits", "1")
	c.cli(b, "kv", "put", "reg/b2", "after the restart")
	want["hits"], want["reg/b2"] = "counter 108", "register after the restart"
	c.waitState(want, c.nodes...)
	t.Logf("%v: converged after b's restart", time.Since(t0).Round(time.Millisecond))
	c.checkEverywhere(want, "reg/b", "reg/tmp")
	t.Logf("%v: checked every key on every node", time.Since(t0).Round(time.Millisecond))

	c.checkIntrudersRefused(want)
}
