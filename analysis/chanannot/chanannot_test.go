package chanannot_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/chanannot"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), chanannot.Analyzer, "a")
}
