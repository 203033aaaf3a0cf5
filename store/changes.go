package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// bucketChanges records, for each generation, the keys of the releases,
// external items and dependencies the commit that made it wrote (schema
// 7), so that a process holding the Graph of an earlier generation (another
// process made the change) can bring it up to date by reading those keys
// rather than decoding everything.
var bucketChanges = []byte("changes")

// keepChanges is how many generations' change records are kept; a process
// further behind decodes everything.
const keepChanges = 1024

// changeSet is the change record of one generation: store keys by bucket.
type changeSet struct {
	Releases  []string `json:"r,omitempty"`
	Externals []string `json:"x,omitempty"`
	Deps      []string `json:"d,omitempty"`
}

// recordChanges writes the change record of generation gen (what tx
// wrote) and forgets the one keepChanges generations older.
func (tx *Tx) recordChanges(gen uint64) error {
	b := tx.kv.Bucket(bucketChanges)
	t := &tx.touched
	v, err := json.Marshal(changeSet{Releases: slices.Sorted(maps.Keys(t.rels)), Externals: slices.Sorted(maps.Keys(t.exts)), Deps: slices.Sorted(maps.Keys(t.deps))})
	if err != nil {
		return err
	}
	if err := b.Put(seqKey(gen), v); err != nil {
		return err
	}
	if gen > keepChanges {
		return b.Delete(seqKey(gen - keepChanges))
	}
	return nil
}

// catchUp returns the Graph of tx's generation made from base, the Graph
// of the earlier generation from, by applying what the commits in between
// wrote (as tx reads it now); nil when a change record is missing (pruned,
// or the commit was made by a relman that wrote none).
func (tx *Tx) catchUp(base *Graph, from uint64) (*Graph, error) {
	if from >= tx.gen || tx.gen-from > keepChanges {
		return nil, nil
	}
	b := tx.kv.Bucket(bucketChanges)
	var d delta
	buckets := [...][]byte{bucketReleases, bucketExternals, bucketDeps}
	for gen := from + 1; gen <= tx.gen; gen++ {
		v := b.Get(seqKey(gen))
		if v == nil {
			return nil, nil
		}
		var cs changeSet
		if err := json.Unmarshal(v, &cs); err != nil {
			return nil, fmt.Errorf("decode the changes of generation %d: %w", gen, err)
		}
		for i, keys := range [...][]string{cs.Releases, cs.Externals, cs.Deps} {
			kb := tx.kv.Bucket(buckets[i])
			for _, k := range keys {
				var val []byte
				if got := kb.Get(tx.key(k)); got != nil {
					val = append([]byte{}, got...)
				}
				d.record(buckets[i], k, val)
			}
		}
	}
	if err := kvErr(tx.kv); err != nil {
		return nil, fmt.Errorf("catch up the graph: %w", err) // never build a graph on a failed read
	}
	if d.empty() {
		return base, nil
	}
	return base.apply(&d)
}

// caughtUp returns the Graph of tx's generation brought up from the
// store's Graph of an earlier one, or nil when it cannot be (none, or a
// gap in the change records).
func (tx *Tx) caughtUp() (*Graph, error) {
	c := tx.s.graph.Load()
	if c == nil || c.gen >= tx.gen {
		return nil, nil
	}
	return tx.catchUp(c.g, c.gen)
}
