package cancelscope_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/cancelscope"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), cancelscope.Analyzer, "a", "prog")
}
