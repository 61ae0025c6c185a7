// Package bad breaks the checklist once per rule the e2e test expects
// golangci-lint to report; each such line ends in a "want: RULE" comment.
package bad

import (
	"context"
	"runtime"
	"sync"
	"time"
)

type Order struct{ ID string }

var cache sync.Map

func spawn() {
	go func() { // want: gostmt
		for {
			time.Sleep(time.Second)
		}
	}()
}

func yield() {
	runtime.Gosched() // want: gosched
}

func send(a chan<- int, b chan<- error) {
	select { // want: selectdone
	case a <- 1:
	case b <- nil:
	}
}

func work(ctx context.Context) { _ = ctx.Err() }

func handle(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // want: cancelscope
	go work(ctx)
}

func timer(ctx context.Context, timedOut chan struct{}) {
	time.AfterFunc(time.Second, func() { // want: afterfunc
		timedOut <- struct{}{}
	})
}

func forget(id string) {
	cache.Store(id, Order{}) // want: zerostore
}

func confirm(id string) {
	v, _ := cache.LoadOrStore(id, &Order{ID: id})
	v.(*Order).ID = "confirmed" // want: publishmutation
}

// chanannot is disabled in .golangci.yml: this channel goes unreported.
func unannotated() chan int {
	ch := make(chan int)
	return ch
}

func silenced() {
	runtime.Gosched() //custody:ignore gosched the e2e test checks that this line is not reported
}
