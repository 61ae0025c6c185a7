package oracle

import (
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// blockForever blocks on a channel that nothing else can reach: the
// goroutineleak profile can prove it never wakes.
func blockForever() {
	ch := make(chan int)
	<-ch
}

func TestLeakProfileReportsAtOnce(t *testing.T) {
	if pprof.Lookup("goroutineleak") == nil {
		t.Skip("needs a test binary built with GOEXPERIMENT=goroutineleakprofile; .ci/run runs this package so once more")
	}
	fake := newFake("TestBlockedForever")
	Check(fake, Settle(time.Minute))
	go blockForever()
	start := time.Now()
	fake.finish()
	took := time.Since(start)

	v := fake.verdict()
	assert.Contains(t, v, "blocked forever: the goroutineleak profile found nothing that can wake it")
	assert.Contains(t, v, "blocked in github.com/custody-go/custody/oracle.blockForever")
	assert.Less(t, took, 30*time.Second, "a proven leak must not wait out the one-minute settle time")
}

func TestLeakWithoutProfileWaitsOutSettle(t *testing.T) {
	fake := newFake("TestBlockedNoProfile")
	Check(fake, Settle(100*time.Millisecond), NoLeakProfile())
	go blockForever()
	start := time.Now()
	fake.finish()
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	v := fake.verdict()
	assert.Contains(t, v, "leaked goroutine")
	assert.NotContains(t, v, "blocked forever")
}
