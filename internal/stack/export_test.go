package stack

// ParseOwn exports parseOwn, which All and Current share, for the tests.
func ParseOwn(dump []byte) []Goroutine { return parseOwn(string(dump)) }

// PrintedName exports printedName for the tests.
var PrintedName = printedName
