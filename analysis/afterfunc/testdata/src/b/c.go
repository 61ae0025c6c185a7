package b

import (
	"context"
	"time"
)

// A context in scope, time used only by the call: the fix imports safego
// and drops time.
func (s *S) withContext(ctx context.Context) {
	time.AfterFunc(3, func() { s.c <- 1 }) // want `its function sends on s.c outside a select`
}

type S struct {
	n int
	c chan int
}
