package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// genReads shares the generation reads of a KVReader among the lookups
// waiting for one. Every cached lookup reads the generation first, and on
// a database server that is a round trip each; a lookup instead joins the
// next read to start, never one already under way, so the generation it
// gets was read after it asked: it still sees every change committed
// before, by any process, and many concurrent lookups cost one round trip.
// Up to max reads run at once, so a lookup that asks while one is under
// way starts the next at once rather than waiting for it to end: its wait
// is one round trip, not up to two.
type genReads struct {
	r   KVReader
	max int // reads under way at most; 0 for defaultGenReads

	mu       sync.Mutex
	next     *genRead // the read the next askers join; nil when none waits
	inflight int      // reads under way

	asks, reads atomic.Uint64 // lookups that asked; round trips made
}

// defaultGenReads is how many generation reads run at once by default.
const defaultGenReads = 2

// genRead is one read of the generation, shared by those who joined it.
type genRead struct {
	done    chan struct{} // closed when gen and err are set
	gen     uint64
	err     error
	waiters int // how many joined it
}

// genReadTimeout bounds one shared read; an asker's own ctx bounds its wait.
const genReadTimeout = 5 * time.Second

// get returns the generation as read after get was called.
func (g *genReads) get(ctx context.Context) (uint64, error) {
	g.mu.Lock()
	if g.next == nil {
		g.next = &genRead{done: make(chan struct{})}
	}
	r := g.next
	r.waiters++
	g.asks.Add(1)
	if g.inflight < cmp.Or(g.max, defaultGenReads) {
		g.start()
	}
	g.mu.Unlock()
	select {
	case <-r.done:
		return r.gen, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// start begins g.next in a goroutine of its own; g.mu is held.
func (g *genReads) start() {
	r := g.next
	g.next = nil
	g.inflight++
	go g.run(r)
}

// run reads the generation for r, then for the askers who joined the next
// read meanwhile, until none waits.
func (g *genReads) run(r *genRead) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), genReadTimeout)
		g.reads.Add(1)
		b, err := g.r.ReadKey(ctx, bucketMeta, keyGeneration)
		cancel()
		if err == nil && len(b) == 8 {
			r.gen = binary.BigEndian.Uint64(b)
		}
		r.err = err
		close(r.done)

		g.mu.Lock()
		if r = g.next; r == nil {
			g.inflight--
			g.mu.Unlock()
			return
		}
		g.next = nil
		g.mu.Unlock()
	}
}

// GenerationReads returns how many times Generation was asked and how many
// reads of the database served those asks (they share reads: asks/reads is
// how many lookups each round trip served). Both are 0 for a KV whose
// generation is read in a transaction of its own (bbolt).
func (s *Store) GenerationReads() (asks, reads uint64) {
	if s.gens == nil {
		return 0, 0
	}
	return s.gens.asks.Load(), s.gens.reads.Load()
}
