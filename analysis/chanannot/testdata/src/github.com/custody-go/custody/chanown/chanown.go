// Package chanown is a stub of custody's chanown for the analyzer's tests.
package chanown

import "context"

type Chan[T any] struct{}

func Make[T any](ctx context.Context, name string, capacity int) *Chan[T] { return nil }

func (c *Chan[T]) Close(ctx context.Context) error { return nil }
