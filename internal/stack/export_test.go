package stack

// ParseOwn exports parseOwn, which All and Current share, for the tests.
var ParseOwn = parseOwn
