package poolreset_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/poolreset"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), poolreset.Analyzer, "a")
}
