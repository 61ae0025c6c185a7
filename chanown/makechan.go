package chanown

import (
	"fmt"
	"math/bits"
	"reflect"
	"unsafe"
)

// checkedBuffer is the size of buffer above which Make compares it with the
// machine's memory: smaller ones are not worth the system call.
const checkedBuffer = 1 << 30

// makeChan makes the channel of a Chan named name, or panics saying why it
// cannot: a negative capacity, a buffer larger than the runtime can
// allocate (the runtime's own panic says neither channel nor capacity), or
// larger than the machine's memory and swap, which the runtime would try to
// allocate and die of ("fatal error: runtime: out of memory", which no
// recover stops).
func makeChan[T any](name string, capacity int) chan T {
	if capacity < 0 {
		panic(fmt.Sprintf("chanown: Make called with a negative capacity (%d) for channel %q", capacity, name))
	}
	size := uint64(unsafe.Sizeof(*new(T)))
	hi, bytes := bits.Mul64(uint64(capacity), size)
	if hi != 0 {
		panic(tooLarge(name, capacity, reflect.TypeFor[T](), "more than the runtime can allocate"))
	}
	if bytes > checkedBuffer {
		if mem, ok := memoryAndSwap(); ok && bytes > mem {
			panic(tooLarge(name, capacity, reflect.TypeFor[T](),
				fmt.Sprintf("%s, more than this machine's memory and swap (%s)", iec(bytes), iec(mem))))
		}
	}
	return makeOrExplain[T](name, capacity)
}

// makeOrExplain makes the channel, turning the runtime's panic for a buffer
// it cannot allocate into one that says what was wrong.
func makeOrExplain[T any](name string, capacity int) chan T {
	defer func() {
		if r := recover(); r != nil {
			panic(tooLarge(name, capacity, reflect.TypeFor[T](), fmt.Sprintf("more than the runtime can allocate (%v)", r)))
		}
	}()
	return make(chan T, capacity)
}

func tooLarge(name string, capacity int, t reflect.Type, why string) string {
	return fmt.Sprintf("chanown: Make called with capacity %d for channel %q of %s: its buffer would take %s", capacity, name, t, why)
}

// iec formats a number of bytes in the largest binary unit that leaves at
// least 1 of it, such as "8 TiB".
func iec(n uint64) string {
	const units = "KMGTPE"
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	i := (bits.Len64(n) - 1) / 10 // 1 for KiB
	return fmt.Sprintf("%d %ciB", n>>(10*i), units[i-1])
}
