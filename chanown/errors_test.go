package chanown_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestErrorGolden pins the text of every form of CloseError. Times come from
// a synctest bubble, so durations are exact; sites are lines of this file.
// After changing this file or the text, regenerate and review the diff with
//
//	go test ./chanown -run TestErrorGolden -update
func TestErrorGolden(t *testing.T) {
	var got strings.Builder
	add := func(name string, err error) {
		require.ErrorIs(t, err, chanown.ErrClosed, name)
		got.WriteString("# " + name + "\n" + err.Error() + "\n")
	}
	synctest.Test(t, func(t *testing.T) {
		ownerCtx, _ := identity(t.Context(), "handle-payment")
		closerCtx, _ := identity(t.Context(), "process-payment")
		unowned := t.Context()
		sink := func() func() { return sinktest.Set(sinktest.New(core.Observe)) }

		restore := sink()
		c := chanown.Make[int](ownerCtx, "payment-results", 1)
		require.NoError(t, c.Close(closerCtx))
		time.Sleep(3 * time.Millisecond)
		add("send after close", c.Send(ownerCtx, 1))
		time.Sleep(1500 * time.Millisecond)
		add("double close", c.Close(ownerCtx))
		_, err := c.TrySend(1)
		add("TrySend after close", err)
		restore()
		add("send with custody off after a recorded close", c.Send(ownerCtx, 1))

		c = chanown.Make[int](ownerCtx, "payment-results", 1)
		require.NoError(t, c.Close(ownerCtx))
		add("send after close, custody off", c.Send(ownerCtx, 1))
		add("double close, custody off", c.Close(ownerCtx))
		restore = sink()
		add("send after a close made with custody off", c.Send(ownerCtx, 1))

		c = chanown.Make[int](unowned, "audit", 0)
		require.NoError(t, c.Close(unowned))
		time.Sleep(1234567 * time.Nanosecond)
		add("closed by an unowned goroutine", c.Send(ownerCtx, 1))
		restore()
	})

	path := filepath.Join("testdata", "errors.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	assert.Equal(t, string(want), got.String())
}
