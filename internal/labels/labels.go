// Package labels reads the pprof labels of the calling goroutine without a
// context: the identity the oracle and safego put in the custody.id and
// custody.name labels, for operations that take no context (safemap's).
// It costs about a map lookup, where parsing the goroutine's own stack
// dump costs microseconds and needs GODEBUG=tracebacklabels=1.
package labels

import (
	"strconv"

	"github.com/custody-go/custody/internal/core"
)

// Identity returns the custody.id label of the calling goroutine and its
// custody.name label; ok is false when the goroutine has no custody.id
// label that parses, or when labels cannot be read on this Go release.
func Identity() (id uint64, name string, ok bool) {
	ls, known := current()
	if !known {
		return 0, "", false
	}
	var idText string
	for _, l := range ls {
		switch l.key {
		case core.LabelID:
			idText = l.value
		case core.LabelName:
			name = l.value
		}
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return id, name, true
}

// Readable reports whether Identity can read labels on this Go release;
// where it cannot, its ok is always false.
func Readable() bool {
	_, known := current()
	return known
}

// A label is one key-value pair, as the runtime keeps it.
type label struct {
	key   string
	value string
}
