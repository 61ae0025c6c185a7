// Package web stands in for net/http in the analyzer's tests (loading
// net/http from source would make them slow).
package web

import "context"

type Request struct{ ctx context.Context }

func (r *Request) Context() context.Context { return r.ctx }

type ResponseWriter interface{ Write([]byte) (int, error) }

func ListenAndServe(addr string, h any) error { return nil }

func NewRequestWithContext(ctx context.Context, method, url string, body any) (*Request, error) {
	return &Request{ctx}, nil
}
