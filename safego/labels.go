package safego

import (
	"context"
	"maps"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
)

// labels returns a context holding the pprof labels an owned goroutine sets
// on itself: in verify mode custody.id and custody.name, which the oracle
// reads in goroutine dumps; in observe mode custody.name only, from a label
// set made once per name, so that starting a goroutine allocates nothing
// for its labels. Labels ctx already holds are kept, which costs a new set.
func labels(mode core.Mode, ctx context.Context, g *custody.Goroutine) context.Context {
	if mode == core.Verify {
		return pprof.WithLabels(ctx, pprof.Labels(
			core.LabelID, strconv.FormatUint(g.ID, 10),
			core.LabelName, g.Name))
	}
	if hasLabels(ctx) {
		return pprof.WithLabels(ctx, pprof.Labels(core.LabelName, g.Name))
	}
	return nameLabels.get(g.Name)
}

// hasLabels reports whether ctx holds pprof labels.
func hasLabels(ctx context.Context) bool {
	has := false
	pprof.ForLabels(ctx, func(string, string) bool { has = true; return false })
	return has
}

// maxNameLabels bounds the label sets kept by name: goroutines of any other
// name get a set of their own.
const maxNameLabels = 1024

// nameLabels holds, by goroutine name, a context whose only pprof label is
// custody.name. Readers load an immutable map; a writer copies it.
var nameLabels labelCache

type labelCache struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[string]context.Context]
}

func (c *labelCache) get(name string) context.Context {
	if m := c.m.Load(); m != nil {
		if ctx, ok := (*m)[name]; ok {
			return ctx
		}
	}
	return c.put(name)
}

func (c *labelCache) put(name string) context.Context {
	ctx := pprof.WithLabels(context.Background(), pprof.Labels(core.LabelName, name))
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]context.Context
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if have, ok := old[name]; ok {
		return have
	}
	if len(old) >= maxNameLabels {
		return ctx
	}
	next := make(map[string]context.Context, len(old)+1)
	maps.Copy(next, old)
	next[name] = ctx
	c.m.Store(&next)
	return ctx
}
