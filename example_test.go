package custody_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
)

// A service without OpenTelemetry logs what custody sees through log/slog.
func ExampleNewLogSink() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "site", "goroutine_id", "earlier_site", "since_earlier", "made":
				return slog.Attr{} // keep the output stable for this example
			}
			return a
		},
	}))
	uninstall := custody.Install(custody.NewLogSink(logger))
	defer uninstall()

	ctx := custody.NewContext(context.Background(), "checkout")
	results := chanown.Make[int](ctx, "payment-results", 1)
	results.Close(ctx)
	results.Close(ctx) // a bug: the second close is refused and logged
	// Output:
	// level=ERROR msg=chan.double_close goroutine=checkout object=payment-results owner=checkout earlier_goroutine=checkout
}
