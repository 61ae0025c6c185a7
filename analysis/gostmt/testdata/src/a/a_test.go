package a

import "time"

func inTest() {
	go func() { time.Sleep(time.Millisecond) }()
}
