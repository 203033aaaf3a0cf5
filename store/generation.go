package store

import (
	"context"
	"encoding/binary"
	"runtime"
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
type genReads struct {
	r KVReader

	mu      sync.Mutex
	next    *genRead // the read the next askers join; nil when none waits
	running bool     // a goroutine is reading

	asks, reads atomic.Uint64 // lookups that asked; round trips made
}

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
	if !g.running {
		g.running = true
		go g.run()
	}
	g.mu.Unlock()
	select {
	case <-r.done:
		return r.gen, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run reads the generation for each batch of askers until none waits.
func (g *genReads) run() {
	for {
		// Let lookups that are ready to run ask first: on a busy machine
		// they join this read instead of each waiting for the next.
		runtime.Gosched()
		g.mu.Lock()
		r := g.next
		g.next = nil
		if r == nil {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), genReadTimeout)
		g.reads.Add(1)
		b, err := g.r.ReadKey(ctx, bucketMeta, keyGeneration)
		cancel()
		if err == nil && len(b) == 8 {
			r.gen = binary.BigEndian.Uint64(b)
		}
		r.err = err
		close(r.done)
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

// GenerationKey returns where the generation is kept: the bucket and key
// every transaction of the store reads first. A database server's KV may
// read it together with the start of a read-only transaction, in one round
// trip (store/postgres).
func GenerationKey() (bucket, key []byte) {
	return append([]byte(nil), bucketMeta...), append([]byte(nil), keyGeneration...)
}
