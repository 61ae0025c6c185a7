package waits

import (
	"sync"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/labels"
)

// A Taking is a channel whose receive side (chanown's C) an identity took:
// a goroutine of that identity blocked in a receive or a select may be
// waiting on it.
type Taking struct {
	// Wait describes the channel as it is when Taken is called, or as it
	// was when taken if it is gone since: Chan, Cap, Len, Owner, Made and
	// Closed; Op and Since are not set.
	Wait
	// Site is where C was called.
	Site custody.Site
}

// maxTaken bounds the channels remembered per identity: the most recent.
const maxTaken = 4

type took struct {
	c    Chan
	site custody.Site
	seen Wait // c as it was when taken, for when it is gone since
}

var takers struct {
	mu   sync.Mutex
	by   map[uint64][]took // by the custody.id label of the goroutine that called C
	peak int               // the most identities by held since the map was made
}

// Took records that the calling goroutine, if it has a custody.id label,
// took the receive side of c at site. Taking the same channel at the same
// site again costs a lookup.
func Took(c Chan, site custody.Site) {
	id, _, ok := labels.Identity()
	if !ok {
		return
	}
	takers.mu.Lock()
	defer takers.mu.Unlock()
	ts := takers.by[id]
	for i, t := range ts {
		if t.c == c && t.site == site {
			if i > 0 { // the most recent first
				copy(ts[1:i+1], ts[:i])
				ts[0] = t
			}
			return
		}
	}
	if takers.by == nil {
		takers.by = map[uint64][]took{}
	}
	if len(ts) == maxTaken {
		ts = ts[:maxTaken-1]
	}
	t := took{c: c, site: site}
	c.Describe(&t.seen)
	takers.by[id] = append([]took{t}, ts...)
	takers.peak = max(takers.peak, len(takers.by))
}

// Taken returns the channels whose receive side the identity id took, the
// most recent first: as they are now, or, for a channel the garbage
// collector has taken since (nothing but its C references it), as they were
// when taken.
func Taken(id uint64) []Taking {
	takers.mu.Lock()
	ts := append([]took(nil), takers.by[id]...)
	takers.mu.Unlock()
	var out []Taking
	for _, t := range ts {
		var w Wait
		if !t.c.Describe(&w) {
			w = t.seen
		}
		out = append(out, Taking{Wait: w, Site: t.site})
	}
	return out
}

// Forget drops what the identities that forget accepts took. The table's
// map is made anew when it has shrunk to a small part of its peak, as Go
// maps never give their memory back.
func Forget(forget func(id uint64) bool) {
	takers.mu.Lock()
	defer takers.mu.Unlock()
	for id := range takers.by {
		if forget(id) {
			delete(takers.by, id)
		}
	}
	if n := len(takers.by); takers.peak > 1024 && n < takers.peak/4 {
		fresh := make(map[uint64][]took, n)
		for id, ts := range takers.by {
			fresh[id] = ts
		}
		takers.by, takers.peak = fresh, n
	}
}
