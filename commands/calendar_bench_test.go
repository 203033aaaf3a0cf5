package commands_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"relman/commands/calendar"
	"relman/store"
	"relman/store/boltdb"
)

// BenchmarkCalendarFeed10k serves the calendar feed of every product at
// the scale of MustOrgStore (10,000 releases, 31,000 dependencies, so
// about 41,000 events; 50 open CRs and 20 freezes added here):
//
//   - Cold: a Feeds that remembers no ETag, so the whole body is built and
//     hashed each time (the Graph of the generation is shared, as it is
//     in a serving process after the first lookup).
//   - Cold/OtherProcess: as Cold, through a Store opened anew each time
//     (opening is not timed), so the Graph is decoded from the database
//     too: the first request after a change made by another replica.
//   - Cold/5Products: the feed of 5 of the 500 products.
//   - NotModified: If-None-Match names the current ETag: the 304 path.
func BenchmarkCalendarFeed10k(b *testing.B) {
	path := MustOrgStore(b)
	kv, err := boltdb.OpenKV(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer kv.Close()
	st, err := store.New(context.Background(), kv, path)
	if err != nil {
		b.Fatal(err)
	}
	var all, some string
	err = st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		rs := g.Releases()
		for i := range 50 {
			cr := &store.ChangeRequest{Release: rs[i*97].Ref, Title: "bench change", Requester: alice, Deadline: epoch.Add(time.Duration(i) * 24 * time.Hour)}
			if err := tx.NewChangeRequest("ccb.request", cr); err != nil {
				return err
			}
		}
		day := store.DateOf(epoch, time.UTC)
		for i := range 20 {
			f := &store.Freeze{Products: []string{rs[i*13].Product}, From: day.AddDays(i * 20), To: day.AddDays(i*20 + 3), Reason: "bench"}
			if err := tx.NewFreeze("freeze.add", f); err != nil {
				return err
			}
		}
		if all, _, err = tx.NewCalendarFeed("calendar.subscribe", alice, nil); err != nil {
			return err
		}
		some, _, err = tx.NewCalendarFeed("calendar.subscribe", alice, []string{"payments-000", "payments-001", "payments-002", "payments-003", "payments-004"})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	feed := func(b *testing.B, f *calendar.Feeds, token, inm string) calendar.FeedReply {
		r, err := f.Feed(context.Background(), token, inm)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	first := feed(b, &calendar.Feeds{Store: st, Loc: time.UTC}, all, "")
	b.Logf("feed of every product: %d bytes, %d events", len(first.Body), bytes.Count(first.Body, []byte("BEGIN:VEVENT")))

	b.Run("Cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := feed(b, &calendar.Feeds{Store: st, Loc: time.UTC}, all, ""); len(r.Body) != len(first.Body) {
				b.Fatalf("body of %d bytes; want %d", len(r.Body), len(first.Body))
			}
		}
	})
	b.Run("Cold/OtherProcess", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			other, err := store.New(context.Background(), kv, path)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			feed(b, &calendar.Feeds{Store: other, Loc: time.UTC}, all, "")
		}
	})
	b.Run("Cold/5Products", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			feed(b, &calendar.Feeds{Store: st, Loc: time.UTC}, some, "")
		}
	})
	// What golang-ical's own writer would cost for the same events: the
	// feed's events, read back, serialised again by the library (the
	// properties and values are the ones the feed has, so this is the
	// serialisation alone, without building the events).
	b.Run("LibrarySerialisationOnly", func(b *testing.B) {
		cal, err := ics.ParseCalendar(bytes.NewReader(first.Body))
		if err != nil {
			b.Fatal(err)
		}
		events := cal.Events()
		cfg := &ics.SerializationConfiguration{MaxLength: 75, PropertyMaxLength: 75, NewLine: "\r\n"}
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			for _, e := range events {
				if err := e.SerializeTo(&buf, cfg); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("NotModified", func(b *testing.B) {
		f := &calendar.Feeds{Store: st, Loc: time.UTC}
		etag := feed(b, f, all, "").ETag
		b.ReportAllocs()
		for b.Loop() {
			if r := feed(b, f, all, etag); !r.NotModified {
				b.Fatal("not a 304")
			}
		}
	})
}

// BenchmarkCalendarFeedList10k is the cold feed of every product at the
// scale of MustBenchStore: 10,000 releases with about 5,000 dependencies
// (about 15,000 events), fewer edges than MustOrgStore's.
func BenchmarkCalendarFeedList10k(b *testing.B) {
	st := MustBenchStore(b, 10_000)
	var token string
	if err := st.Update(context.Background(), alice, epoch, func(tx *store.Tx) (err error) {
		token, _, err = tx.NewCalendarFeed("calendar.subscribe", alice, nil)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := (&calendar.Feeds{Store: st}).Feed(context.Background(), token, ""); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (&calendar.Feeds{Store: st}).Feed(context.Background(), token, ""); err != nil {
			b.Fatal(err)
		}
	}
}
