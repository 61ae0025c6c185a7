package core

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sinkA struct{ n int }

func TestInstallAddsAndRemovesInAnyOrder(t *testing.T) {
	require.Nil(t, Load())
	a, b, c := &Entry{Sink: &sinkA{1}, Mode: Observe}, &Entry{Sink: &sinkA{2}, Mode: Verify}, &Entry{Sink: &sinkA{3}, Mode: Observe}
	ua, ub, uc := Install(a), Install(b), Install(c)
	assert.Equal(t, []*Entry{a, b, c}, Load().Entries)
	assert.Equal(t, Verify, Load().Mode)
	ub()
	assert.Equal(t, []*Entry{a, c}, Load().Entries)
	assert.Equal(t, Observe, Load().Mode, "the mode is the strongest installed")
	ub() // again: nothing
	assert.Equal(t, []*Entry{a, c}, Load().Entries)
	ua()
	uc()
	assert.Nil(t, Load())
	assert.True(t, a.Removed() && b.Removed() && c.Removed())
}

func TestInstallSameSinkTwice(t *testing.T) {
	s := &sinkA{}
	a, b := &Entry{Sink: s, Mode: Observe}, &Entry{Sink: s, Mode: Verify}
	ua := Install(a)
	ub := Install(b)
	assert.Equal(t, []*Entry{a}, Load().Entries, "a sink installed twice gets each event once")
	assert.Equal(t, Verify, Load().Mode)
	ua()
	assert.Equal(t, []*Entry{b}, Load().Entries)
	ub()
	assert.Nil(t, Load())

	// Sinks that cannot be compared are never taken for one another.
	f := func() {}
	ua, ub = Install(&Entry{Sink: f}), Install(&Entry{Sink: f})
	assert.Len(t, Load().Entries, 2)
	ua()
	ub()
}

func TestUninstallWaitsForPinnedGoroutines(t *testing.T) {
	e := &Entry{Sink: &sinkA{}, Mode: Observe, Drain: time.Minute}
	uninstall := Install(e)
	st := Load()
	st.Pin()
	done := make(chan struct{})
	go func() { // stands for an owned goroutine reporting its exit
		time.Sleep(20 * time.Millisecond)
		assert.False(t, e.Removed(), "the entry still receives the exit")
		st.Unpin()
		close(done)
	}()
	start := time.Now()
	uninstall()
	<-done
	assert.True(t, e.Removed())
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	assert.Nil(t, Load())
}

func TestUninstallDrainIsBounded(t *testing.T) {
	e := &Entry{Sink: &sinkA{}, Mode: Observe, Drain: 30 * time.Millisecond}
	uninstall := Install(e)
	st := Load()
	st.Pin() // a goroutine that never returns
	defer st.Unpin()
	start := time.Now()
	uninstall()
	assert.True(t, e.Removed())
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestModeString(t *testing.T) {
	assert.Equal(t, "verify", Verify.String())
	assert.Equal(t, "Mode(9)", Mode(9).String())
}
