package custody_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/custody-go/custody"
)

// A service without OpenTelemetry logs what custody sees through log/slog.
func ExampleNewLogSink() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "site" || a.Key == "goroutine_id" {
				return slog.Attr{} // keep the output stable for this example
			}
			return a
		},
	}))
	restore := custody.SetSink(custody.NewLogSink(logger))
	defer restore()

	owner := custody.NewGoroutine(nil, "checkout", custody.Caller(0))
	// A wrapper reports a double close like this one.
	custody.Emit(context.Background(), &custody.Event{
		Kind:           custody.ChanDoubleClose,
		Goroutine:      owner,
		Object:         "payment-results",
		Owner:          owner,
		OtherGoroutine: owner,
	})
	// Output:
	// level=ERROR msg=chan.double_close goroutine=checkout object=payment-results owner=checkout other_goroutine=checkout
}
