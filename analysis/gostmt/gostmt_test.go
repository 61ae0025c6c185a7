package gostmt_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/custody-go/custody/analysis/gostmt"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), gostmt.Analyzer, "a", "prog")
}
