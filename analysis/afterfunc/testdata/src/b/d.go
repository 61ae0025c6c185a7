package b

import (
	"context"
	"time"
)

func (s *S) namedWithContext(ctx context.Context) {
	_ = time.AfterFunc(time.Second, s.expire) // want `its function sends on s.c outside a select`
}
