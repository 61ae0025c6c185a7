package goker_test

import "time"

// corpus returns the kernels in the order of the table.
func corpus() []kernel {
	return []kernel{
		{name: "cockroach584", what: "mutex", short: true,
			raw: cockroach584, owned: cockroach584Owned, fixed: cockroach584Fixed},

		{name: "leak1", what: "synthetic", short: true,
			raw: leakRaw(1), owned: leakOwned(1), fixed: leakFixed(1)},
		{name: "leak100", what: "synthetic",
			raw: leakRaw(100), owned: leakOwned(100), fixed: leakFixed(100)},
		{name: "leak2000", what: "synthetic", wait: 100 * time.Millisecond,
			raw: leakRaw(2000), owned: leakOwned(2000), fixed: leakFixed(2000)},
	}
}
