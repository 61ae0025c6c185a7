// Command cgo prints a goroutine dump holding C frames described by a cgo
// symbolizer, for testdata/cgo.txt:
//
//	go run ./internal/stack/testdata/cgo > internal/stack/testdata/cgo.txt
//
// It needs cgo and a C compiler, so the golden test's -update does not run
// it. The symbolizer in cgo.c names one fake pc in each form the runtime
// prints (runtime.printOneCgoTraceback): a name and file:line, a name only,
// a file:line only ("non-Go function"), neither, and one pc expanded to an
// inlined call and its caller. Goroutine 1 dumps from inside a C→Go
// callback; another goroutine is blocked inside one.
package main

/*
extern void c_block(void);
extern void c_dump(void);
extern void tbContext(void*);
extern void tbTraceback(void*);
extern void tbSymbolizer(void*);
*/
import "C"

import (
	"os"
	"runtime"
	"strings"
	"unsafe"
)

var block = make(chan struct{})

//export GoBlock
func GoBlock() { <-block }

//export GoDump
func GoDump() {
	buf := make([]byte, 1<<20)
	for {
		out := string(buf[:runtime.Stack(buf, true)])
		if strings.Contains(out, "[chan receive") {
			os.Stdout.WriteString(out)
			return
		}
		runtime.Gosched()
	}
}

func blocker() { C.c_block() }

func main() {
	runtime.SetCgoTraceback(0, unsafe.Pointer(C.tbTraceback), unsafe.Pointer(C.tbContext), unsafe.Pointer(C.tbSymbolizer))
	go blocker()
	C.c_dump()
}
