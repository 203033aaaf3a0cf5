package bot

import (
	"sync"

	"relman/store"
)

// replyCache keeps the encoded replies of lookups (Reply.Cacheable) for one
// generation of the store and one date: the same /release list by the same
// user is answered from memory until anything changes. The whole cache is
// dropped when the generation or the date moves, and when it fills up.
type replyCache struct {
	mu      sync.Mutex
	gen     uint64
	day     store.Date
	entries map[replyKey][]byte
}

type replyKey struct {
	user, zone, command, text string
}

// maxReplies bounds the cache; a full cache starts over.
const maxReplies = 1024

func (c *replyCache) get(gen uint64, day store.Date, k replyKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.day != day {
		return nil, false
	}
	b, ok := c.entries[k]
	return b, ok
}

func (c *replyCache) put(gen uint64, day store.Date, k replyKey, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.day != day || c.entries == nil || len(c.entries) >= maxReplies {
		c.gen, c.day, c.entries = gen, day, make(map[replyKey][]byte)
	}
	c.entries[k] = b
}
