package a

import (
	"context"
	"sync"

	"github.com/custody-go/custody/chanown"
)

type server struct {
	// [buffered: 8] [owned by: server] [closed by: server.Stop]
	jobs chan int
	// [owned by: server] [closed by: never]
	ready chan struct{}
	quit  chan struct{} // want `channel quit has no annotation: say who owns and who closes it`
	errc  chan error    // [buffered: 1] [owned by: server] // want `the annotation of channel errc lacks \[closed by: Y\]`
	// [owned by: server] [closed by: the last worker to finish]
	results chan int
	// chanown.Chan is annotated by construction.
	owned *chanown.Chan[int]
}

func newServer(ctx context.Context) *server {
	return &server{
		jobs:    make(chan int, 4), // want `make gives channel jobs a buffer of 4, but its annotation \(line 11\) says \[buffered: 8\]`
		ready:   make(chan struct{}),
		quit:    make(chan struct{}),
		errc:    make(chan error, 1),
		results: make(chan int),
		owned:   chanown.Make[int](ctx, "owned", 0),
	}
}

func (s *server) Stop() {
	close(s.jobs)
}

func (s *server) drain() {
	close(s.jobs) // want `close of channel jobs in server.drain, but its annotation \(line 11\) says \[closed by: server.Stop\]`
}

func (s *server) finish() {
	close(s.ready)   // want `close of channel ready, whose annotation \(line 13\) says \[closed by: never\]`
	close(s.results) // the closer is prose: not checked
}

func locals() {
	done := make(chan struct{}) // want `channel done has no annotation`
	// [buffered: 2] [owned by: locals] [closed by: locals]
	out := make(chan int, 3) // want `make gives channel out a buffer of 3, but its annotation \(line 49\) says \[buffered: 2\]`
	in := make(chan int, 3)  // [owned by: locals] [closed by: locals] // want `make gives channel in a buffer of 3, but its annotation \(line 51\) has no \[buffered: 3\]`
	n := len(in)
	sized := make(chan int, n) // [buffered: n] [owned by: locals] [closed by: locals]
	close(out)
	close(in)
	close(sized)
	_ = done
}

// [owned by: package a] [closed by: never]
var global = make(chan int)

func sendAfterClose(results chan int) {
	close(results)
	if true {
		results <- 1 // want `send on results after this function closed it at line 64: the send panics`
	}
}

func (s *server) sendAfterCloseField() {
	close(s.errc)
	select {
	case s.errc <- nil: // want `send on s.errc after this function closed it`
	default:
	}
}

// The traps: a send before the close, a send in a goroutine, a fresh
// channel after the close, a deferred close.
func sendBeforeClose(ch chan int) {
	ch <- 1
	close(ch)
}

func reopened() {
	ch := make(chan int, 1) // [buffered: 1] [owned by: reopened] [closed by: reopened]
	close(ch)
	ch = make(chan int, 1)
	ch <- 1
}

func deferredClose(ch chan int) {
	defer close(ch)
	ch <- 1
}

func silenced() {
	//custody:ignore chanannot a local signal, closed two lines below
	stop := make(chan struct{})
	close(stop)
}

// The demo's closedsend incident: the receiver closes while the other
// senders still run.
func firstQuote(ctx context.Context) int {
	quotes := make(chan int) // [owned by: firstQuote] [closed by: firstQuote]
	for i := range 3 {
		go func() {
			quotes <- i
		}()
	}
	q := <-quotes
	close(quotes) // want `close of quotes while the goroutines started at line 108 may still send on it: a send after the close panics`
	return q
}

// The traps: the senders waited for, one sender received from, the close
// left to a goroutine that waits.
func waited(items []int) {
	var wg sync.WaitGroup
	out := make(chan int, len(items)) // [buffered: len(items)] [owned by: waited] [closed by: waited]
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out <- it
		}()
	}
	wg.Wait()
	close(out)
}

func oneSender() int {
	ch := make(chan int) // [owned by: oneSender] [closed by: oneSender]
	go func() { ch <- 1 }()
	v := <-ch
	close(ch)
	return v
}

func closerGoroutine(items []int) <-chan int {
	var wg sync.WaitGroup
	out := make(chan int) // [owned by: closerGoroutine] [closed by: closerGoroutine]
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out <- it
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// A generic owner: its methods name the closer too.
type Box[T any] struct {
	// [owned by: Box] [closed by: Box.shut]
	ch chan T
}

func (b *Box[T]) shut() { close(b.ch) }

func (b *Box[T]) drop() {
	close(b.ch) // want `close of channel ch in Box.drop, but its annotation \(line 160\) says \[closed by: Box.shut\]`
}

// memberlist's fallback: the sender is started in one branch, the channel
// closed in the other.
func fallback(tcp bool, ping func() bool) <-chan bool {
	ch := make(chan bool, 1) // [buffered: 1] [owned by: fallback] [closed by: fallback]
	if tcp {
		go func() {
			defer close(ch)
			ch <- ping()
		}()
	} else {
		close(ch)
	}
	return ch
}

// A receive-only view of a channel declared elsewhere: its holder cannot
// close it, so it needs no annotation.
type watcher struct {
	key <-chan struct{}
	out chan<- int // want `channel out has no annotation`
}
