package stack

// ParseOwn exports parseOwn, which All and Current share, for the tests.
var ParseOwn = parseOwn

// PrintedName exports printedName for the tests.
var PrintedName = printedName
