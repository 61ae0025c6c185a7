// Package codec stands in for encoding/json in the tests.
package codec

func Unmarshal(b []byte, v any) error { return nil }
