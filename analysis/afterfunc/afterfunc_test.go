package afterfunc_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/afterfunc"
	"github.com/custody-go/custody/analysis/internal/fixtest"
)

func Test(t *testing.T) {
	fixtest.Run(t, analysistest.TestData(), afterfunc.Analyzer, "a", "b")
}
