package stack

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cgoLine matches the line under a C function that a cgo symbolizer (see
// [runtime.SetCgoTraceback]) described: a tab, "file:line " if the
// symbolizer knew them, then the pc, as runtime.printOneCgoTraceback
// prints them.
var cgoLine = regexp.MustCompile(`^\t(?:(.*):(\d+) )?pc=0x[0-9a-f]+$`)

// noName is what the runtime prints for a C function that the cgo
// symbolizer could not name.
const noName = "non-Go function"

// elided matches "...N frames elided...".
var elided = regexp.MustCompile(`^\.\.\.\d+ frames elided\.\.\.$`)

// state is what the parser expects on the next line.
type state int

const (
	wantHeader      state = iota // between goroutines
	wantFrame                    // a function, "created by", or a marker line
	wantFile                     // the file line of a Go function (or of a C one whose name looks like a call)
	wantCgoFile                  // the file line of a C function named by a cgo symbolizer
	wantCreatedFile              // the file line of "created by"
	inAncestors                  // an ancestor traceback, skipped
	skipping                     // the rest of a block that could not be read
)

// Parse reads a goroutine dump as written by [runtime.Stack] (or printed by
// a crashing program) and returns its goroutines in order.
//
// The input must start, after any blank lines, with a goroutine header, and
// every goroutine header must be readable; otherwise Parse returns a
// [*SyntaxError], or [ErrNoGoroutine] for input without any line. A final
// line that does not end in a newline is the truncated tail of a buffer that
// was too small and is ignored, as is a function whose file line is missing
// at the end of the input. Parse tolerates "...N frames elided...",
// "...additional frames elided...", "goroutine running on other thread;
// stack unavailable", cgo "non-Go function at pc=" lines and skips ancestor
// tracebacks that start with "[originating from goroutine N]:". It reads the
// C frames that a cgo symbolizer registered with [runtime.SetCgoTraceback]
// describes: a name line as the symbolizer wrote it, then a tab,
// "file:line " when known, and "pc=0x…".
//
// A line below a readable header that Parse cannot read does not fail the
// dump: the goroutine keeps its header's fields, the frames above that line,
// its "created by" line if it comes later, and its whole text in Full, and
// its Err says what could not be read. Its identity is in the header; one
// goroutine in a state this package does not know must not hide the others.
func Parse(dump []byte) ([]Goroutine, error) {
	return parse(string(dump))
}

// parse is [Parse] of a dump held in a string, which the goroutines' Full
// texts are substrings of.
func parse(dump string) ([]Goroutine, error) {
	p := parser{text: dump}
	p.gs = make([]Goroutine, 0, strings.Count(p.text, "\ngoroutine ")+1)
	// A last line without a newline is either empty or a partial line:
	// dropped either way.
	for n, at := 1, 0; ; n++ {
		end := strings.IndexByte(p.text[at:], '\n')
		if end < 0 {
			break
		}
		p.at, p.next = at, at+end+1
		if err := p.line(n, p.text[at:at+end]); err != nil {
			return nil, err
		}
		at = p.next
	}
	p.finish()
	if len(p.gs) == 0 {
		return nil, ErrNoGoroutine
	}
	return p.gs, nil
}

// parser holds the state of [Parse].
type parser struct {
	text     string // the dump
	at, next int    // offsets of the current line and of the one after it
	gs       []Goroutine
	g        *Goroutine // the last of gs, while its block is read
	start    int        // offset of the current goroutine's header
	end      int        // offset just past its last line
	st       state
	fn       string // function of the pending frame, without arguments
	call     string // the pending frame's line, as printed
	fnAt     int    // its line number
	fnStart  int    // its offset
}

// finish ends the current goroutine, if any.
func (p *parser) finish() {
	if p.g == nil {
		return
	}
	switch p.st {
	case wantFile, wantCgoFile, wantCreatedFile:
		// Truncated between a function and its file: drop the function's
		// line from Full too.
		p.end = p.fnStart
	}
	p.g.Full = p.text[p.start:p.end]
	p.g, p.st = nil, wantHeader
}

// line reads line n. It returns an error only for a line outside any
// goroutine or a header it cannot read; it records any other error in the
// goroutine's Err and skips the rest of its block.
func (p *parser) line(n int, line string) error {
	pending := p.st == wantFile || p.st == wantCgoFile || p.st == wantCreatedFile
	if strings.HasPrefix(line, "goroutine ") && !pending && p.st != skipping {
		p.finish()
		h, err := parseHeader(line)
		if err != nil {
			return &SyntaxError{Line: n, Text: line, Msg: "bad goroutine header", Err: err}
		}
		p.gs = append(p.gs, h)
		p.g, p.start, p.end, p.st = &p.gs[len(p.gs)-1], p.at, p.next, wantFrame
		return nil
	}
	if line == "" {
		if pending {
			p.fail(&SyntaxError{Line: n, Text: line, Msg: "want a file line"}, line)
		}
		p.finish()
		return nil
	}
	if p.st == wantHeader {
		return &SyntaxError{Line: n, Text: line, Msg: "want a goroutine header"}
	}
	p.end = p.next
	if err := p.frameLine(n, line); err != nil {
		p.fail(err, line)
	}
	return nil
}

// fail records err as the goroutine's error, unless it has one, and skips
// the rest of its block but for a "created by" line, which may be line.
func (p *parser) fail(err *SyntaxError, line string) {
	if p.g.Err == nil {
		p.g.Err = err
	}
	p.st = skipping
	p.skip(line)
}

// skip reads a line of a block that could not be read: only a "created
// by" line is taken.
func (p *parser) skip(line string) {
	if !strings.HasPrefix(line, "created by ") {
		return
	}
	if name, parent, err := parseCreatedBy(line); err == nil {
		p.fn, p.fnStart, p.g.ParentID, p.st = name, p.at, parent, wantCreatedFile
	}
}

// frameLine reads a line of a goroutine's block after its header.
func (p *parser) frameLine(n int, line string) *SyntaxError {
	bad := func(msg string, err error) *SyntaxError {
		return &SyntaxError{Line: n, Text: line, Msg: msg, Err: err}
	}
	switch p.st {
	case skipping:
		p.skip(line)
	case inAncestors:
		// Skipped until the blank line that ends the goroutine.
	case wantFile, wantCreatedFile:
		if file, n, ok := parseFileLine(line); ok {
			f := Frame{Func: p.fn, File: file, Line: n}
			if p.st == wantFile {
				p.g.Frames = append(p.g.Frames, f)
			} else {
				p.g.CreatedBy = f
			}
			p.st = wantFrame
			return nil
		}
		if p.st == wantFile && cgoLine.MatchString(line) {
			// A C function whose symbolizer printed it as a call.
			return p.cgoFrame(n, line)
		}
		return bad("want a file line", nil)
	case wantCgoFile:
		if !cgoLine.MatchString(line) {
			// The pending line was neither a Go call nor a C function.
			return &SyntaxError{Line: p.fnAt, Text: p.call, Msg: "want a function call"}
		}
		return p.cgoFrame(n, line)
	case wantFrame:
		switch {
		case strings.HasPrefix(line, "created by "):
			name, parent, err := parseCreatedBy(line)
			if err != nil {
				return bad("bad created by line", err)
			}
			p.fn, p.fnStart, p.g.ParentID, p.st = name, p.at, parent, wantCreatedFile
		case strings.HasPrefix(line, "[originating from goroutine "):
			p.st = inAncestors
		case strings.HasPrefix(line, "...") && (line == "...additional frames elided..." || elided.MatchString(line)),
			line == "\tgoroutine running on other thread; stack unavailable",
			strings.HasPrefix(line, "non-Go function at pc="):
			// Nothing to record.
		case line[0] == '\t':
			return bad("want a function call", nil)
		default:
			// A Go call, "f(args)", or the name of a C function as a
			// cgo symbolizer wrote it, which the next line tells.
			p.call, p.fnAt, p.fnStart, p.st = line, n, p.at, wantCgoFile
			if open := strings.LastIndexByte(line, '('); open > 0 && strings.HasSuffix(line, ")") {
				p.fn, p.st = line[:open], wantFile
			}
		}
	}
	return nil
}

// parseFileLine reads the line under a function: a tab, the file, ":line",
// then the optional pc offset " +0x1d" and the GOTRACEBACK=system frame
// pointers " fp=0x… sp=0x… pc=0x…". The file is what precedes the last
// ":line" that such a tail follows, so that paths holding spaces or colons
// survive.
func parseFileLine(line string) (file string, n int, ok bool) {
	rest, ok := strings.CutPrefix(line, "\t")
	if !ok {
		return "", 0, false
	}
	// Drop the tail, from the right: " fp=… sp=… pc=…", then " +0x…".
	if i := strings.LastIndex(rest, " fp=0x"); i >= 0 && isFramePointers(rest[i+1:]) {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, " +0x"); i >= 0 && isHex(rest[i+len(" +0x"):]) {
		rest = rest[:i]
	}
	colon := strings.LastIndexByte(rest, ':')
	if colon < 0 || colon == len(rest)-1 {
		return "", 0, false
	}
	for _, c := range []byte(rest[colon+1:]) {
		if c < '0' || c > '9' {
			return "", 0, false
		}
	}
	n, err := strconv.Atoi(rest[colon+1:])
	if err != nil {
		return "", 0, false
	}
	return rest[:colon], n, true
}

// isFramePointers reports whether s is "fp=0x… sp=0x… pc=0x…".
func isFramePointers(s string) bool {
	for _, name := range []string{"fp=0x", "sp=0x", "pc=0x"} {
		v, ok := strings.CutPrefix(s, name)
		if !ok {
			return false
		}
		hex, rest, _ := strings.Cut(v, " ")
		if !isHex(hex) {
			return false
		}
		s = rest
	}
	return s == ""
}

// isHex reports whether s is a non-empty run of lower-case hex digits.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// cgoFrame records the pending C function, whose file line is line n.
// Without a name or a file, a frame says nothing and, like "non-Go function
// at pc=", is not recorded.
func (p *parser) cgoFrame(n int, line string) *SyntaxError {
	p.st = wantFrame
	m := cgoLine.FindStringSubmatch(line)
	f := Frame{Func: p.call, File: m[1]}
	if f.Func == noName {
		f.Func = ""
	}
	if m[2] != "" {
		var err error
		if f.Line, err = strconv.Atoi(m[2]); err != nil {
			return &SyntaxError{Line: n, Text: line, Msg: "bad line number", Err: err}
		}
	}
	if f != (Frame{}) {
		p.g.Frames = append(p.g.Frames, f)
	}
	return nil
}

// parseHeader parses a goroutine header in Go 1.26's form,
//
//	goroutine N [status (leaked) (scan) (durable), M minutes, locked to thread, synctest bubble B labels:{"k": "v"}]:
//
// or in Go 1.27's, where the labels follow the brackets and a key or value
// made only of letters, digits, '.', '/' and '_' is not quoted:
//
//	goroutine N [status (leaked) (scan) (durable), M minutes, locked to thread, synctest bubble B] {k: v, "k 2": "v"}:
//
// and the GOTRACEBACK=system form of either, with " gp=… m=… mp=…" after N.
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
	rest = rest[open+1:]
	// A status holds no ']' and no " labels:{"; labels may hold both.
	end := strings.IndexByte(rest, ']')
	var head string
	if i := strings.Index(rest, " labels:{"); i >= 0 && (end < 0 || i < end) {
		// Go 1.26: the labels, always quoted, inside the brackets.
		m, tail, err := parseLabels(rest[i+len(" labels:{"):], ": ", false)
		if err != nil {
			return g, err
		}
		if tail != "]:" {
			return g, errNoEnd
		}
		head, g.Labels, g.LabelsFrom = rest[:i], m, LabelsDump
	} else if end < 0 {
		return g, errNoEnd
	} else {
		head, rest = rest[:end], rest[end+1:]
		if labels, ok := strings.CutPrefix(rest, " {"); ok {
			// Go 1.27: the labels after the brackets.
			m, tail, err := parseLabels(labels, ": ", true)
			if err != nil {
				return g, err
			}
			rest, g.Labels, g.LabelsFrom = tail, m, LabelsDump
		}
		if rest != ":" {
			return g, errNoEnd
		}
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

// parseLabels parses `"k": "v", "k2": "v2"}`, with sep between each key and
// its value, and returns what follows the closing brace. Keys and values are
// quoted with Go escapes; with bare set, as Go 1.27 prints them in a
// goroutine header, a key or value made only of letters, digits, '.', '/'
// and '_' (or empty) is not quoted.
func parseLabels(s, sep string, bare bool) (map[string]string, string, error) {
	m := make(map[string]string)
	if rest, ok := strings.CutPrefix(s, "}"); ok {
		return m, rest, nil
	}
	for {
		k, rest, err := labelString(s, bare)
		if err != nil {
			return nil, "", err
		}
		rest, ok := strings.CutPrefix(rest, sep)
		if !ok {
			return nil, "", errLabels
		}
		v, rest, err := labelString(rest, bare)
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

// labelString reads the label key or value at the start of s and returns it
// with the rest of s: a quoted string, or with bare set a run of the
// characters that Go 1.27 leaves unquoted.
func labelString(s string, bare bool) (string, string, error) {
	if !bare || strings.HasPrefix(s, `"`) {
		return unquotePrefix(s)
	}
	n := strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '/' || r == '_')
	})
	if n < 0 {
		n = len(s)
	}
	return s[:n], s[n:], nil
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
