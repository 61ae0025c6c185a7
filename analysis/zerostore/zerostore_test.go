package zerostore_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/internal/fixtest"
	"github.com/custody-go/custody/analysis/zerostore"
)

func Test(t *testing.T) {
	fixtest.Run(t, analysistest.TestData(), zerostore.Analyzer, "a")
}
