package a

import "sync/atomic"

// gocql's session init: the last one out closes. Each sender counts itself
// out after its send, and whoever brings the count to zero closes: by then
// every send is done.
func connectAll(hosts []string, connect func(string)) <-chan struct{} {
	var left int64
	done := make(chan struct{}, len(hosts)) // [buffered: len(hosts)] [owned by: connectAll] [closed by: the last to finish]
	atomic.AddInt64(&left, 1)
	for _, h := range hosts {
		atomic.AddInt64(&left, 1)
		go func() {
			connect(h)
			done <- struct{}{}
			if atomic.AddInt64(&left, -1) == 0 {
				close(done)
			}
		}()
	}
	if atomic.AddInt64(&left, -1) == 0 {
		close(done)
	}
	return done
}

// The same count kept in an atomic.Int32, and a close that no count
// guards: still reported.
func connectSome(hosts []string, connect func(string)) <-chan struct{} {
	var left atomic.Int32
	done := make(chan struct{}, len(hosts)) // [buffered: len(hosts)] [owned by: connectSome] [closed by: connectSome]
	for _, h := range hosts {
		left.Add(1)
		go func() {
			connect(h)
			done <- struct{}{}
			left.Add(-1)
		}()
	}
	if left.Add(0) == 0 {
		return done
	}
	close(done) // want `close of done while the goroutines started at line 35 may still send on it`
	return done
}
