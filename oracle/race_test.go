//go:build race

package oracle

// raceEnabled: the test binary was built with -race, which makes each
// goroutine cost several times more.
const raceEnabled = true
