package store

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"
)

// slowReader is a KVReader whose reads wait for release, each returning
// the generation current when the read started.
type slowReader struct {
	mu      sync.Mutex
	gen     uint64
	reads   int
	started chan struct{}
	release chan struct{}
}

func (r *slowReader) ReadKey(ctx context.Context, bucket, key []byte) ([]byte, error) {
	r.mu.Lock()
	r.reads++
	gen := r.gen
	r.mu.Unlock()
	r.started <- struct{}{}
	<-r.release
	return binary.BigEndian.AppendUint64(nil, gen), nil
}

// TestGenerationReadAfterAsking: a lookup that asks while a read is under
// way waits for the next read, so it sees a change committed before it
// asked; those asking together share one read.
func TestGenerationReadAfterAsking(t *testing.T) {
	r := &slowReader{gen: 1, started: make(chan struct{}, 10), release: make(chan struct{})}
	g := &genReads{r: r}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	first := make(chan uint64)
	go func() { gen, _ := g.get(ctx); first <- gen }()
	<-r.started // the first read is under way, seeing generation 1
	r.mu.Lock()
	r.gen = 2 // a change commits meanwhile
	r.mu.Unlock()
	const later = 5
	results := make(chan uint64, later)
	for range later {
		go func() {
			gen, _ := g.get(ctx)
			results <- gen
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		g.mu.Lock()
		joined := 0
		if g.next != nil {
			joined = g.next.waiters
		}
		g.mu.Unlock()
		if joined == later {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lookups joined the next read", joined, later)
		}
	}
	r.release <- struct{}{} // the first read answers 1
	if gen := <-first; gen != 1 {
		t.Errorf("first lookup's generation = %d; want 1", gen)
	}
	<-r.started
	r.release <- struct{}{}
	for range later {
		if gen := <-results; gen != 2 {
			t.Errorf("a lookup that asked during the first read got generation %d; want 2 (read after it asked)", gen)
		}
	}
	if r.reads != 2 {
		t.Errorf("%d reads for %d lookups; want 2", r.reads, later+1)
	}
}
