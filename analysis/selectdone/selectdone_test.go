package selectdone_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/selectdone"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), selectdone.Analyzer, "a", "main")
}
