package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/custody-go/custody/oracle"
)

// The goroutine of a raw time.AfterFunc belongs to nobody: no test's verdict
// can claim it. oracle.VerifyTestMain finds such goroutines once all the
// tests of a package have run — and then exits. To show that verdict, the
// demo runs such a variant in a child process, as `go test` runs a package:
// the child runs it under VerifyTestMain (packageMain below), prints its
// result as JSON on stdout and the package verdict on stderr.

// runChild runs one variant of an incident in a child process.
func runChild(inc *incident, variant string) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(exe, "-incident="+inc.name, "-variant="+variant, "-package-verdict")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	runErr := cmd.Run() // exit status 1: the package verdict found something
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return r, fmt.Errorf("payment: child %s/%s: %v: %s", inc.name, variant, errors.Join(runErr, err), stderr.Bytes())
	}
	r.Package, r.Elapsed = stderr.String(), time.Since(begin)
	if f, ok := nobodysFinding(r.Package); ok {
		r.Findings = append(r.Findings, f)
	}
	return r, nil
}

// packageMain is the child's side: the variant runs as the only test of a
// package under oracle.VerifyTestMain, which exits.
func packageMain(inc *incident, variant string) {
	oracle.VerifyTestMain(testingM(func() int {
		var r result
		err := withRedis(io.Discard, func(addr string) (err error) {
			r, err = runHere(inc, variant, addr)
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		json.NewEncoder(os.Stdout).Encode(r)
		return 0
	}))
}

// testingM is an oracle.TestingM that runs a function.
type testingM func() int

func (m testingM) Run() int { return m() }

var goroutineIDs = regexp.MustCompile(` \([0-9, .]+\)`)

// nobodysFinding returns the finding of VerifyTestMain's report about
// goroutines that no test owns: how many, where the first of the demo's is
// blocked, and what started them.
func nobodysFinding(report string) (finding, bool) {
	const head = "oracle: the package: "
	_, after, ok := strings.Cut(report, head)
	if !ok {
		return finding{}, false
	}
	for _, f := range parseReport(head + after) {
		if !strings.Contains(f.Headline, "which no checked test owns") {
			continue
		}
		out := finding{Headline: goroutineIDs.ReplaceAllString(f.Headline, "") + " (oracle.VerifyTestMain)"}
		for _, s := range append(site.FindAllString(strings.Join(f.Details, "\n"), -1), f.Stack...) {
			if i := strings.Index(s, "payment/"); i >= 0 {
				out.Details = append(out.Details, "blocked at "+s[i:])
				break
			}
		}
		return out, true
	}
	return finding{}, false
}
