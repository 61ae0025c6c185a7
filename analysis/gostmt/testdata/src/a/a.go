package a

import (
	"context"
	"os"
	"sync"
	"time"
	"web"
)

func refresher() {
	go func() { // want `goroutine loops forever \(the for at line 13 has no way out\) and has no context and no done channel: nothing can stop it`
		for {
			time.Sleep(time.Second)
			println("refresh")
		}
	}()
}

// A goroutine that ends by itself needs no way to be stopped.
func fireAndForget() {
	go func() {
		time.Sleep(time.Second)
		println("late")
	}()
}

func step() error { return nil }

func untilError() {
	go func() {
		for {
			if err := step(); err != nil {
				return
			}
		}
	}()
}

func breakInSwitch(n int) {
	go func() { // want `goroutine loops forever \(the for at line 42`
		for {
			switch n {
			case 1:
				break // leaves the switch, not the loop
			}
		}
	}()
}

func labeledBreak(n int) {
	go func() {
	loop:
		for {
			switch n {
			case 1:
				break loop
			}
		}
	}()
}

func exits() {
	go func() {
		for {
			if step() != nil {
				os.Exit(1)
			}
		}
	}()
}

func serve() {
	go web.ListenAndServe(":8080", nil) // another package's function: not read, not reported
}

func compute() int { return 42 }

func sendResult(results chan int) {
	go func() { // ends by itself
		r := compute()
		_ = r
	}()
	_ = results
}

// The trap: a goroutine given a done channel it listens on.
func withDone(done <-chan struct{}, work func()) {
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				work()
			}
		}
	}()
}

func withDoneArg(done chan struct{}) {
	go loop(done)
}

func loop(done chan struct{}) { <-done }

func withContext(ctx context.Context) {
	go func() {
		<-ctx.Done()
	}()
	go worker(ctx)
}

func worker(ctx context.Context) {}

type server struct {
	ctx  context.Context
	quit chan struct{}
	wg   sync.WaitGroup
}

func (s *server) start() {
	go s.run()      // run receives from s.quit
	go s.useCtx()   // useCtx refers to s.ctx
	go s.spin()     // want `goroutine loops forever \(the for at line 136`
	go s.indirect() // indirect calls run, one call deeper
}

func (s *server) run() {
	<-s.quit
}

func (s *server) useCtx() { _ = s.ctx.Err() }

func (s *server) spin() {
	for {
		time.Sleep(time.Second)
	}
}

func (s *server) indirect() { s.run() }

// A goroutine its starter waits for with a WaitGroup.
func fanOut(items []int) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = it * 2
		}()
	}
	wg.Wait()
}

func rangeOverJobs(jobs chan int) {
	go func() {
		for j := range jobs {
			_ = j
		}
	}()
}

func funcValue(f func()) {
	go f() // a function value: its body is not here
}

func silenced() {
	//custody:ignore gostmt prints once and returns; it blocks on nothing
	go println("hello")
	go func() { println("x") }() //custody:ignore gostmt returns at once
}
