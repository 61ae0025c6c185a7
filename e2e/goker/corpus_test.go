package goker_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/safego"
)

// A result is one kernel variant's verdict under one checker, read from the
// child process that ran it.
type result struct {
	Kernel    string `json:"kernel"`
	What      string `json:"what"`
	Variant   string `json:"variant"`
	Checker   string `json:"checker"`
	Leaks     bool   `json:"leaks"`    // raw or owned: the variant leaks (when it is not flaky)
	Reliable  bool   `json:"reliable"` // the kernel leaks on every run
	Detected  bool   `json:"detected"` // the checker failed the test
	Named     bool   `json:"named"`    // its report names a spawn site of the variant's leaking goroutines
	VerdictNS int64  `json:"verdict_ns"`
	Err       string `json:"error,omitempty"` // the child did not give a verdict of the checker
	report    string
}

// TestCorpus runs every kernel variant under each checker, each in a child
// process of this test binary (a leak fails the child's test, by design, and
// leaves goroutines behind that must not reach the next verdict), and checks
// that the leaking variants of reliable kernels are detected and that no
// fixed variant is. Environment:
//
//	GOKER_SHORT=1      only the fast subset (also with go test -short)
//	GOKER_KERNELS=a,b  only these kernels
//	GOKER_CHECKERS=c   only this checker (oracle or goleak)
//	GOKER_PARALLEL=n   children at once (default 1: verdict times are wall times)
//	GOKER_TABLE=file   write the table there (default: the test log)
//	GOKER_JSON=file    write the results there, one JSON object per line
func TestCorpus(t *testing.T) {
	if os.Getenv("GOKER_CHECKER") != "" {
		t.Skip("a child process runs TestKernel only")
	}
	sites, err := spawnSites(".")
	require.NoError(t, err)
	ks := corpus()
	if only := os.Getenv("GOKER_KERNELS"); only != "" {
		want := strings.Split(only, ",")
		ks = slices.DeleteFunc(ks, func(k kernel) bool { return !slices.Contains(want, k.name) })
		require.NotEmpty(t, ks, "GOKER_KERNELS=%s names no kernel", only)
	} else if testing.Short() || os.Getenv("GOKER_SHORT") != "" {
		ks = slices.DeleteFunc(ks, func(k kernel) bool { return !k.short })
	}
	cs := checkers
	if only := os.Getenv("GOKER_CHECKERS"); only != "" {
		cs = strings.Split(only, ",")
	}
	parallel := 1
	if s := os.Getenv("GOKER_PARALLEL"); s != "" {
		parallel, err = strconv.Atoi(s)
		require.NoError(t, err, "GOKER_PARALLEL")
		require.Positive(t, parallel, "GOKER_PARALLEL")
	}

	var (
		mu      sync.Mutex
		results []result
	)
	g, _ := safego.WithContext(t.Context(), "goker-children")
	g.SetLimit(parallel)
	for _, k := range ks {
		for _, v := range variants {
			for _, c := range cs {
				g.Go(k.name+"/"+v+"/"+c, func(ctx context.Context) error {
					r := runChild(ctx, k, v, c, sites[k.file()][v])
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
					return nil
				})
			}
		}
	}
	require.NoError(t, g.Wait())
	order := map[string]int{}
	for i, k := range ks {
		order[k.name] = i
	}
	slices.SortFunc(results, func(a, b result) int {
		if d := order[a.Kernel] - order[b.Kernel]; d != 0 {
			return d
		}
		if d := slices.Index(variants, a.Variant) - slices.Index(variants, b.Variant); d != 0 {
			return d
		}
		return slices.Index(checkers, a.Checker) - slices.Index(checkers, b.Checker)
	})

	table := formatTable(results)
	if path := os.Getenv("GOKER_TABLE"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(table), 0o644))
	} else {
		t.Log("\n" + table)
	}
	if path := os.Getenv("GOKER_JSON"); path != "" {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, r := range results {
			require.NoError(t, enc.Encode(r))
		}
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	}

	for _, r := range results {
		name := r.Kernel + "/" + r.Variant + " under " + r.Checker
		if !assert.Empty(t, r.Err, "%s: no verdict\n%s", name, r.report) {
			continue
		}
		switch {
		case !r.Leaks:
			assert.False(t, r.Detected, "%s: a false positive on a fixed kernel\n%s", name, r.report)
		case r.Reliable:
			assert.True(t, r.Detected, "%s: a leak on every run, not detected\n%s", name, r.report)
		}
	}
}

func (k kernel) file() string {
	if strings.HasPrefix(k.name, "leak") {
		return "synthetic_test.go"
	}
	return k.name + "_test.go"
}

var panicLine = regexp.MustCompile(`(?m)^panic: .*$`)

var verdictLine = regexp.MustCompile(`(?m)^` + verdictMark + ` (\d+)$`)

// runChild runs one variant under one checker in a child process and reads
// its verdict.
func runChild(ctx context.Context, k kernel, variant, checker string, sites []string) result {
	r := result{
		Kernel: k.name, What: k.what, Variant: variant, Checker: checker,
		Leaks: variant != "fixed", Reliable: k.flaky == "",
	}
	name := "TestKernel/" + k.name + "/" + variant
	cmd := exec.CommandContext(ctx, os.Args[0],
		"-test.run=^TestKernel$/^"+k.name+"$/^"+variant+"$",
		"-test.count=1", "-test.v", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), "GOKER_CHECKER="+checker)
	out, _ := cmd.CombinedOutput() // a detected leak exits 1: read the output instead
	r.report = string(out)
	m := verdictLine.FindStringSubmatch(r.report)
	failed := strings.Contains(r.report, "--- FAIL: "+name+" ")
	passed := strings.Contains(r.report, "--- PASS: "+name+" ")
	if p := panicLine.FindString(r.report); p != "" {
		r.Err = "the child panicked: " + p
		return r
	}
	switch {
	case m == nil || failed == passed:
		r.Err = "no verdict: the child crashed, timed out or ran no such test"
		return r
	case failed:
		mark := map[string]string{"oracle": "oracle: ", "goleak": "found unexpected goroutines"}[checker]
		if !strings.Contains(r.report, mark) {
			r.Err = "the test failed without a report of " + checker
			return r
		}
		r.Detected = true
	}
	r.VerdictNS, _ = strconv.ParseInt(m[1], 10, 64)
	for _, s := range sites {
		if regexp.MustCompile(`(^|[\s/])` + regexp.QuoteMeta(s) + `\b`).MatchString(r.report) {
			r.Named = true
			break
		}
	}
	return r
}

var spawnMark = regexp.MustCompile(`//.*\bspawn:(raw|owned)\b`)

// spawnSites reads the "spawn:raw" and "spawn:owned" marks of the kernels'
// files in dir: the lines of the go statements and safego calls that start
// the goroutines each variant leaks. It returns file -> variant -> sites
// ("file:line").
func spawnSites(dir string) (map[string]map[string][]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	sites := map[string]map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		base := filepath.Base(f)
		sc := bufio.NewScanner(bytes.NewReader(b))
		for line := 1; sc.Scan(); line++ {
			if m := spawnMark.FindStringSubmatch(sc.Text()); m != nil {
				if sites[base] == nil {
					sites[base] = map[string][]string{}
				}
				sites[base][m[1]] = append(sites[base][m[1]], fmt.Sprintf("%s:%d", base, line))
			}
		}
	}
	return sites, nil
}

// TestSpawnMarks checks that every leaking variant marks the lines that
// start its leaking goroutines, so that attribution can be measured.
func TestSpawnMarks(t *testing.T) {
	sites, err := spawnSites(".")
	require.NoError(t, err)
	for _, k := range corpus() {
		for _, v := range []string{"raw", "owned"} {
			assert.NotEmpty(t, sites[k.file()][v], "%s has no line marked spawn:%s", k.file(), v)
		}
	}
}

func formatTable(results []result) string {
	var b strings.Builder
	profile := "off"
	if pprof.Lookup("goroutineleak") != nil {
		profile = "on"
	}
	fmt.Fprintf(&b, "GoKer corpus: %s %s/%s, GOMAXPROCS=%d, goroutineleak profile %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), profile)

	type key struct{ kernel, variant string }
	byKey := map[key]map[string]result{}
	var keys []key
	for _, r := range results {
		k := key{r.Kernel, r.Variant}
		if byKey[k] == nil {
			byKey[k] = map[string]result{}
			keys = append(keys, k)
		}
		byKey[k][r.Checker] = r
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "kernel\twhat\tvariant\toracle\tsite\ttime\tgoleak\tsite\ttime\t")
	for _, k := range keys {
		row := byKey[k]
		var first result
		for _, r := range row {
			first = r
		}
		what := first.What
		if !first.Reliable && first.Leaks {
			what += " (flaky)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t", k.kernel, what, k.variant)
		for _, c := range checkers {
			r, ok := row[c]
			switch {
			case !ok:
				fmt.Fprint(tw, "-\t-\t-\t")
			case r.Err != "":
				fmt.Fprint(tw, "ERROR\t-\t-\t")
			default:
				found, site := "no", "-"
				if r.Detected {
					found = "LEAK"
					if !r.Leaks {
						found = "FALSE+"
					}
					site = "no"
					if r.Named {
						site = "yes"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t", found, site, seconds(r.VerdictNS))
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintln(&b)
	for _, c := range checkers {
		var leakTimes, cleanTimes []int64
		var leaks, reliable, detected, detectedReliable, named, errs int
		for _, r := range results {
			if r.Checker != c {
				continue
			}
			if r.Err != "" {
				errs++
				continue
			}
			if !r.Leaks {
				if !r.Detected {
					cleanTimes = append(cleanTimes, r.VerdictNS)
				}
				continue
			}
			leaks++
			if r.Reliable {
				reliable++
			}
			if r.Detected {
				detected++
				if r.Reliable {
					detectedReliable++
				}
				leakTimes = append(leakTimes, r.VerdictNS)
				if r.Named {
					named++
				}
			}
		}
		fmt.Fprintf(&b, "%s: detected %d/%d leaking runs (%d/%d of reliable kernels), named the spawn site in %d/%d;"+
			" leak verdict median %s max %s; clean verdict median %s max %s",
			c, detected, leaks, detectedReliable, reliable, named, detected,
			seconds(median(leakTimes)), seconds(maxOf(leakTimes)),
			seconds(median(cleanTimes)), seconds(maxOf(cleanTimes)))
		if errs > 0 {
			fmt.Fprintf(&b, "; %d runs without a verdict", errs)
		}
		fmt.Fprintln(&b)
	}
	for _, c := range checkers {
		n, first := 0, ""
		for _, r := range results {
			if r.Checker == c && r.Err != "" {
				if n == 0 {
					first = r.Kernel + "/" + r.Variant + ": " + r.Err
				}
				n++
			}
		}
		if n > 0 {
			fmt.Fprintf(&b, "%s: %d runs without a verdict; the first, %s\n", c, n, first)
		}
	}
	for _, c := range checkers {
		var fixed, fp int
		for _, r := range results {
			if r.Checker == c && !r.Leaks && r.Err == "" {
				fixed++
				if r.Detected {
					fp++
				}
			}
		}
		fmt.Fprintf(&b, "false positives on fixed kernels, %s: %d/%d\n", c, fp, fixed)
	}
	return b.String()
}

func seconds(ns int64) string {
	if ns < 0 {
		return "-"
	}
	return fmt.Sprintf("%.3fs", time.Duration(ns).Seconds())
}

func median(xs []int64) int64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(xs []int64) int64 {
	if len(xs) == 0 {
		return -1
	}
	return slices.Max(xs)
}
