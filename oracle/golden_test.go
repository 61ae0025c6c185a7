package oracle

// The verdict text is compared with testdata/*.golden after scrubbing what
// changes from run to run (durations, goroutine numbers, standard library
// line numbers). Regenerate the golden files with
//
//	go test ./oracle -run TestGolden -update

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/safego"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[0-9][0-9.]*(ns|µs|ms|s|m|h)([0-9][0-9.]*(ns|µs|ms|s))*\b`), "DUR"},
	{regexp.MustCompile(`goroutine [0-9]+`), "goroutine N"},
	{regexp.MustCompile(`((?:testing|runtime)/[a-z_0-9]+\.(?:go|s)):[0-9]+`), "$1:N"},
	{regexp.MustCompile(`((?:chanown|safego|safemap)/[a-z_0-9]+\.go):[0-9]+`), "$1:N"},
}

func scrub(s string) string {
	for _, r := range scrubs {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./oracle -run TestGolden -update to create it")
	assert.Equal(t, string(want), got)
}

func TestGoldenReport(t *testing.T) {
	fake := newFake("TestHandlePayment")
	ctx := Check(fake, Settle(100*time.Millisecond), CancelGrace(20*time.Millisecond))

	results := chanown.Make[string](ctx, "payment-results", 1)
	started := make(chan struct{})
	safego.Go(ctx, "handler", func(ctx context.Context) {
		safego.Go(ctx, "process-payment", func(ctx context.Context) {
			bg := context.WithoutCancel(ctx)
			_ = results.Send(bg, "paid")
			close(started)
			_ = results.Send(bg, "paid again") // blocks: the buffer is full
		})
	})
	<-started

	audit := chanown.Make[string](ctx, "audit", 0)
	require.NoError(t, audit.Close(ctx))
	require.Error(t, audit.Close(ctx))

	spine.Emit(ctx, &custody.Event{
		Kind: custody.MapZeroLoaded, Object: "order-42", Site: spine.Caller(0),
		Goroutine: custody.FromContext(ctx), Earlier: &custody.Event{Kind: custody.MapZeroStored, Site: spine.Caller(0)},
	})

	// The panic comes last: its event is emitted after the goroutine's own
	// deferred calls, so nothing in the test can wait for it before that.
	safego.Go(ctx, "parser", func(context.Context) {
		panic(errors.New("malformed amount"))
	})
	fake.finish() // the verdict waits for "parser" to exit
	_, _, _ = results.Recv(context.Background())

	golden(t, "report", scrub(fake.verdict()))
}
