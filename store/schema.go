package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
)

// CheckSchema reads, in one read-only transaction of kv, the schema
// version of the data and checks that every bucket that version (and each
// before it) introduced is there, without changing anything. It returns
// the version: 0 for a database relman has not written to. A missing
// bucket is an error naming it, since New would create it empty again and
// what it held would be lost without a word. A version newer than
// SchemaVersion is returned without error: New refuses it with its own
// message.
func CheckSchema(ctx context.Context, kv KV) (int, error) {
	t, err := kv.Begin(ctx, false)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	v := 0
	meta := t.Bucket(bucketMeta)
	if meta != nil {
		if b := meta.Get(keySchema); len(b) == 4 {
			v = int(binary.BigEndian.Uint32(b))
		} else if b != nil {
			return 0, fmt.Errorf("the schema version in bucket %q is %d bytes long; want 4", bucketMeta, len(b))
		}
	}
	if v > SchemaVersion {
		return v, nil
	}
	var missing []string
	for n := 1; n <= v; n++ {
		for _, name := range schemaBuckets[n] {
			if t.Bucket(name) == nil {
				missing = append(missing, fmt.Sprintf("%q (schema %d)", name, n))
			}
		}
	}
	if err := kvErr(t); err != nil {
		return 0, fmt.Errorf("the database failed: %w", err)
	}
	if len(missing) > 0 {
		return v, fmt.Errorf("the data has schema version %d but lacks its buckets %s", v, strings.Join(missing, ", "))
	}
	return v, nil
}
