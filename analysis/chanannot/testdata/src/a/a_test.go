package a

func testLocal() {
	ch := make(chan int)
	close(ch)
	ch <- 1 // a test may send after close on purpose, to see it panic
}
