package publishmutation_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/publishmutation"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), publishmutation.Analyzer, "a")
}
