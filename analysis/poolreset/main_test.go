package poolreset_test

import (
	"testing"

	"github.com/custody-go/custody/oracle"
)

func TestMain(m *testing.M) { oracle.VerifyTestMain(m) }
