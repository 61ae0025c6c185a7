package a

import (
	"context"
	"time"
)

// A receive is released by a close of its channel, the usual shutdown: not
// reported, as sarama's and nats.go's pipelines rely on it.
func dataOnly(results <-chan int, errs <-chan error) (int, error) {
	select {
	case v := <-results:
		return v, nil
	case err := <-errs:
		return 0, err
	}
}

func sendOnly(out chan<- int, v int) {
	select { // want `every case of this select sends, and none is a way out \(default, ctx.Done\(\)\): once the receivers are gone nothing can release it`
	case out <- v:
	}
}

func sendEither(a, b chan<- int, v int) {
	select { // want `every case of this select sends`
	case a <- v:
	case b <- v:
	}
}

func sendOrStop(out chan<- int, v int, stop chan struct{}) {
	select {
	case out <- v:
	case <-stop:
	}
}

func withDefault(out chan<- int, v int) bool {
	select {
	case out <- v:
		return true
	default:
		return false
	}
}

func withContext(ctx context.Context, out chan<- int, v int) error {
	select {
	case out <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The trap: a select inside a for loop with a time.After case is bounded
// by the timer on every turn.
func pollWithTimeout(in <-chan int) int {
	sum := 0
	for {
		select {
		case v, ok := <-in:
			if !ok {
				return sum
			}
			sum += v
		case <-time.After(time.Second):
			return sum
		}
	}
}

func ticker(in <-chan int) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-in:
		case <-t.C:
			return
		}
	}
}

type server struct {
	quit    chan struct{}
	closing chan bool
	errc    chan error
}

func (s *server) signalStruct(in <-chan int) {
	select {
	case <-in:
	case <-s.quit:
	}
}

func (s *server) signalByName(in <-chan int) {
	select {
	case <-in:
	case <-s.closing:
	}
}

func (s *server) doneVar(ctx context.Context, in <-chan int) {
	done := ctx.Done()
	select {
	case <-in:
	case <-done:
	}
}

func (s *server) sendErr(err error) {
	select { // want `every case of this select sends`
	case s.errc <- err:
	}
}

func blockForever() {
	select {} // want `select \{\} blocks forever`
}

func silenced(out chan<- int) {
	//custody:ignore selectdone out has room for every value sent on it
	select {
	case out <- 1:
	}
}

// Replace keeps the latest value in a channel of capacity 1, as grpc's
// testutils.Channel does: one of the cases can always proceed.
func replace(ch chan int, v int) {
	for {
		select {
		case ch <- v:
			return
		case <-ch:
		}
	}
}

// The traps of the second held-out run. x/sync's singleflight, copied
// into minio-go: the panic in a new goroutine crashes the process, and the
// select {} keeps this goroutine in the crash dump.
func repanic(e error) {
	go panic(e)
	select {}
}

// conc's pool: the send of a token to a semaphore waits for a holder of
// one to finish, and each holder is the pool's own worker.
type pool struct {
	limiter chan struct{}
	tasks   chan func()
}

func (p *pool) submit(f func()) {
	select {
	case p.limiter <- struct{}{}:
		go p.worker(f)
	case p.tasks <- f:
	}
}

func (p *pool) worker(f func()) {
	defer func() { <-p.limiter }()
	f()
	for t := range p.tasks {
		t()
	}
}

// Still reported: a token of a channel that is not a semaphore.
func (p *pool) handOff(f func(), results chan<- int) {
	select { // want `every case of this select sends`
	case results <- 1:
	case p.tasks <- f:
	}
}
