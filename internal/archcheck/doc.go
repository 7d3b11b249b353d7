// Package archcheck holds the tests that keep Shoal's layout honest: the
// import direction written in docs/ARCHITECTURE.md, and a package doc in
// every package. It has no code of its own and nothing imports it.
package archcheck
