// Package main is httpbench, the command that measures Shoal's HTTP API
// against its embedded API on this machine: it builds shoal, runs one
// agent on loopback, and drives it with concurrent keep-alive clients
// doing PUT and GET /v1/kv/{key}, then runs the same workload through
// node.Open in its own process, and prints ops/s, p50/p99 latency and the
// ratio http/embedded for each. See bench.RunHTTP.
//
//	go run ./bench/cmd/httpbench            # about 50 s on 2 cores
//	go run ./bench/cmd/httpbench -quick     # seconds: a smoke test for CI
//	go run ./bench/cmd/httpbench -clients 1,8,64 -duration 10s -json out.json
package main
