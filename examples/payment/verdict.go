package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/custody-go/custody/oracle"
)

// A verdict is an oracle.TB that keeps the oracle's verdict instead of
// failing a test: the demo runs each variant of an incident as a test of its
// own and shows what the oracle would have failed it with.
type verdict struct {
	name   string
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	cleanups []func()
	report   strings.Builder
}

var _ oracle.TB = (*verdict)(nil)

// newVerdict returns the verdict of a test named name whose context is
// derived from ctx.
func newVerdict(ctx context.Context, name string) *verdict {
	ctx, cancel := context.WithCancel(ctx)
	return &verdict{name: name, ctx: ctx, cancel: cancel}
}

func (v *verdict) Name() string             { return v.name }
func (v *verdict) Helper()                  {}
func (v *verdict) Context() context.Context { return v.ctx }
func (v *verdict) Logf(string, ...any)      {}

func (v *verdict) Cleanup(f func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cleanups = append(v.cleanups, f)
}

func (v *verdict) Errorf(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(&v.report, format, args...)
}

// end ends the test as the testing package does — its context is
// cancelled, then its cleanups run, last first, the oracle's verdict among
// them — and returns what the oracle reported; "" if nothing.
func (v *verdict) end() string {
	v.cancel()
	v.mu.Lock()
	cleanups := v.cleanups
	v.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.report.String()
}

// checkOptions are the oracle's options for every run: an owned goroutine
// has 50ms to notice that its context is done, and a test's goroutines get a
// second to exit after it.
var checkOptions = []oracle.Option{oracle.Settle(time.Second), oracle.CancelGrace(50 * time.Millisecond)}

// run runs one variant of an incident as the test t: under the oracle, on a
// fresh service. It returns what the load measured; the oracle's verdict
// comes when t ends.
func run(t oracle.TB, inc *incident, variant, redisAddr string) (measure, error) {
	ctx := oracle.Check(t, checkOptions...)
	s, err := start(ctx, inc.name, variant, redisAddr, inc.orders)
	if err != nil {
		return measure{}, err
	}
	defer s.close()
	return inc.load(ctx, s, inc.orders)
}

// A result is what one variant of an incident gave.
type result struct {
	Incident, Variant string
	Measure           measure
	Report            string    // the oracle's verdict, as a failing test prints it
	Findings          []finding // its blocks
	Package           string    // oracle.VerifyTestMain's verdict, for goroutines nobody owns
	Note              string    // what the load measured, when Measure is the oracle's count
	Elapsed           time.Duration
}

// runAsTest runs one variant of an incident as a test of its own, here or,
// when its goroutines belong to nobody, in a child process (see child.go).
func runAsTest(inc *incident, variant, redisAddr string) (result, error) {
	if inc.nobodys(variant) {
		return runChild(inc, variant)
	}
	return runHere(inc, variant, redisAddr)
}

// runHere runs one variant of an incident as a test of its own, in this
// process.
func runHere(inc *incident, variant, redisAddr string) (result, error) {
	begin := time.Now()
	name := inc.name + "/" + variant
	ctx, span := tracer.Start(context.Background(), "payment "+name)
	defer span.End()
	v := newVerdict(ctx, name)
	m, err := run(v, inc, variant, redisAddr)
	report := v.end()
	r := result{Incident: inc.name, Variant: variant, Measure: m, Report: report, Findings: parseReport(report)}
	span.SetAttributes(attribute.Int("custody.demo.findings", len(r.Findings)))
	if inc.crashes {
		n := 0
		for _, f := range r.Findings {
			if strings.Contains(f.Headline, "(runtime panic)") {
				n++
			}
		}
		r.Measure, r.Note = measure{Value: float64(n), Text: itoa(n)}, m.Text
	}
	r.Elapsed = time.Since(begin)
	return r, err
}

// A finding is one block of an oracle report.
type finding struct {
	Headline string   // what happened
	Details  []string // the lines after it, up to the stack, trimmed
	Stack    []string // the stack's frames' sites
}

// site matches a file:line in a report.
var site = regexp.MustCompile(`[\w./-]+\.go:\d+`)

// parseReport splits an oracle report ("oracle: NAME: N findings", then
// blocks separated by blank lines) into findings.
func parseReport(report string) []finding {
	blocks := strings.Split(strings.TrimSpace(report), "\n\n")
	var fs []finding
	for _, b := range blocks[min(1, len(blocks)):] {
		lines := strings.Split(b, "\n")
		f := finding{Headline: lines[0]}
		inStack := false
		for _, l := range lines[1:] {
			l = strings.TrimSpace(l)
			switch {
			case l == "stack:" || strings.HasPrefix(l, "goroutine "):
				inStack = true
			case inStack && site.MatchString(l):
				f.Stack = append(f.Stack, site.FindString(l))
			case !inStack:
				f.Details = append(f.Details, l)
			}
		}
		fs = append(fs, f)
	}
	return fs
}

func itoa(n int) string { return fmt.Sprint(n) }
