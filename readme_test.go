package custody_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
	"github.com/custody-go/custody/safemap"
)

type Order struct {
	ID     string
	Amount int
}

// quickStart is the README's Go quick start; TestREADMEQuickStart keeps the
// two the same.
func quickStart(t *testing.T) {
	// README:begin
	ctx := oracle.Check(t) // fails this test on leaks, ignored cancellation, bad closes, ...

	results := chanown.Make[Order](ctx, "payment-results", 1) // owned by this test, never panics
	safego.Go(ctx, "process-payment", func(ctx context.Context) {
		if err := results.Send(ctx, Order{ID: "order-1", Amount: 42}); err != nil {
			t.Log(err) // closed or cancelled; a close error names who closed it, and where
		}
	})
	order, _, _ := results.Recv(ctx)

	var cache safemap.Map[string, Order] // a typed sync.Map that remembers who stored what
	cache.Store(order.ID, order)

	// In production, instead of the oracle: spans, events and metrics.
	uninstall := otelbridge.Install()
	defer uninstall()
	// README:end
}

func TestREADMEQuickStart(t *testing.T) {
	quickStart(t)

	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	_, code, _ := strings.Cut(string(src), "// README:begin\n")
	code, _, _ = strings.Cut(code, "\t// README:end")
	code = strings.ReplaceAll(code, "\n\t", "\n")[1:]
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "```go\n"+code+"```",
		"the README's Go quick start is the code of quickStart, unindented once")
}
