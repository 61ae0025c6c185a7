package chanown

// An Option configures [Make].
type Option interface {
	apply(*config)
}

type config struct {
	skip int // extra frames between Make and the creation site to record
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// CallerSkip makes [Make] record, as the channel's creation site, the caller
// n frames above the one that called Make: a constructor that wraps Make
// passes CallerSkip(1) so that channels are attributed to the constructor's
// caller. Negative n is treated as 0.
func CallerSkip(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.skip = n
		}
	})
}
