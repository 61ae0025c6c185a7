package stack

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fileLine matches the line under a function: a tab, the file, ":line", then
// the optional pc offset and the GOTRACEBACK=system frame pointers. The file
// is matched greedily so that paths holding spaces or colons survive.
var fileLine = regexp.MustCompile(`^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?$`)

// elided matches "...N frames elided...".
var elided = regexp.MustCompile(`^\.\.\.\d+ frames elided\.\.\.$`)

// state is what the parser expects on the next line.
type state int

const (
	wantHeader      state = iota // between goroutines
	wantFrame                    // a function, "created by", or a marker line
	wantFile                     // the file line of a function
	wantCreatedFile              // the file line of "created by"
	inAncestors                  // an ancestor traceback, skipped
)

// Parse reads a goroutine dump as written by [runtime.Stack] (or printed by
// a crashing program) and returns its goroutines in order.
//
// The input must start, after any blank lines, with a goroutine header;
// otherwise Parse returns a [*SyntaxError], or [ErrNoGoroutine] for input
// without any line. A final line that does not end in a newline is the
// truncated tail of a buffer that was too small and is ignored, as is a
// function whose file line is missing at the end of the input. Parse
// tolerates "...N frames elided...", "...additional frames elided...",
// "goroutine running on other thread; stack unavailable", cgo
// "non-Go function at pc=" lines and skips ancestor tracebacks that start
// with "[originating from goroutine N]:".
func Parse(dump []byte) ([]Goroutine, error) {
	text := string(dump)
	lines := strings.Split(text, "\n")
	// The element after the last newline is either "" or a partial line:
	// drop it either way.
	lines = lines[:len(lines)-1]

	var (
		gs    []Goroutine
		g     *Goroutine
		full  []string
		st    = wantHeader
		fn    string // function of the pending frame
		fnLen int    // len(full) before the pending function's line
	)
	finish := func() {
		if g == nil {
			return
		}
		if st == wantFile || st == wantCreatedFile {
			// Truncated between a function and its file: drop the
			// function's line from Full too.
			full = full[:fnLen]
		}
		g.Full = strings.Join(full, "\n") + "\n"
		gs = append(gs, *g)
		g, full, st = nil, nil, wantHeader
	}
	for i, line := range lines {
		bad := func(msg string, err error) error {
			return &SyntaxError{Line: i + 1, Text: line, Msg: msg, Err: err}
		}
		if strings.HasPrefix(line, "goroutine ") && st != wantFile && st != wantCreatedFile {
			finish()
			h, err := parseHeader(line)
			if err != nil {
				return nil, bad("bad goroutine header", err)
			}
			g, full, st = &h, []string{line}, wantFrame
			continue
		}
		if line == "" {
			if st == wantFile || st == wantCreatedFile {
				return nil, bad("want a file line", nil)
			}
			finish()
			continue
		}
		if st == wantHeader {
			return nil, bad("want a goroutine header", nil)
		}
		full = append(full, line)
		switch st {
		case wantFile, wantCreatedFile:
			m := fileLine.FindStringSubmatch(line)
			if m == nil {
				return nil, bad("want a file line", nil)
			}
			n, err := strconv.Atoi(m[2])
			if err != nil {
				return nil, bad("bad line number", err)
			}
			f := Frame{Func: fn, File: m[1], Line: n}
			if st == wantFile {
				g.Frames = append(g.Frames, f)
			} else {
				g.CreatedBy = f
			}
			st = wantFrame
		case inAncestors:
			// Skipped until the blank line that ends the goroutine.
		case wantFrame:
			switch {
			case strings.HasPrefix(line, "created by "):
				name, parent, err := parseCreatedBy(line)
				if err != nil {
					return nil, bad("bad created by line", err)
				}
				fn, fnLen, g.ParentID, st = name, len(full)-1, parent, wantCreatedFile
			case strings.HasPrefix(line, "[originating from goroutine "):
				st = inAncestors
			case line == "...additional frames elided...",
				elided.MatchString(line),
				line == "\tgoroutine running on other thread; stack unavailable",
				strings.HasPrefix(line, "non-Go function at pc="):
				// Nothing to record.
			case line[0] != '\t' && strings.HasSuffix(line, ")"):
				open := strings.LastIndexByte(line, '(')
				if open <= 0 {
					return nil, bad("want a function call", nil)
				}
				fn, fnLen, st = line[:open], len(full)-1, wantFile
			default:
				return nil, bad("want a function call", nil)
			}
		}
	}
	finish()
	if len(gs) == 0 {
		return nil, ErrNoGoroutine
	}
	return gs, nil
}

// parseHeader parses
//
//	goroutine N [status (leaked) (scan) (durable), M minutes, locked to thread, synctest bubble B labels:{"k": "v"}]:
//
// and the GOTRACEBACK=system form with " gp=… m=… mp=…" after N.
func parseHeader(line string) (Goroutine, error) {
	var g Goroutine
	rest := strings.TrimPrefix(line, "goroutine ")
	idText, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return g, strconv.ErrSyntax
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return g, err
	}
	g.ID = id
	open := strings.IndexByte(rest, '[')
	if open < 0 {
		return g, errNoBracket
	}
	head, labels, hasLabels := strings.Cut(rest[open+1:], " labels:{")
	if hasLabels {
		m, tail, err := parseLabels(labels)
		if err != nil {
			return g, err
		}
		if tail != "]:" {
			return g, errNoEnd
		}
		g.Labels = m
	} else if head, ok = strings.CutSuffix(head, "]:"); !ok {
		return g, errNoEnd
	}

	fields := strings.Split(head, ", ")
	status := fields[0]
	for {
		if s, ok := strings.CutSuffix(status, " (leaked)"); ok {
			status, g.Leaked = s, true
		} else if s, ok := strings.CutSuffix(status, " (scan)"); ok {
			status = s
		} else if s, ok := strings.CutSuffix(status, " (durable)"); ok {
			status, g.Durable = s, true
		} else {
			break
		}
	}
	if status == "" {
		return g, errNoStatus
	}
	g.State = status
	for _, f := range fields[1:] {
		if f == "locked to thread" {
			g.Locked = true
		} else if n, ok := strings.CutSuffix(f, " minutes"); ok {
			m, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return g, err
			}
			g.Wait = time.Duration(m) * time.Minute
		} else if n, ok := strings.CutPrefix(f, "synctest bubble "); ok {
			if g.Bubble, err = strconv.ParseUint(n, 10, 64); err != nil {
				return g, err
			}
		} else {
			return g, &unknownField{f}
		}
	}
	return g, nil
}

// parseLabels parses `"k": "v", "k2": "v2"}` and returns what follows the
// closing brace. Keys and values are quoted by the runtime with Go escapes.
func parseLabels(s string) (map[string]string, string, error) {
	m := make(map[string]string)
	if rest, ok := strings.CutPrefix(s, "}"); ok {
		return m, rest, nil
	}
	for {
		k, rest, err := unquotePrefix(s)
		if err != nil {
			return nil, "", err
		}
		rest, ok := strings.CutPrefix(rest, ": ")
		if !ok {
			return nil, "", errLabels
		}
		v, rest, err := unquotePrefix(rest)
		if err != nil {
			return nil, "", err
		}
		m[k] = v
		if s, ok = strings.CutPrefix(rest, ", "); ok {
			continue
		}
		if rest, ok = strings.CutPrefix(rest, "}"); ok {
			return m, rest, nil
		}
		return nil, "", errLabels
	}
}

// unquotePrefix unquotes the quoted string at the start of s and returns it
// with the rest of s.
func unquotePrefix(s string) (string, string, error) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	u, err := strconv.Unquote(q)
	if err != nil {
		return "", "", err
	}
	return u, s[len(q):], nil
}

// parseCreatedBy parses "created by F in goroutine N" or "created by F".
func parseCreatedBy(line string) (string, uint64, error) {
	rest := strings.TrimPrefix(line, "created by ")
	if i := strings.LastIndex(rest, " in goroutine "); i >= 0 {
		id, err := strconv.ParseUint(rest[i+len(" in goroutine "):], 10, 64)
		if err != nil {
			return "", 0, err
		}
		rest = rest[:i]
		if rest == "" {
			return "", 0, strconv.ErrSyntax
		}
		return rest, id, nil
	}
	if rest == "" || strings.ContainsAny(rest, " \t") {
		return "", 0, strconv.ErrSyntax
	}
	return rest, 0, nil
}
