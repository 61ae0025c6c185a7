// Command payment reproduces, in a small payment service — an HTTP API over
// orders, with a safemap cache in front of Redis, owned goroutines and owned
// channels — the five incidents of the post-mortem that started custody,
// and shows, for each, the symptom of the buggy code and of the fixed code,
// and what custody reported:
//
//  1. zero-cache: a sync.Map held zero values that a fallback path loaded
//     with ok == true and wrote to Redis; the hit rate fell from 99.2% to 17%.
//  2. afterfunc: a time.AfterFunc registered per request kept 120,000
//     goroutines alive until the pod was OOM-killed.
//  3. cancel: a defer cancel() cancelled a context an async goroutine still
//     needed.
//  4. mutation: a pointer loaded from LoadOrStore was mutated in place by
//     several goroutines.
//  5. closed-send: seventeen "send on closed channel" crashes, none saying
//     who had closed the channel.
//
// With no flags it runs a short load against each incident, buggy then
// fixed, each run as a test of its own under the oracle, and prints one
// table. -incident and -variant pick one run and print the oracle's whole
// verdict. Redis is an embedded miniredis unless REDIS_ADDR names a real
// one; with OTEL_EXPORTER_OTLP_ENDPOINT set, traces and metrics are
// exported over OTLP.
//
//	go run ./examples/payment
//	go run ./examples/payment -incident=zero-cache -variant=buggy
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/alicebob/miniredis/v2"

	"github.com/custody-go/custody/safego"
)

// An incident is one of the five of the package documentation, with the
// load that shows its symptom.
type incident struct {
	name     string // its -incident flag
	title    string
	symptom  string // what load measures
	orders   int    // in the database
	load     func(ctx context.Context, s *service, orders int) (measure, error)
	variants []string // run in this order; default buggy, fixed
	crashes  bool     // the symptom is the oracle's count of caught panics
}

// A measure is what a load measured: a value for tests, a text for people.
type measure struct {
	Value float64
	Text  string
	Leaks *leakView // afterfunc: what otelbridge's leak detection exported
}

var incidents = []*incident{
	{name: "zero-cache", title: "zero values cached, loaded with ok == true, written to Redis",
		symptom: "Redis hit rate", orders: 20, load: loadZeroCache},
	{name: "afterfunc", title: "a time.AfterFunc per request, never stopped",
		symptom: "goroutines alive", orders: 40, load: loadAfterFunc},
	{name: "cancel", title: "defer cancel() cancels a context an async job still needs",
		symptom: "cancelled jobs", orders: 20, load: loadCancel},
	{name: "mutation", title: "a pointer from LoadOrStore mutated in place by several goroutines",
		symptom: "corrupted orders", orders: 8, load: loadMutation},
	{name: "closed-send", title: "a send on a channel the receiver already closed",
		symptom: "crashes caught", orders: 20, load: loadClosedSend,
		variants: []string{"buggy", "chanown", "fixed"}, crashes: true},
}

func (inc *incident) allVariants() []string {
	if inc.variants != nil {
		return inc.variants
	}
	return []string{"buggy", "fixed"}
}

// nobodys reports whether the variant leaves goroutines that nobody owns,
// which only oracle.VerifyTestMain's package verdict can see.
func (inc *incident) nobodys(variant string) bool {
	return inc.name == "afterfunc" && variant == "buggy"
}

func main() {
	name := flag.String("incident", "", "run only this incident: zero-cache, afterfunc, cancel, mutation or closed-send")
	variant := flag.String("variant", "", "run only this variant (buggy, fixed; chanown for closed-send) and print the oracle's verdict")
	packageVerdict := flag.Bool("package-verdict", false, "run one variant under oracle.VerifyTestMain (the demo runs itself so)")
	flag.Parse()

	selected := incidents
	if *name != "" {
		i := slices.IndexFunc(incidents, func(inc *incident) bool { return inc.name == *name })
		if i < 0 {
			fail(2, "payment: no incident %q (want zero-cache, afterfunc, cancel, mutation or closed-send)", *name)
		}
		selected = incidents[i : i+1]
	}
	if *variant != "" {
		for _, inc := range selected {
			if !slices.Contains(inc.allVariants(), *variant) {
				fail(2, "payment: incident %s has no variant %q (want %s)", inc.name, *variant, strings.Join(inc.allVariants(), ", "))
			}
		}
	}
	if *packageVerdict {
		if len(selected) != 1 || *variant == "" {
			fail(2, "payment: -package-verdict needs -incident and -variant")
		}
		packageMain(selected[0], *variant)
		return
	}

	uninstall, err := installTelemetry(context.Background())
	if err != nil {
		fail(1, "%v", err)
	}
	var results []result
	err = withRedis(os.Stderr, func(addr string) error {
		for _, inc := range selected {
			for _, v := range inc.allVariants() {
				if *variant != "" && v != *variant {
					continue
				}
				fmt.Fprintf(os.Stderr, "  %-20s ", inc.name+"/"+v)
				r, err := runAsTest(inc, v, addr)
				if err != nil {
					fmt.Fprintln(os.Stderr)
					return err
				}
				fmt.Fprintf(os.Stderr, "%-18s %2d findings  %.2fs\n", r.Measure.Text, len(r.Findings), r.Elapsed.Seconds())
				results = append(results, r)
			}
		}
		return nil
	})
	uninstall()
	if err != nil {
		fail(1, "%v", err)
	}
	if *variant != "" {
		printVerdicts(os.Stdout, results)
	} else {
		printTable(os.Stdout, selected, results)
	}
	if bad := unexpected(results); bad != "" {
		fail(1, "payment: %s", bad)
	}
}

// withRedis calls fn with the address of a Redis: REDIS_ADDR's, or that of
// a miniredis started for the purpose. It says which on w.
func withRedis(w io.Writer, fn func(addr string) error) error {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		fmt.Fprintf(w, "custody demo: Redis at %s (REDIS_ADDR)\n", addr)
		return fn(addr)
	}
	m, err := miniredis.Run()
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintf(w, "custody demo: embedded Redis (miniredis) at %s; set REDIS_ADDR to use a real one\n", m.Addr())
	return fn(m.Addr())
}

// parallel calls fn(ctx, i) for each i in [0, n) from n owned goroutines
// named name, and returns the first error.
func parallel(ctx context.Context, n int, name string, fn func(ctx context.Context, i int) error) error {
	g, ctx := safego.WithContext(ctx, name+"s")
	for i := range n {
		g.Go(name, func(ctx context.Context) error { return fn(ctx, i) })
	}
	return g.Wait()
}

// printTable prints, per incident, the symptom buggy vs fixed, the number
// of findings, and custody's first finding on the buggy code.
func printTable(w io.Writer, selected []*incident, results []result) {
	get := func(inc *incident, v string) (result, bool) {
		i := slices.IndexFunc(results, func(r result) bool { return r.Incident == inc.name && r.Variant == v })
		if i < 0 {
			return result{}, false
		}
		return results[i], true
	}
	fmt.Fprintln(w, "custody demo: each incident of the post-mortem run buggy, then fixed, as a test under custody's oracle;")
	fmt.Fprintln(w, "custodyvet, the static checks, read the same code before it runs")
	fmt.Fprintln(w)
	static, staticErr := staticCheck()
	fmt.Fprintf(w, "   %-12s  %-17s %-10s %-10s %s\n", "incident", "symptom", "buggy", "fixed", "findings (buggy → fixed)")
	for n, inc := range selected {
		buggy, _ := get(inc, "buggy")
		fixed, _ := get(inc, "fixed")
		fmt.Fprintf(w, "%d  %-12s  %-17s %-10s %-10s %d → %d\n", n+1, inc.name, inc.symptom,
			buggy.Measure.Text, fixed.Measure.Text, len(buggy.Findings), len(fixed.Findings))
		fmt.Fprintf(w, "   %s\n", inc.title)
		writeFinding(w, "custody: ", buggy)
		writeStatic(w, inc, static, staticErr)
		if buggy.Measure.Leaks != nil || fixed.Measure.Leaks != nil {
			writeLeaks(w, buggy, fixed)
		}
		if inc.crashes {
			fmt.Fprintln(w, "            (caught in owned goroutines under the oracle; with custody off each one kills the process)")
		}
		if r, ok := get(inc, "chanown"); ok {
			fmt.Fprintf(w, "   with chanown, the same bug: %s crashes, %s; each error names who closed the channel:\n", r.Measure.Text, r.Note)
			writeFinding(w, "custody: ", r)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Every run above had custody in verify mode (the oracle). Off, with no sink, each wrapped")
	fmt.Fprintln(w, "operation costs one atomic load: see BENCHMARKS.md.")
	fmt.Fprintln(w, "go run ./examples/payment -incident=NAME -variant=buggy prints the oracle's whole verdict.")
}

// writeStatic writes custodyvet's first diagnostic in the incident's file,
// where the buggy and the fixed code stand side by side: the buggy code is
// flagged, the fixed code is not (TestStaticCheck proves both).
func writeStatic(w io.Writer, inc *incident, static []staticFinding, err error) {
	if err != nil {
		fmt.Fprintf(w, "   custodyvet: not run (%v)\n", err)
		return
	}
	file := strings.ReplaceAll(inc.name, "-", "") + ".go"
	for _, f := range static {
		if f.File == file {
			fmt.Fprintf(w, "   custodyvet: %s:%d:%d: %s (the fixed code: nothing)\n", f.File, f.Line, f.Column, f.Rule)
			return
		}
	}
	fmt.Fprintf(w, "   custodyvet: nothing in %s\n", file)
}

// writeFinding writes r's first finding: its headline and details, without
// the stack and without naming the run, which is the owner of everything.
func writeFinding(w io.Writer, label string, r result) {
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "   %sno finding\n", label)
		return
	}
	f := r.Findings[0]
	fmt.Fprintf(w, "   %s%s\n", label, f.Headline)
	details := f.Details
	if strings.Contains(f.Headline, "panic") && len(f.Stack) > 0 {
		details = append(details, "panicked at "+f.Stack[0])
	}
	run := r.Incident + "/" + r.Variant
	indent := strings.Repeat(" ", 3+len(label))
	for _, d := range details {
		if !strings.HasSuffix(d, "owned by "+run) {
			d = strings.TrimSuffix(strings.TrimSuffix(d, fmt.Sprintf(" by %q", run)), " by "+run)
		}
		fmt.Fprintf(w, "%s%s\n", indent, d)
	}
}

// printVerdicts prints each run's measure and the oracle's whole verdict.
func printVerdicts(w io.Writer, results []result) {
	for _, r := range results {
		inc := incidents[slices.IndexFunc(incidents, func(inc *incident) bool { return inc.name == r.Incident })]
		fmt.Fprintf(w, "%s/%s: %s\n%s: %s\n\n", r.Incident, r.Variant, inc.title, inc.symptom, r.Measure.Text)
		switch {
		case r.Report != "":
			fmt.Fprintln(w, shorten(r.Report, 3))
		case r.Package == "":
			fmt.Fprintln(w, "oracle: no finding")
		default:
			fmt.Fprintln(w, "oracle: no finding in the test's verdict: nobody owns these goroutines")
		}
		if r.Package != "" {
			fmt.Fprintf(w, "oracle.VerifyTestMain, after the package's tests:\n%s\n", r.Package)
		}
		if r.Measure.Leaks != nil {
			fmt.Fprintf(w, "otelbridge.WithLeakDetection, in production:\n%s\n\n", r.Measure.Leaks)
		}
	}
}

// shorten keeps the summary line of an oracle report and its first n
// findings.
func shorten(report string, n int) string {
	blocks := strings.SplitAfter(report, "\n\n")
	if len(blocks) <= n+1 {
		return report
	}
	return strings.Join(blocks[:n+1], "") + fmt.Sprintf("... and %d more findings like these\n", len(blocks)-n-1)
}

// unexpected says what went otherwise than the demo shows: a buggy variant
// custody found nothing in, or a fixed one it found something in.
func unexpected(results []result) string {
	for _, r := range results {
		if (r.Variant == "fixed") != (len(r.Findings) == 0) {
			return fmt.Sprintf("%s/%s: unexpected: %d findings", r.Incident, r.Variant, len(r.Findings))
		}
	}
	return ""
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(code)
}
