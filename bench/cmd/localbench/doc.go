// Package main is localbench, the command that measures Shoal against raw
// Pebble on this machine and prints, for each workload, ops/s and latencies
// of both and the ratio shoal/pebble. See package bench for what is
// measured and how.
//
//	go run ./bench/cmd/localbench            # about 2 minutes on 2 cores
//	go run ./bench/cmd/localbench -quick     # seconds: a smoke test for CI
//	go run ./bench/cmd/localbench -only put -duration 10s -json out.json
package main
