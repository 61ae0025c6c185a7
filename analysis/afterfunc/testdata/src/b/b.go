package b

import "time"

// No context in scope: no fix.
func noContext(f func()) {
	time.AfterFunc(time.Second, f) // want `the timer time.AfterFunc returns is thrown away`
}
