package a

import "time"

func inTest() { time.AfterFunc(time.Millisecond, func() {}) }
