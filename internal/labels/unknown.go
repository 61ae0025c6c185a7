//go:build go1.28

package labels

// current cannot read labels on a Go release whose label layout is not
// proven (see runtime.go): extend runtime.go's build constraint once
// TestIdentity passes there.
func current() ([]label, bool) { return nil, false }
