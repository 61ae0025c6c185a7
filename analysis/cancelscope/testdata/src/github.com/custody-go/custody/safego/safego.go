// Package safego is a stub of custody's safego for the analyzer's tests.
package safego

import (
	"context"
	"time"
)

func Go(ctx context.Context, name string, fn func(ctx context.Context)) {}

func AfterFunc(ctx context.Context, d time.Duration, name string, fn func(ctx context.Context)) (stop func() bool) {
	return nil
}

type Group struct{}

func WithContext(ctx context.Context, name string) (*Group, context.Context) { return &Group{}, ctx }

func (g *Group) Go(name string, fn func(ctx context.Context) error) {}

func (g *Group) Wait() error { return nil }
