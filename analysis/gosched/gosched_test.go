package gosched_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/gosched"
	"github.com/custody-go/custody/analysis/internal/fixtest"
)

func Test(t *testing.T) {
	fixtest.Run(t, analysistest.TestData(), gosched.Analyzer, "a")
}
