package b

import (
	"context"
	"time"
)

// A context in scope, time used only by the call: the fix imports safego
// and drops time.
func (s *S) withContext(ctx context.Context) {
	time.AfterFunc(3, func() { s.n++ }) // want `the timer time.AfterFunc returns is thrown away`
}

type S struct{ n int }
