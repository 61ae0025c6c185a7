package otelbridge

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"

	"github.com/custody-go/custody/internal/stack"
)

// byAttr returns counts by "key=value" ("" for no attribute).
func byAttr(counts *[]leakCount) map[string]int64 {
	out := map[string]int64{}
	for _, c := range *counts {
		key := ""
		for _, kv := range c.set.ToSlice() {
			key = string(kv.Key) + "=" + kv.Value.Emit()
		}
		out[key] += c.n
	}
	return out
}

func newTestDetector() *leakDetector {
	return &leakDetector{sets: map[leakKey]attribute.Set{}}
}

// TestLeakCountGolden counts a goroutineleak profile captured from a real
// program by Go 1.27 (internal/stack's golden input): labelled goroutines
// by their custody.name, the others by their function in the program,
// past the standard library's frames (sync.WaitGroup.Wait).
func TestLeakCountGolden(t *testing.T) {
	text, err := os.ReadFile("../internal/stack/testdata/go1.27/goroutineleak-profile.txt")
	require.NoError(t, err)
	recs, err := stack.ParseProfile(text)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{
		`custody.name=worker "one", {a}`:              2,
		"custody.name=worker two":                     1,
		"code.function.name=main.leakRecv.func1":      1,
		"code.function.name=main.leakSelect.func1":    1,
		"code.function.name=main.leakWaitGroup.func1": 1,
	}, byAttr(newTestDetector().count(recs)))
}

func TestLeakFunc(t *testing.T) {
	frames := func(funcs ...string) []stack.Frame {
		var fs []stack.Frame
		for _, f := range funcs {
			fs = append(fs, stack.Frame{Func: f})
		}
		return fs
	}
	for _, tt := range []struct {
		frames []stack.Frame
		want   string
	}{
		{frames("main.f.func1"), "main.f.func1"},
		{frames("sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "example.com/svc/api.(*S).wait.func2"), "example.com/svc/api.(*S).wait.func2"},
		{frames("github.com/custody-go/custody/chanown.(*Chan[...]).Send", "github.com/custody-go/custody/examples/payment.run"), "github.com/custody-go/custody/examples/payment.run"},
		{frames("github.com/custody-go/custody/internal/spine.Emit", "example.com/x.F[...]"), "example.com/x.F[...]"},
		// A handler blocked under net/http's goroutine: the handler.
		{frames("sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "example.com/svc.(*S).handle",
			"net/http.HandlerFunc.ServeHTTP", "net/http.(*conn).serve"), "example.com/svc.(*S).handle"},
		{frames("example.com/svc.waitFor", "example.com/svc.worker"), "example.com/svc.waitFor"},
		// All in the standard library: the function it was started with.
		{frames("internal/poll.runtime_pollWait", "net/http.(*conn).serve"), "net/http.(*conn).serve"},
		// A module whose path has no dot reads as the standard library.
		{frames("svc/store.get", "svc/store.(*S).run"), "svc/store.(*S).run"},
		{frames("", "main.g"), "main.g"},
		{nil, ""},
	} {
		assert.Equal(t, tt.want, leakFunc(tt.frames), "leakFunc(%v)", tt.frames)
	}
}

// TestLeakCountOverflow: beyond maxCachedAttributeSets owners and
// functions, new ones are counted under otel.metric.overflow=true, and
// those seen first keep their own set in later passes.
func TestLeakCountOverflow(t *testing.T) {
	d := newTestDetector()
	var recs []stack.Record
	for i := range maxCachedAttributeSets + 5 {
		recs = append(recs, stack.Record{Count: 2, Frames: []stack.Frame{{Func: fmt.Sprintf("example.com/svc.f%d", i)}}})
	}
	got := byAttr(d.count(recs[:maxCachedAttributeSets]))
	assert.Len(t, got, maxCachedAttributeSets)
	got = byAttr(d.count(recs))
	assert.Len(t, got, maxCachedAttributeSets+1)
	assert.Equal(t, int64(10), got["otel.metric.overflow=true"])
	assert.Equal(t, int64(2), got["code.function.name=example.com/svc.f0"])
	assert.Equal(t, int64(2), got[fmt.Sprintf("code.function.name=example.com/svc.f%d", maxCachedAttributeSets-1)])
}
