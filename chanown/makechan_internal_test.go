package chanown

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The runtime's own refusal, for a buffer within the address space but over
// its limit (what Make meets where it cannot ask for the machine's memory),
// is turned into a panic that names the call.
func TestMakeOrExplain(t *testing.T) {
	assert.PanicsWithValue(t,
		`chanown: Make called with capacity 1152921504606846976 for channel "c" of [8]uint8: its buffer would take more than the runtime can allocate (makechan: size out of range)`,
		func() { makeOrExplain[[8]byte]("c", 1<<60) })
}

func TestIEC(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1 << 10: "1 KiB", 3 << 29: "1 GiB", 1 << 43: "8 TiB", 1 << 63: "8 EiB"} {
		assert.Equal(t, want, iec(n), "iec(%d)", n)
	}
}
