package goker_test

import "time"

// Go's harness sleeps this long before it takes its profile for kernels
// whose goroutines need time (timers, many copies); the others get ten
// yields.
const (
	sleepShort = 100 * time.Millisecond
	sleepLong  = time.Second
)

// corpus returns the kernels in the order of the table.
func corpus() []kernel {
	return []kernel{
		{name: "cockroach584", what: "mutex", short: true,
			raw: cockroach584, owned: cockroach584Owned, fixed: cockroach584Fixed},
		{name: "cockroach1055", what: "waitgroup, mutex, chan", wait: sleepShort,
			raw: cockroach1055, owned: cockroach1055Owned, fixed: cockroach1055Fixed},
		{name: "cockroach7504", what: "mutex AB-BA", wait: sleepShort,
			flaky: "a pair deadlocks only when the two lock orders interleave (100 pairs leaked in 10 of 10 runs here)",
			raw:   cockroach7504, owned: cockroach7504Owned, fixed: cockroach7504Fixed},
		{name: "cockroach13197", what: "context",
			raw: cockroach13197, owned: cockroach13197Owned, fixed: cockroach13197Fixed},
		{name: "cockroach24808", what: "chan send, waitgroup",
			raw: cockroach24808, owned: cockroach24808Owned, fixed: cockroach24808Fixed},
		{name: "cockroach35931", what: "buffered chan",
			raw: cockroach35931, owned: cockroach35931Owned, fixed: cockroach35931Fixed},
		{name: "etcd5509", what: "rwmutex",
			raw: etcd5509, owned: etcd5509Owned, fixed: etcd5509Fixed},
		{name: "etcd6708", what: "rwmutex",
			raw: etcd6708, owned: etcd6708Owned, fixed: etcd6708Fixed},
		{name: "etcd10492", what: "mutex",
			raw: etcd10492, owned: etcd10492Owned, fixed: etcd10492Fixed},
		{name: "grpc660", what: "select, chan send",
			raw: grpc660, owned: grpc660Owned, fixed: grpc660Fixed},
		{name: "grpc862", what: "context, nested go",
			raw: grpc862, owned: grpc862Owned, fixed: grpc862Fixed},
		{name: "grpc1275", what: "select, chan recv", short: true, wait: sleepShort,
			raw: grpc1275, owned: grpc1275Owned, fixed: grpc1275Fixed},
		{name: "hugo3251", what: "rwmutex, waitgroup", wait: sleepLong,
			flaky: "a copy deadlocks only when two workers interleave between the two locks (11 copies leaked in 10 of 10 runs here)",
			raw:   hugo3251, owned: hugo3251Owned, fixed: hugo3251Fixed},
		{name: "istio17860", what: "chan send, context", wait: sleepShort,
			flaky: "an agent leaks only when Run returns before a restart's report (100 agents leaked in 10 of 10 runs here)",
			raw:   istio17860, owned: istio17860Owned, fixed: istio17860Fixed},
		{name: "kubernetes5316", what: "select, timer", wait: sleepShort,
			raw: kubernetes5316, owned: kubernetes5316Owned, fixed: kubernetes5316Fixed},
		{name: "kubernetes25331", what: "context, chan send",
			raw: kubernetes25331, owned: kubernetes25331Owned, fixed: kubernetes25331Fixed},
		{name: "kubernetes38669", what: "chan send", short: true,
			raw: kubernetes38669, owned: kubernetes38669Owned, fixed: kubernetes38669Fixed},
		{name: "moby7559", what: "mutex", wait: sleepShort,
			raw: moby7559, owned: moby7559Owned, fixed: moby7559Fixed},
		{name: "moby17176", what: "mutex, timer", wait: sleepShort,
			raw: moby17176, owned: moby17176Owned, fixed: moby17176Fixed},
		{name: "moby25348", what: "waitgroup",
			raw: moby25348, owned: moby25348Owned, fixed: moby25348Fixed},
		{name: "moby28462", what: "chan send, mutex", wait: sleepShort,
			raw: moby28462, owned: moby28462Owned, fixed: moby28462Fixed},
		{name: "moby30408", what: "cond",
			raw: moby30408, owned: moby30408Owned, fixed: moby30408Fixed},
		{name: "serving2137", what: "chan, mutex, waitgroup", wait: sleepShort,
			raw: serving2137, owned: serving2137Owned, fixed: serving2137Fixed},
		{name: "syncthing4829", what: "rwmutex",
			raw: syncthing4829, owned: syncthing4829Owned, fixed: syncthing4829Fixed},
		{name: "syncthing5795", what: "chan, select",
			raw: syncthing5795, owned: syncthing5795Owned, fixed: syncthing5795Fixed},

		{name: "leak1", what: "synthetic", short: true,
			raw: leakRaw(1), owned: leakOwned(1), fixed: leakFixed(1)},
		{name: "leak100", what: "synthetic",
			raw: leakRaw(100), owned: leakOwned(100), fixed: leakFixed(100)},
		{name: "leak2000", what: "synthetic", wait: sleepShort,
			raw: leakRaw(2000), owned: leakOwned(2000), fixed: leakFixed(2000)},
	}
}
