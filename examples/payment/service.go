package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/custody-go/custody/safemap"
)

// An Order is what the service keeps: in its database, in Redis (as JSON)
// and in its in-process caches.
type Order struct {
	ID     string   `json:"id"`
	Amount int64    `json:"amount"` // in cents
	Status string   `json:"status"`
	Items  []string `json:"items,omitempty"`
}

// A service is the payment service: an HTTP API over orders, with an
// in-process cache in front of Redis and a database behind it. Each incident
// file holds the buggy and the fixed code of one of its handlers; variant
// says which runs.
type service struct {
	variant string // "buggy", "fixed", or "chanown" (incident 5 only)
	rdb     *redis.Client
	prefix  string // of this run's Redis keys
	srv     *httptest.Server

	cache safemap.Map[string, Order]  // incident 1: the orders this process has seen
	carts safemap.Map[string, *Order] // incident 4: carts being filled
	mu    sync.Mutex                  // incident 4, buggy variant only
	jobs  sync.WaitGroup              // incident 3: ledger jobs still running

	dbMu sync.Mutex
	db   map[string]Order // the database: slow, authoritative

	hits, misses atomic.Int64 // incident 1: Redis lookups
	cancelled    atomic.Int64 // incident 3: ledger jobs that failed with a cancelled context
	refused      atomic.Int64 // incident 5: sends chanown refused after close
}

// keyTTL bounds the life of every Redis key the demo writes, so that a run
// against a real Redis cleans up after itself.
const keyTTL = 10 * time.Minute

// start seeds a service with orders and serves it on a local test server.
// Requests to it carry ctx's values (the identity the oracle gave the run),
// so the goroutines and channels its handlers start belong to the run.
func start(ctx context.Context, name, variant, redisAddr string, orders int) (*service, error) {
	s := &service{
		variant: variant,
		prefix:  fmt.Sprintf("custody-demo:%d:%s:%s:", os.Getpid(), name, variant),
		db:      map[string]Order{},
		rdb: redis.NewClient(&redis.Options{
			Addr:                     redisAddr,
			Protocol:                 2,
			DisableIdentity:          true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		}),
	}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("payment: redis at %s: %w", redisAddr, err)
	}
	for i := range orders {
		id := orderID(i)
		s.db[id] = Order{ID: id, Amount: int64(1000 + 10*i), Status: "new"}
	}
	s.srv = httptest.NewUnstartedServer(s.routes())
	s.srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	s.srv.Start()
	return s, nil
}

// close stops the server, waiting for its handlers and their ledger jobs,
// and closes the Redis client.
func (s *service) close() {
	s.srv.Close()
	s.jobs.Wait()
	s.rdb.Close()
}

func (s *service) buggy() bool { return s.variant == "buggy" }

func orderID(i int) string { return fmt.Sprintf("order-%02d", i) }

func (s *service) key(id string) string { return s.prefix + id }

// routes returns the service's HTTP API. The code of each handler is in the
// file of its incident.
func (s *service) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(s.getOrder(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("POST /orders/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(nil, s.pay(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("POST /orders/{id}/authorize", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(s.authorize(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("POST /orders/{id}/capture", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(nil, s.capture(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("POST /orders/{id}/items", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(nil, s.addItem(r.Context(), r.PathValue("id"), r.URL.Query().Get("sku")))
	})
	mux.HandleFunc("GET /orders/{id}/cart", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(s.cart(r.PathValue("id")))
	})
	mux.HandleFunc("GET /orders/{id}/quote", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(s.quote(r.Context(), r.PathValue("id")))
	})
	return mux
}

// reply returns a function that answers with v as JSON, or with err.
func reply(w http.ResponseWriter) func(v any, err error) {
	return func(v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
}

// call sends a request to the service and decodes its JSON answer into out,
// if out is not nil.
func (s *service) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.srv.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, body)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

var errNotFound = errors.New("payment: no such order")

// fromDB reads an order from the database.
func (s *service) fromDB(id string) (Order, bool) {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	o, ok := s.db[id]
	return o, ok
}

// setStatus changes an order's status in the database.
func (s *service) setStatus(id, status string) bool {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	o, ok := s.db[id]
	if ok {
		o.Status = status
		s.db[id] = o
	}
	return ok
}

// fromRedis reads an order from Redis. A zero order there is as good as a
// miss: the caller needs the order, not its key.
func (s *service) fromRedis(ctx context.Context, id string) (Order, bool) {
	b, err := s.rdb.Get(ctx, s.key(id)).Bytes()
	var o Order
	if err != nil || json.Unmarshal(b, &o) != nil || o.ID == "" {
		return Order{}, false
	}
	return o, true
}

// toRedis writes o to Redis under id.
func (s *service) toRedis(ctx context.Context, id string, o Order) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return s.rdb.Set(ctx, s.key(id), b, keyTTL).Err()
}

// callGateway stands for a call to the payment gateway: a Redis round trip.
func (s *service) callGateway(ctx context.Context, id string) error {
	return s.rdb.Set(ctx, s.key("gateway:"+id), "called", keyTTL).Err()
}

// percent formats n of total as a percentage.
func percent(n, total int64) string {
	if total == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64) + "%"
}
