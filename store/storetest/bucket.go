package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func testBuckets(t *testing.T, kv store.KV) {
	view(t, kv, func(tx store.KVTx) {
		if tx.Writable() {
			t.Error("Writable() of a read-only transaction = true")
		}
		if b := tx.Bucket(bucket); b != nil {
			t.Errorf("Bucket(%q) of a new KV = %v; want nil", bucket, b)
		}
		if err := tx.CreateBucketIfNotExists(bucket); err == nil {
			t.Error("CreateBucketIfNotExists in a read-only transaction = nil; want an error")
		}
	})
	update(t, kv, func(tx store.KVTx) {
		if !tx.Writable() {
			t.Error("Writable() of a read-write transaction = false")
		}
		for range 2 {
			if err := tx.CreateBucketIfNotExists(bucket); err != nil {
				t.Fatalf("CreateBucketIfNotExists(%q) = %v", bucket, err)
			}
		}
		put(t, mustBucket(t, tx, bucket), "k", "in things")
		if err := tx.CreateBucketIfNotExists([]byte("other")); err != nil {
			t.Fatalf("CreateBucketIfNotExists(other) = %v", err)
		}
		if got := mustBucket(t, tx, []byte("other")).Get([]byte("k")); got != nil {
			t.Errorf("Get(k) in another bucket = %q; want nil: buckets are separate", got)
		}
	})
	update(t, kv, func(tx store.KVTx) {
		if err := tx.CreateBucketIfNotExists(bucket); err != nil {
			t.Fatalf("CreateBucketIfNotExists(%q) of an existing bucket = %v", bucket, err)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		if diff := cmp.Diff([][2]string{{"k", "in things"}}, contents(t, tx, bucket)); diff != "" {
			t.Errorf("bucket after creating it again (-want +got):\n%s", diff)
		}
	})
}

func testGetPutDelete(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		if got := b.Get([]byte("a")); got != nil {
			t.Errorf("Get(a) of a missing key = %q; want nil", got)
		}
		key := []byte("a")
		if err := b.Put(key, []byte("1")); err != nil {
			t.Fatal(err)
		}
		key[0] = 'z' // the bucket does not retain keys
		if got := string(b.Get([]byte("a"))); got != "1" {
			t.Errorf("Get(a) after Put(a, 1) in the same transaction = %q; want 1", got)
		}
		put(t, b, "b", "2")
		put(t, b, "b", "3")
		put(t, b, "c", "")
		if got := b.Get([]byte("c")); got == nil || len(got) != 0 {
			t.Errorf("Get(c) after Put(c, empty) = %v; want an empty, non-nil value", got)
		}
		if err := b.Delete([]byte("missing")); err != nil {
			t.Errorf("Delete(missing) = %v; want nil", err)
		}
	})
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		if err := b.Delete([]byte("c")); err != nil {
			t.Fatalf("Delete(c) = %v", err)
		}
		if got := b.Get([]byte("c")); got != nil {
			t.Errorf("Get(c) after Delete(c) = %q; want nil", got)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		want := [][2]string{{"a", "1"}, {"b", "3"}}
		if diff := cmp.Diff(want, contents(t, tx, bucket)); diff != "" {
			t.Errorf("committed data (-want +got):\n%s", diff)
		}
	})
}

// keys are byte strings whose byte order differs from other orders one
// might implement by mistake: prefixes, bytes above 0x7f, NULs, and
// numbers whose decimal and byte orders disagree.
var keys = []string{
	"", "\x00", "\x00\x00", "\x01", "1", "10", "2", "A", "Z", "a", "a\x00", "a@1", "a@1.0", "a@10", "a@2", "a-b@1", "ab",
	"payments@2.3.0", "payments@2.3.0 ext:stripe sdk", "payments@2.3.0 payments@2.2.0", "\x7f", "\x80", "é", "\xff", "\xff\xff",
}

func testKeyOrder(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	want := slices.Clone(keys[1:]) // not the empty key
	slices.SortFunc(want, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) })
	shuffled := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		for _, k := range shuffled {
			put(t, b, k, "v"+k)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		var got []string
		for _, kv := range contents(t, tx, bucket) {
			got = append(got, kv[0])
			if kv[1] != "v"+kv[0] {
				t.Errorf("value of %q = %q; want %q", kv[0], kv[1], "v"+kv[0])
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keys from a cursor (-want +got):\n%s", diff)
		}
		c := mustBucket(t, tx, bucket).Cursor()
		for _, seek := range []string{"", "\x00\x00\x00", "a@1", "a@1.", "a@3", "payments@2.3.0 ", "\xfe", "\xff\xff\xff"} {
			k, v := c.Seek([]byte(seek))
			i, _ := slices.BinarySearchFunc(want, seek, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) })
			if i == len(want) {
				if k != nil {
					t.Errorf("Seek(%q) past the last key = %q; want nil", seek, k)
				}
				continue
			}
			if string(k) != want[i] || string(v) != "v"+want[i] {
				t.Errorf("Seek(%q) = %q, %q; want %q, %q", seek, k, v, want[i], "v"+want[i])
			}
			if i+1 < len(want) {
				if k, _ := c.Next(); string(k) != want[i+1] {
					t.Errorf("Next() after Seek(%q) = %q; want %q", seek, k, want[i+1])
				}
			}
		}
		c.Seek([]byte(want[len(want)-1]))
		if k, v := c.Next(); k != nil || v != nil {
			t.Errorf("Next() after the last key = %q, %q; want nil, nil", k, v)
		}
	})
}

func testCursorPages(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	const n = 5000 // with 200-byte values, many pages of any backend
	value := func(i int) string { return fmt.Sprintf("%0200d", i) }
	key := func(i int) string { return fmt.Sprintf("key-%06d", i) }
	// Written in two transactions, in an order that is not the key order.
	for part := range 2 {
		update(t, kv, func(tx store.KVTx) {
			b := mustBucket(t, tx, bucket)
			for j := range n {
				if i := (j * 7919) % n; i%2 == part {
					put(t, b, key(i), value(i))
				}
			}
		})
	}
	view(t, kv, func(tx store.KVTx) {
		c := mustBucket(t, tx, bucket).Cursor()
		i := 0
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			if string(k) != key(i) || string(v) != value(i) {
				t.Fatalf("cursor's key %d = %q (value %.12q…); want %q", i, k, v, key(i))
			}
			i++
		}
		if i != n {
			t.Errorf("cursor walked %d keys; want %d", i, n)
		}
		for _, at := range []int{0, 1, n / 3, n / 2, n - 1} {
			k, _ := c.Seek([]byte(key(at)))
			for j := at; j < min(at+300, n); j++ {
				if string(k) != key(j) {
					t.Fatalf("key %d after Seek(%q) = %q; want %q", j-at, key(at), k, key(j))
				}
				k, _ = c.Next()
			}
		}
		// Backwards from the last key, as the audit log is read newest
		// first, and from a Seek.
		i = n - 1
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if string(k) != key(i) || string(v) != value(i) {
				t.Fatalf("cursor's key %d backwards = %q (value %.12q…); want %q", i, k, v, key(i))
			}
			i--
		}
		if i != -1 {
			t.Errorf("cursor walked back to key %d; want -1 (all %d keys)", i, n)
		}
		for _, at := range []int{1, n / 2, n - 1} {
			k, _ := c.Seek([]byte(key(at)))
			for j := at; j > max(at-300, 0); j-- {
				if string(k) != key(j) {
					t.Fatalf("key %d before Seek(%q) = %q; want %q", at-j, key(at), k, key(j))
				}
				k, _ = c.Prev()
			}
			// And forwards again from where it turned.
			k, _ = c.Next()
			if want := key(max(at-300, 0) + 1); string(k) != want {
				t.Fatalf("Next after walking back from %q = %q; want %q", key(at), k, want)
			}
		}
		// A cursor over a prefix, as the store lists one product's releases.
		prefix := []byte("key-0025")
		var got int
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			got++
		}
		if got != 100 {
			t.Errorf("keys with prefix %q = %d; want 100", prefix, got)
		}
	})
}
