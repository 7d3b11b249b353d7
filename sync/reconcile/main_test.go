package reconcile

import (
	"testing"

	"github.com/shoal-db/shoal/internal/rapidseed"
)

// TestMain fixes the property tests' seed (internal/rapidseed).
func TestMain(m *testing.M) { rapidseed.Main(m) }
