package otelbridge_test

import (
	"testing"

	"github.com/custody-go/custody/oracle"
)

// TestMain runs the package's tests under the oracle's package verdict: no
// goroutine may outlive them, and no finding may go unreported.
func TestMain(m *testing.M) { oracle.VerifyTestMain(m) }
