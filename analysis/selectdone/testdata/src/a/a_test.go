package a

func waitInTest(in <-chan int) {
	select {
	case <-in:
	}
}
