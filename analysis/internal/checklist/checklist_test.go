package checklist

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseDirective(t *testing.T) {
	for _, tc := range []struct {
		text   string
		rules  []string
		reason string
		ok     bool
	}{
		{"//custody:ignore gostmt returns at once", []string{"gostmt"}, "returns at once", true},
		{"//custody:ignore gostmt,selectdone both: a test hook", []string{"gostmt", "selectdone"}, "both: a test hook", true},
		{"//custody:ignore gostmt", []string{"gostmt"}, "", true},
		{"//custody:ignore", nil, "", true},
		{"//custody:ignored gostmt x", nil, "", false},
		{"// custody:ignore gostmt x", nil, "", false},
	} {
		rules, reason, ok := parseDirective(tc.text)
		assert.Equal(t, tc.rules, rules, "parseDirective(%q) rules", tc.text)
		assert.Equal(t, tc.reason, reason, "parseDirective(%q) reason", tc.text)
		assert.Equal(t, tc.ok, ok, "parseDirective(%q) ok", tc.text)
	}
}

func TestDoc(t *testing.T) {
	src := "// Package x does x.\n//\n// # Analyzer x\n//\n// x: report x\n//\n// Why.\n//\n//\t//custody:ignore x REASON\npackage x\n"
	assert.Equal(t, "report x\n\nWhy.\n\n\t//custody:ignore x REASON", Doc(src))
}
