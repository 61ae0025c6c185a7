package b

import "time"

// No context in scope: no fix.
func noContext(out chan int) {
	time.AfterFunc(time.Second, func() { out <- 1 }) // want `its function sends on out outside a select`
}

// A function of this package as the timer's function: the fix wraps it.
func (s *S) expire() { s.c <- s.n }

func (s *S) named() {
	time.AfterFunc(time.Second, s.expire) // want `its function sends on s.c outside a select`
}
