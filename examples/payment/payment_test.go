package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/custody-go/custody/oracle"
)

func TestMain(m *testing.M) { oracle.VerifyTestMain(m) }

// hasLeakProfile reports whether the runtime has the goroutineleak profile.
func hasLeakProfile() bool { return pprof.Lookup("goroutineleak") != nil }

// redisFor returns the address of REDIS_ADDR's Redis, or of a miniredis
// started for t.
func redisFor(t *testing.T) string {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return addr
	}
	return miniredis.RunT(t).Addr()
}

func incidentNamed(t *testing.T, name string) *incident {
	i := slices.IndexFunc(incidents, func(inc *incident) bool { return inc.name == name })
	require.GreaterOrEqual(t, i, 0, "no incident %q", name)
	return incidents[i]
}

// at returns "payment/FILE:LINE" for the one line of file that holds marker,
// as the oracle's reports name sites.
func at(t *testing.T, file, marker string) string {
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var lines []int
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, marker) {
			lines = append(lines, i+1)
		}
	}
	require.Len(t, lines, 1, "lines of %s holding %q", file, marker)
	return fmt.Sprintf("payment/%s:%d", file, lines[0])
}

// runBuggy runs a buggy variant under the oracle with a verdict that keeps
// the report, and returns the measure and the findings.
func runBuggy(t *testing.T, name, variant string) (measure, []finding) {
	v := newVerdict(t.Context(), t.Name())
	m, err := run(v, incidentNamed(t, name), variant, redisFor(t))
	report := v.end()
	require.NoError(t, err)
	require.NotEmpty(t, report, "the oracle found nothing")
	t.Logf("%s", shorten(report, 1))
	return m, parseReport(report)
}

// runFixed runs a fixed variant as t under the oracle, which fails t on any
// finding.
func runFixed(t *testing.T, name string) measure {
	m, err := run(t, incidentNamed(t, name), "fixed", redisFor(t))
	require.NoError(t, err)
	return m
}

// requireEvery checks that every finding has the headline's start and the
// details wanted, which name sites of the incident's file.
func requireEvery(t *testing.T, fs []finding, headline string, details ...string) {
	t.Helper()
	for _, f := range fs {
		require.True(t, strings.HasPrefix(f.Headline, headline), "finding %q, want %q", f.Headline, headline)
		for _, d := range details {
			require.True(t, slices.ContainsFunc(f.Details, func(l string) bool { return strings.Contains(l, d) }),
				"finding %q: details %q, want one holding %q", f.Headline, f.Details, d)
		}
	}
}

func TestZeroCache(t *testing.T) {
	t.Run("buggy", func(t *testing.T) {
		m, fs := runBuggy(t, "zero-cache", "buggy")
		requireEvery(t, fs, "zero value loaded with ok == true, key ",
			"loaded at "+at(t, "zerocache.go", "the fallback: ok == true")+" ",
			"the zero value was stored at "+at(t, "zerocache.go", "BUG: a zero value stored"))
		assert.Less(t, m.Value, 0.5, "Redis hit rate")
	})
	t.Run("fixed", func(t *testing.T) {
		assert.Greater(t, runFixed(t, "zero-cache").Value, 0.8, "Redis hit rate")
	})
}

// childEnv marks the child process of TestAfterFunc/buggy.
const childEnv = "PAYMENT_TEST_AFTERFUNC_CHILD"

// TestAfterFuncChild runs only in the child process of TestAfterFunc/buggy.
// It passes — nobody owns the goroutines of a raw time.AfterFunc, so no test
// can be blamed for them — and leaves them to VerifyTestMain's package
// verdict, which fails the child.
func TestAfterFuncChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs in TestAfterFunc/buggy's child process")
	}
	m, err := run(t, incidentNamed(t, "afterfunc"), "buggy", redisFor(t))
	require.NoError(t, err)
	assert.Positive(t, m.Value, "goroutines alive")
	// In production, leak detection counts them by the function they are
	// blocked in.
	require.NotNil(t, m.Leaks)
	if m.Leaks.Available {
		fn := "github.com/custody-go/custody/examples/payment.(*service).authorizeBuggy.func1"
		assert.Equal(t, map[string]int64{"code.function.name=" + fn: int64(m.Value)}, m.Leaks.Leaked)
		t.Logf("%s", m.Leaks)
	}
}

func TestAfterFunc(t *testing.T) {
	t.Run("buggy", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAfterFuncChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "child: %v\n%s", err, out)
		assert.Equal(t, 1, exit.ExitCode())
		report := string(out)
		assert.Contains(t, report, "--- PASS: TestAfterFuncChild")
		assert.Contains(t, report, "oracle: the package: 1 finding")
		f, ok := nobodysFinding(report)
		require.True(t, ok)
		assert.Contains(t, f.Headline, "started by time.AfterFunc, which no checked test owns")
		assert.Contains(t, f.Details, "blocked at "+at(t, "afterfunc.go", "nobody receives: blocked forever"))
		assert.Contains(t, report, "created by time.goFunc")
		if hasLeakProfile() {
			assert.Contains(t, report, `custody.goroutine.leaked{code.function.name="github.com/custody-go/custody/examples/payment.(*service).authorizeBuggy.func1"}`)
		}
		assert.Contains(t, report, "safego.AfterFunc stops the timer")
		assert.Less(t, strings.Count(report[strings.Index(report, "oracle: the package"):], "\n"), 15, "a handful of lines:\n%s", report)
	})
	t.Run("fixed", func(t *testing.T) {
		m := runFixed(t, "afterfunc")
		assert.Zero(t, m.Value, "goroutines alive")
		require.NotNil(t, m.Leaks)
		assert.Equal(t, hasLeakProfile(), m.Leaks.Available)
		if m.Leaks.Available {
			assert.Equal(t, map[string]int64{"": 0}, m.Leaks.Leaked, "custody.goroutine.leaked")
		}
	})
}

func TestCancel(t *testing.T) {
	t.Run("buggy", func(t *testing.T) {
		m, fs := runBuggy(t, "cancel", "buggy")
		requireEvery(t, fs, `goroutine "ledger" ignored its context`,
			"spawned at "+at(t, "cancel.go", `safego.Go(ctx, "ledger"`)+" ",
			"after its context was done (context canceled)")
		assert.Equal(t, float64(incidentNamed(t, "cancel").orders), m.Value, "cancelled jobs")
	})
	t.Run("fixed", func(t *testing.T) {
		assert.Zero(t, runFixed(t, "cancel").Value, "cancelled jobs")
	})
}

func TestMutation(t *testing.T) {
	t.Run("buggy", func(t *testing.T) {
		m, fs := runBuggy(t, "mutation", "buggy")
		requireEvery(t, fs, "value under key ",
			"stored at "+at(t, "mutation.go", "BUG: one *Order shared"))
		assert.Len(t, fs, incidentNamed(t, "mutation").orders, "one finding per cart")
		assert.Positive(t, m.Value, "corrupted orders")
	})
	t.Run("fixed", func(t *testing.T) {
		assert.Zero(t, runFixed(t, "mutation").Value, "corrupted orders")
	})
}

func TestClosedSend(t *testing.T) {
	sends := 2 * incidentNamed(t, "closed-send").orders // by the two slower gateways
	t.Run("buggy", func(t *testing.T) {
		_, fs := runBuggy(t, "closed-send", "buggy")
		requireEvery(t, fs, "send on closed channel (runtime panic) in goroutine ")
		send := at(t, "closedsend.go", "panics once quotes is closed")
		for _, f := range fs {
			require.NotEmpty(t, f.Stack)
			require.Equal(t, send, f.Stack[0], "where the panic was")
		}
		assert.Len(t, fs, sends, "crashes caught")
	})
	t.Run("chanown", func(t *testing.T) {
		m, fs := runBuggy(t, "closed-send", "chanown")
		requireEvery(t, fs, `send on closed channel "quotes"`,
			" at "+at(t, "closedsend.go", "err := quotes.Send(ctx"),
			"closed at "+at(t, "closedsend.go", "still the receiver closing")+" by ")
		assert.Len(t, fs, sends)
		assert.Equal(t, float64(sends), m.Value, "sends refused")
	})
	t.Run("fixed", func(t *testing.T) {
		runFixed(t, "closed-send")
	})
}

// TestTelemetry runs a variant with OTEL_EXPORTER_OTLP_ENDPOINT naming a
// fake collector, and checks that the run's span, the spans otelbridge made
// of its owned goroutines and otelbridge's metrics arrive there.
func TestTelemetry(t *testing.T) {
	var mu sync.Mutex
	var spans, metrics []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/v1/traces":
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
				return
			}
			for _, rs := range req.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					for _, s := range ss.Spans {
						spans = append(spans, s.Name)
					}
				}
			}
		case "/v1/metrics":
			var req colmetricpb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				http.Error(w, "not an OTLP metric export", http.StatusBadRequest)
				return
			}
			for _, rm := range req.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						metrics = append(metrics, m.Name)
					}
				}
			}
		default:
			http.Error(w, "not an OTLP path", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf") // an empty response
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)

	uninstall, err := installTelemetry(t.Context())
	require.NoError(t, err)
	r, err := runHere(incidentNamed(t, "closed-send"), "fixed", redisFor(t))
	uninstall() // exports what is left
	require.NoError(t, err)
	assert.Empty(t, r.Findings)
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, spans, "payment closed-send/fixed")
	assert.Contains(t, spans, "quote-fast")
	assert.Contains(t, spans, "quote-slower")
	assert.Contains(t, metrics, "custody.goroutine.count")
}

func TestParseReport(t *testing.T) {
	report := `oracle: T: 2 findings

goroutine "ledger" ignored its context
    spawned at payment/cancel.go:28 by T
    still running 50ms after its context was done (context canceled)

send on closed channel (runtime panic) in goroutine "quote-slow"
    spawned at payment/closedsend.go:31 by T
    stack:
        main.(*service).quoteBuggy.func1
            payment/closedsend.go:32
        github.com/custody-go/custody/safego.(*owned).run
            safego/go.go:194
`
	want := []finding{
		{Headline: `goroutine "ledger" ignored its context`, Details: []string{
			"spawned at payment/cancel.go:28 by T",
			"still running 50ms after its context was done (context canceled)"}},
		{Headline: `send on closed channel (runtime panic) in goroutine "quote-slow"`,
			Details: []string{"spawned at payment/closedsend.go:31 by T"},
			Stack:   []string{"payment/closedsend.go:32", "safego/go.go:194"}},
	}
	assert.Equal(t, want, parseReport(report))
	assert.Empty(t, parseReport(""))
	assert.Equal(t, "oracle: T: 2 findings\n\ngoroutine \"ledger\" ignored its context\n"+
		"    spawned at payment/cancel.go:28 by T\n"+
		"    still running 50ms after its context was done (context canceled)\n\n"+
		"... and 1 more findings like these\n", shorten(report, 1))
}
