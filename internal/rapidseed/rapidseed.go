// Package rapidseed makes a package's property tests (pgregory.net/rapid)
// deterministic: its TestMain calls Main, which sets -rapid.seed to Seed
// unless a seed was given with -rapid.seed or RAPID_SEED. A failure in CI
// then reproduces on a laptop; run with -rapid.seed=0 (a random seed), or
// any other seed, to explore new cases.
package rapidseed

import (
	"flag"
	"os"
	"testing"
)

// Seed is the seed the property tests use unless one is given.
const Seed = "20240611"

// Main fixes the seed as above and runs the package's tests.
func Main(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "rapid.seed" })
	if _, ok := os.LookupEnv("RAPID_SEED"); !ok && !given {
		if err := flag.Set("rapid.seed", Seed); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
