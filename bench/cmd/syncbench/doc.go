// Package main is syncbench, the command that measures Shoal's replication
// over real QUIC with mutual TLS on 127.0.0.1, every node storing on disk
// in its own temporary directory: the latency of a put from one node to
// another, catch-up after a partition (bytes and time against what
// changed), the bootstrap of a new node (against raw quic-go throughput,
// and its memory), and the convergence of a full mesh after a burst. See
// package bench for what is measured and how.
//
//	go run ./bench/cmd/syncbench                  # several minutes on 2 cores
//	go run ./bench/cmd/syncbench -quick           # seconds: a smoke test for CI
//	go run ./bench/cmd/syncbench -only catchup -keys 100000 -changes 10,1000 -json out.json
package main
