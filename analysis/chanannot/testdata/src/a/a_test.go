package a

func testLocal() {
	ch := make(chan int)
	close(ch)
	ch <- 1 // want `send on ch after this function closed it`
}
