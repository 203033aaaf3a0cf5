package calendar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	ics "github.com/arran4/golang-ical"

	"relman/commands/render"
	"relman/store"
)

// Feeds answers requests for calendar feeds (`GET /calendar/<token>.ics`):
// an iCalendar (RFC 5545) document of all-day events for the release
// targets, needed-by dates, open CR deadlines and freezes of a
// subscription's products.
//
// A feed's body is a pure function of the data (no clock is read), so its
// ETag, a hash of the body, is the same in every process and after a
// restart. Feeds remembers, per subscription, the ETag of the body it last
// built and the store.FeedStamp it was built at: while the stamp is the same,
// an If-None-Match naming that ETag is answered Not Modified without
// building the body again.
type Feeds struct {
	Store *store.Store
	// Loc is the workspace time zone: a CR's deadline (an instant) is shown
	// on its date there.
	Loc *time.Location

	mu   sync.Mutex
	tags map[string]feedTag // by CalendarFeed.Key
}

type feedTag struct {
	stamp store.FeedStamp
	etag  string
}

// FeedReply is the answer to one request for a feed.
type FeedReply struct {
	ETag string // quoted, as the header carries it
	// NotModified says the caller's If-None-Match named ETag: Body is nil.
	NotModified bool
	Body        []byte
}

// Feed returns the feed whose token is token. ifNoneMatch is the request's
// If-None-Match header ("" when none). A token that is malformed, unknown or
// revoked gives an ENotFound *store.Error that says nothing more.
func (f *Feeds) Feed(ctx context.Context, token, ifNoneMatch string) (FeedReply, error) {
	var out FeedReply
	err := f.Store.View(ctx, func(tx *store.Tx) error {
		feed, err := tx.CalendarFeedByToken(token)
		if err != nil {
			if store.ErrorCode(err) == store.ENotFound {
				f.forget(store.CalendarKey(token))
			}
			return err
		}
		stamp := tx.FeedStamp()
		if ifNoneMatch != "" {
			if t, ok := f.tag(feed.Key); ok && t.stamp == stamp && etagMatch(ifNoneMatch, t.etag) {
				out = FeedReply{ETag: t.etag, NotModified: true}
				return nil
			}
		}
		body, err := Body(tx, feed, f.loc())
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:16]) + `"`
		f.remember(feed.Key, feedTag{stamp: stamp, etag: etag})
		if ifNoneMatch != "" && etagMatch(ifNoneMatch, etag) {
			out = FeedReply{ETag: etag, NotModified: true}
			return nil
		}
		out = FeedReply{ETag: etag, Body: body}
		return nil
	})
	return out, err
}

func (f *Feeds) loc() *time.Location {
	if f.Loc == nil {
		return time.UTC
	}
	return f.Loc
}

func (f *Feeds) tag(key string) (feedTag, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tags[key]
	return t, ok
}

func (f *Feeds) remember(key string, t feedTag) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tags == nil {
		f.tags = make(map[string]feedTag)
	}
	f.tags[key] = t
}

func (f *Feeds) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tags, key)
}

// etagMatch reports whether an If-None-Match header names etag: "*", or a
// comma-separated list of entity tags compared weakly (RFC 9110 §13.1.2).
func etagMatch(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}

// uidDomain ends every event's UID.
const uidDomain = "@relman"

// Body writes the iCalendar document of feed as tx sees the data:
// for the feed's products (none: every product), an all-day event for
// each release's target (its ship date once shipped; cancelled releases
// are left out), for each dependency of a planned release whose needed-by
// date is set to a day other than the release's target, for the deadline
// of each open change request (its date in loc), and for each freeze that
// covers one of the products or all of them, over its days.
//
// A dependency needed by its consumer's target (the default) has no event
// of its own: the release's event is on that day already, and its
// description names everything the release needs, with each provider's
// date; a second event on the same day for each dependency would only
// crowd the day of a release with several.
//
// Event UIDs come from what the event is about, never its dates
// (Release.StableID, CR and freeze numbers), so a moved release moves in
// a subscribed calendar instead of appearing twice; SEQUENCE counts the
// changes to it, and DTSTAMP says when it last changed. One-day events
// have no DTEND (RFC 5545 §3.6.1: an all-day event without one lasts the
// day). The document depends on nothing but tx and loc.
func Body(tx *store.Tx, feed *store.CalendarFeed, loc *time.Location) ([]byte, error) {
	o, err := tx.Outlook()
	if err != nil {
		return nil, err
	}
	g, crs, freezes := o.Graph, o.OpenCRs, o.Freezes
	cal := ics.NewCalendarFor("relman")
	cal.SetProductId("-//relman//Release calendar//EN")
	cal.SetCalscale("GREGORIAN")
	name := "Releases · " + render.ProductList(feed.Products)
	cal.SetName(name)
	cal.SetXWRCalName(name)
	cal.SetXWRCalDesc("Release targets, needed-by dates, change request deadlines and freezes from relman")
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")

	var products []string
	if len(feed.Products) == 0 {
		for _, r := range g.Releases() {
			if len(products) == 0 || products[len(products)-1] != r.Product {
				products = append(products, r.Product)
			}
		}
	} else {
		products = feed.Products
	}
	var items []feedItem
	for _, p := range products {
		for _, r := range g.ReleasesOf(p) {
			if r.Status != store.Cancelled {
				items = append(items, feedItem{release: r})
			}
		}
	}
	for i := range crs {
		if cr := &crs[i]; cr.Open() && feed.Covers(cr.Release.Product) {
			items = append(items, feedItem{cr: cr})
		}
	}
	for i := range freezes {
		if fz := &freezes[i]; fz.All() || len(feed.Products) == 0 || coversAny(fz, feed.Products) {
			items = append(items, feedItem{freeze: fz})
		}
	}

	// The calendar's own lines (golang-ical writes them), then the events,
	// then its end. Events are written in parts by as many goroutines as
	// there are CPUs, each part into its own buffer, and joined in order,
	// so the document is the same however many wrote it.
	// RFC 5545 §3.1: lines end with CRLF (the library's default is the
	// platform's line ending).
	cfg := &ics.SerializationConfiguration{MaxLength: icsLineMax, PropertyMaxLength: icsLineMax, NewLine: string(ics.WithNewLineWindows)}
	const end = "END:VCALENDAR"
	head := cal.Serialize(cfg)
	head = strings.TrimSuffix(head, end+cfg.NewLine)
	parts := min(runtime.GOMAXPROCS(0), max(1, len(items)/1000))
	ws := make([]icsWriter, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(items)/parts, (p+1)*len(items)/parts
		wg.Go(func() {
			w := &ws[p]
			w.b = make([]byte, 0, 512*(hi-lo))
			for i := lo; i < hi; i++ {
				items[i].write(w, g, loc)
			}
		})
	}
	wg.Wait()
	n := len(head) + len(end) + len(cfg.NewLine)
	for i := range ws {
		n += len(ws[i].b)
	}
	b := make([]byte, 0, n)
	b = append(b, head...)
	for i := range ws {
		b = append(b, ws[i].b...)
	}
	b = append(b, end...)
	return append(b, cfg.NewLine...), nil
}

// feedItem is what one event of a feed is about: a release (with the
// needs of its dependencies that have their own dates), a change request
// or a freeze.
type feedItem struct {
	release *store.Release
	cr      *store.ChangeRequest
	freeze  *store.Freeze
}

func (it *feedItem) write(w *icsWriter, g *store.Graph, loc *time.Location) {
	switch {
	case it.release != nil:
		writeRelease(w, g, it.release)
	case it.cr != nil:
		writeCR(w, it.cr, loc)
	default:
		writeFreeze(w, it.freeze)
	}
}

func coversAny(f *store.Freeze, products []string) bool {
	for _, p := range products {
		if f.Covers(p) {
			return true
		}
	}
	return false
}

// beginDay begins an all-day event from first to last (inclusive): its
// UID is kind, id and uidDomain; seq counts its changes and modified is
// when it last changed.
func (w *icsWriter) beginDay(kind, id string, first, last store.Date, seq int, modified time.Time) {
	w.line1("BEGIN:VEVENT")
	w.prop("UID:")
	w.text(kind)
	w.text(id)
	w.text(uidDomain)
	w.end()
	w.prop("DTSTAMP:")
	w.stamp(modified)
	w.end()
	w.prop("SEQUENCE:")
	w.b = strconv.AppendInt(w.b, int64(seq), 10)
	w.end()
	w.prop("DTSTART;VALUE=DATE:")
	w.date(first)
	w.end()
	if last != first {
		w.prop("DTEND;VALUE=DATE:")
		w.date(last.AddDays(1)) // DTEND is exclusive
		w.end()
	}
}

// endDay ends an event, in category (none when ""): it does not make its
// subscriber busy.
func (w *icsWriter) endDay(category string) {
	if category != "" {
		w.prop("CATEGORIES:")
		w.text(category)
		w.end()
	}
	w.line1("TRANSP:TRANSPARENT")
	w.line1("END:VEVENT")
}

// lastChange is when r last changed: its last history entry, else when it
// was added.
func lastChange(r *store.Release) time.Time {
	if n := len(r.History); n > 0 && !r.History[n-1].At.IsZero() {
		return r.History[n-1].At
	}
	return r.CreatedAt
}

// provided is what a release needs from one provider.
type provided struct {
	dep  *store.Dependency
	rel  *store.Release // the provider, unless it is an external item
	name string         // an external item's name
	id   string         // an external item's "ext:" and key; a release's is its StableID
	// status and date say where the provider stands: "expected", "shipped"
	// or "due" on date, or "cancelled".
	status string
	date   store.Date
}

// needsOf appends to buf what r needs (nothing unless it is planned),
// leaving out edges to a provider that no longer exists.
func needsOf(buf []provided, g *store.Graph, r *store.Release) []provided {
	if r.Status != store.Planned {
		return buf
	}
	g.EachNeed(r.Ref, func(d *store.Dependency, p *store.Release, x *store.External) {
		if x != nil {
			buf = append(buf, provided{dep: d, name: x.Name, id: "ext:" + d.External, status: "due", date: x.Due})
			return
		}
		n := provided{dep: d, rel: p, status: "expected", date: p.Date()}
		switch p.Status {
		case store.Shipped:
			n.status = "shipped"
		case store.Cancelled:
			n.status = "cancelled"
		}
		if render.InStage(d.Stage) != "" && p.Status != store.Cancelled {
			// Needed in a stage: where the provider stands in it.
			var reached bool
			if n.date, reached = p.StageDate(d.Stage); reached {
				n.status = "in " + d.Stage
			} else {
				n.status = "expected in " + d.Stage
			}
		}
		buf = append(buf, n)
	})
	return buf
}

// ownEvent reports whether the need has an event of its own: its
// needed-by date is set to a day other than the consumer's target.
func (n *provided) ownEvent(consumer *store.Release) bool {
	return !n.dep.NeededBy.IsZero() && n.dep.NeededBy != consumer.Target
}

// provider appends the provider's name.
func (w *icsWriter) provider(n *provided) {
	if n.rel != nil {
		w.ref(n.rel.Ref)
		w.text(render.InStage(n.dep.Stage))
	} else {
		w.text(n.name)
	}
}

// ref appends a release's reference: payments@2.3.0.
func (w *icsWriter) ref(r store.Ref) {
	w.text(r.Product)
	w.text("@")
	w.text(r.Version)
}

// standing appends where the provider stands: "expected Fri 2027-01-15",
// "cancelled".
func (w *icsWriter) standing(n *provided) {
	w.text(n.status)
	if n.status != "cancelled" {
		w.text(" ")
		w.pretty(n.date)
	}
}

func writeRelease(w *icsWriter, g *store.Graph, r *store.Release) {
	w.needs = needsOf(w.needs[:0], g, r)
	needs := w.needs
	id := r.StableID()
	w.beginDay("release-", id, r.Date(), r.Date(), len(r.History), lastChange(r))
	w.prop("SUMMARY:")
	w.ref(r.Ref)
	if r.Status == store.Shipped {
		w.text(" shipped")
	} else {
		w.text(" target")
	}
	w.end()
	w.prop("DESCRIPTION:")
	w.ref(r.Ref)
	if r.Status == store.Shipped {
		w.text(" shipped on ")
		w.pretty(r.Date())
		w.text(" (target ")
		w.pretty(r.Target)
		w.text(").")
	} else {
		w.text(" is planned for ")
		w.pretty(r.Target)
		w.text(".")
		for i := len(r.History) - 1; i >= 0; i-- {
			if h := &r.History[i]; h.Kind == store.HistoryMoved {
				w.text("\nMoved from ")
				w.pretty(h.From)
				w.text(" to ")
				w.pretty(h.To)
				if h.Reason != "" {
					w.text(" because ")
					w.text(h.Reason)
				}
				w.text(".")
				break
			}
		}
		for i := range needs {
			n := &needs[i]
			if i == 0 {
				w.text("\nNeeds ")
			} else {
				w.text(", ")
			}
			w.provider(n)
			if n.ownEvent(r) {
				w.text(" by ")
				w.pretty(n.dep.NeededBy)
			}
			w.text(" (")
			w.standing(n)
			w.text(")")
			if i == len(needs)-1 {
				w.text(".")
			}
		}
	}
	w.end()
	w.endDay(r.Product)
	for _, st := range r.Stages {
		if !st.Planned.IsZero() || !st.Reached.IsZero() {
			writeStage(w, r, id, st)
		}
	}
	for i := range needs {
		if n := &needs[i]; n.ownEvent(r) {
			if n.rel != nil {
				n.id = n.rel.StableID()
			}
			writeNeed(w, r, id, n)
		}
	}
}

// writeStage writes the event of a stage of r (id: its StableID) that has
// a date: the day it was reached, else the day it is planned. Its UID is a
// hash of the release's StableID and the stage's name.
func writeStage(w *icsWriter, r *store.Release, id string, st store.Stage) {
	sum := sha256.Sum256([]byte(id + " stage " + st.Name))
	var uid [24]byte
	hex.Encode(uid[:], sum[:12])
	day, reached := r.StageDate(st.Name)
	w.beginDay("stage-", string(uid[:]), day, day, len(r.History), lastChange(r))
	w.prop("SUMMARY:")
	w.ref(r.Ref)
	w.text(" in " + st.Name)
	if reached {
		w.text(" (reached)")
	}
	w.end()
	w.prop("DESCRIPTION:")
	w.ref(r.Ref)
	if reached {
		w.text(" reached " + st.Name + " on ")
	} else {
		w.text(" is planned to reach " + st.Name + " on ")
	}
	w.pretty(day)
	w.text(" (pipeline " + store.PipelineText(r.Pipeline()) + "; target ")
	w.pretty(r.Target)
	w.text(").")
	w.end()
	w.endDay(r.Product)
}

// writeNeed writes the event of the needed-by date of a dependency of
// consumer (id: its StableID). Its UID is a hash of the consumer's and
// the provider's StableIDs.
func writeNeed(w *icsWriter, consumer *store.Release, id string, n *provided) {
	sum := sha256.Sum256([]byte(id + " " + n.id))
	var uid [24]byte
	hex.Encode(uid[:], sum[:12])
	modified := lastChange(consumer)
	if n.dep.CreatedAt.After(modified) {
		modified = n.dep.CreatedAt
	}
	needed := n.dep.NeededBy
	w.beginDay("need-", string(uid[:]), needed, needed, len(consumer.History), modified)
	w.prop("SUMMARY:")
	w.ref(consumer.Ref)
	w.text(" needs ")
	w.provider(n)
	w.end()
	w.prop("DESCRIPTION:")
	w.ref(consumer.Ref)
	w.text(" needs ")
	w.provider(n)
	w.text(" by ")
	w.pretty(needed)
	w.text(" (the provider: ")
	w.standing(n)
	w.text("; ")
	w.ref(consumer.Ref)
	w.text("'s target: ")
	w.pretty(consumer.Target)
	w.text(").")
	w.end()
	w.endDay(consumer.Product)
}

func writeCR(w *icsWriter, cr *store.ChangeRequest, loc *time.Location) {
	day := store.DateOf(cr.Deadline, loc)
	modified := cr.CreatedAt
	if n := len(cr.History); n > 0 && cr.History[n-1].At.After(modified) {
		modified = cr.History[n-1].At
	}
	w.beginDay("cr-", strconv.Itoa(cr.ID), day, day, len(cr.History), modified)
	w.prop("SUMMARY:")
	w.text(cr.Name())
	w.text(" vote closes: ")
	w.text(cr.Title)
	w.end()
	w.prop("DESCRIPTION:")
	w.text("Change request ")
	w.text(cr.Name())
	w.text(" on ")
	w.ref(cr.Release)
	w.text(": “")
	w.text(cr.Title)
	w.text("”. The vote closes ")
	w.text(cr.Deadline.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	w.text(".")
	w.end()
	w.endDay(cr.Release.Product)
}

func writeFreeze(w *icsWriter, f *store.Freeze) {
	w.beginDay("freeze-", strconv.Itoa(f.ID), f.From, f.To, 0, f.CreatedAt)
	w.prop("SUMMARY:")
	w.text("Freeze ")
	w.text(f.Name())
	w.text(" (")
	w.text(f.ProductsText())
	w.text("): ")
	w.text(f.Reason)
	w.end()
	w.prop("DESCRIPTION:")
	w.text("No release of ")
	w.text(f.ProductsText())
	w.text(" may be targeted from ")
	w.pretty(f.From)
	w.text(" to ")
	w.pretty(f.To)
	w.text(": ")
	w.text(f.Reason)
	w.text(".")
	w.end()
	w.endDay("")
}

// Path is the path of the feed whose token is token, on the
// listener that serves Slack's requests.
func Path(token string) string { return "/calendar/" + token + ".ics" }
