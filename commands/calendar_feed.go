package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"

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
		body, err := CalendarBody(tx, feed, f.loc())
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

// CalendarBody writes the iCalendar document of feed as tx sees the data:
// for the feed's products (none: every product), an all-day event for
// each release's target (its ship date once shipped; cancelled releases
// are left out), for the needed-by date of each dependency of a planned
// release, for the deadline of each open change request (its date in loc),
// and for each freeze that covers one of the products or all of them,
// over its days. Event UIDs come from what the event is about, never its
// dates (Release.StableID, CR and freeze numbers), so a moved release
// moves in a subscribed calendar instead of appearing twice; SEQUENCE
// counts the changes to it, and DTSTAMP and LAST-MODIFIED say when it last
// changed. The document depends on nothing but tx and loc.
func CalendarBody(tx *store.Tx, feed *store.CalendarFeed, loc *time.Location) ([]byte, error) {
	g, err := tx.Graph()
	if err != nil {
		return nil, err
	}
	crs, err := tx.ChangeRequests()
	if err != nil {
		return nil, err
	}
	freezes, err := tx.Freezes()
	if err != nil {
		return nil, err
	}
	cal := ics.NewCalendarFor("relman")
	cal.SetProductId("-//relman//Release calendar//EN")
	cal.SetCalscale("GREGORIAN")
	name := "Releases · " + productList(feed.Products)
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
	for _, p := range products {
		for _, r := range g.ReleasesOf(p) {
			if r.Status != store.Planned {
				continue
			}
			for _, d := range g.Dependencies(r.Ref) {
				items = append(items, feedItem{release: r, dep: &d})
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

	// The calendar's own lines, then the events, then its end. Events are
	// written in parts by as many goroutines as there are CPUs (a feed of
	// every product can hold tens of thousands), each part into its own
	// buffer, and joined in order, so the document is the same however
	// many wrote it.
	// RFC 5545 §3.1: lines end with CRLF (the library's default is the
	// platform's line ending).
	cfg := &ics.SerializationConfiguration{MaxLength: 75, PropertyMaxLength: 75, NewLine: string(ics.WithNewLineWindows)}
	const end = "END:VCALENDAR"
	head := cal.Serialize(cfg)
	head = strings.TrimSuffix(head, end+cfg.NewLine)
	parts := min(runtime.GOMAXPROCS(0), max(1, len(items)/1000))
	bufs := make([]bytes.Buffer, parts)
	var wg sync.WaitGroup
	for w := range parts {
		lo, hi := w*len(items)/parts, (w+1)*len(items)/parts
		wg.Go(func() {
			b := &bufs[w]
			b.Grow(600 * (hi - lo))
			for i := lo; i < hi; i++ {
				if e := items[i].event(g, loc); e != nil { // nil: a dangling edge
					e.SerializeTo(b, cfg)
				}
			}
		})
	}
	wg.Wait()
	var b bytes.Buffer
	n := len(head) + len(end) + len(cfg.NewLine)
	for i := range bufs {
		n += bufs[i].Len()
	}
	b.Grow(n)
	b.WriteString(head)
	for i := range bufs {
		b.Write(bufs[i].Bytes())
	}
	b.WriteString(end + cfg.NewLine)
	return b.Bytes(), nil
}

// feedItem is what one event of a feed is about: a release (with dep, the
// need of a dependency of it), a change request or a freeze.
type feedItem struct {
	release *store.Release
	dep     *store.Dependency
	cr      *store.ChangeRequest
	freeze  *store.Freeze
}

func (it *feedItem) event(g *store.Graph, loc *time.Location) *ics.VEvent {
	switch {
	case it.dep != nil:
		return needEvent(g, it.release, it.dep)
	case it.release != nil:
		return releaseEvent(it.release)
	case it.cr != nil:
		return crEvent(it.cr, loc)
	}
	return freezeEvent(it.freeze)
}

func coversAny(f *store.Freeze, products []string) bool {
	for _, p := range products {
		if f.Covers(p) {
			return true
		}
	}
	return false
}

// dateParam marks a DTSTART or DTEND as a date. The writer only reads it,
// so every event shares it.
var dateParam = map[string][]string{string(ics.ParameterValue): {string(ics.ValueDataTypeDate)}}

// newDayEvent returns an all-day event from first to last (inclusive) that
// does not make its subscriber busy. Its properties are appended directly:
// the library's setters look for an existing property and make a map of
// parameters for each, which costs more than the rest of the feed.
func newDayEvent(uid string, first, last store.Date, seq int, created, modified time.Time) *ics.VEvent {
	if modified.IsZero() {
		modified = created
	}
	e := &ics.VEvent{ComponentBase: ics.ComponentBase{Properties: make([]ics.IANAProperty, 0, 11)}}
	stamp := icalStamp(modified)
	add := func(p ics.ComponentProperty, v string, params map[string][]string) {
		e.Properties = append(e.Properties, ics.IANAProperty{BaseProperty: ics.BaseProperty{IANAToken: string(p), Value: v, ICalParameters: params}})
	}
	add(ics.ComponentPropertyUniqueId, uid, nil)
	add(ics.ComponentPropertyDtstamp, stamp, nil)
	if !created.IsZero() {
		add(ics.ComponentPropertyCreated, icalStamp(created), nil)
	}
	add(ics.ComponentPropertyLastModified, stamp, nil)
	add(ics.ComponentPropertySequence, strconv.Itoa(seq), nil)
	add(ics.ComponentPropertyDtStart, icalDate(first), dateParam)
	add(ics.ComponentPropertyDtEnd, icalDate(last.AddDays(1)), dateParam) // DTEND is exclusive
	add(ics.ComponentPropertyTransp, "TRANSPARENT", nil)
	return e
}

// text adds a TEXT property (the writer escapes it).
func text(e *ics.VEvent, p ics.ComponentProperty, v string) {
	e.Properties = append(e.Properties, ics.IANAProperty{BaseProperty: ics.BaseProperty{IANAToken: string(p), Value: v}})
}

// icalStamp is t as an iCalendar UTC date-time: 20270104T090000Z.
func icalStamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icalDate is d as an iCalendar date: 20270104.
func icalDate(d store.Date) string { return strings.ReplaceAll(d.String(), "-", "") }

// lastChange is when r last changed: its last history entry, else when it
// was added.
func lastChange(r *store.Release) time.Time {
	if n := len(r.History); n > 0 && !r.History[n-1].At.IsZero() {
		return r.History[n-1].At
	}
	return r.CreatedAt
}

func releaseEvent(r *store.Release) *ics.VEvent {
	e := newDayEvent("release-"+r.StableID()+uidDomain, r.Date(), r.Date(), len(r.History), r.CreatedAt, lastChange(r))
	var desc strings.Builder
	if r.Status == store.Shipped {
		text(e, ics.ComponentPropertySummary, r.Ref.String()+" shipped")
		fmt.Fprintf(&desc, "%s shipped on %s (target %s).", r.Ref, r.Date().Pretty(), r.Target.Pretty())
	} else {
		text(e, ics.ComponentPropertySummary, r.Ref.String()+" target")
		fmt.Fprintf(&desc, "%s is planned for %s.", r.Ref, r.Target.Pretty())
		for i := len(r.History) - 1; i >= 0; i-- {
			if h := r.History[i]; h.Kind == "moved" {
				fmt.Fprintf(&desc, "\nMoved from %s to %s", h.From.Pretty(), h.To.Pretty())
				if h.Reason != "" {
					desc.WriteString(" because " + feedText(h.Reason))
				}
				desc.WriteString(".")
				break
			}
		}
	}
	text(e, ics.ComponentPropertyDescription, desc.String())
	text(e, ics.ComponentPropertyCategories, r.Product)
	return e
}

func needEvent(g *store.Graph, consumer *store.Release, d *store.Dependency) *ics.VEvent {
	var provider, providerID, due string
	if d.IsExternal() {
		x := g.External(d.External)
		if x == nil {
			return nil
		}
		provider, providerID, due = feedText(x.Name), "ext:"+d.External, x.Due.Pretty()
	} else {
		p := g.Release(d.Provider)
		if p == nil {
			return nil
		}
		provider, providerID, due = p.Ref.String(), p.StableID(), p.Date().Pretty()
		if p.Status == store.Cancelled {
			due = "cancelled"
		}
	}
	needed := d.NeededBy
	if needed.IsZero() {
		needed = consumer.Target
	}
	id := sha256.Sum256([]byte(consumer.StableID() + " " + providerID))
	modified := lastChange(consumer)
	if d.CreatedAt.After(modified) {
		modified = d.CreatedAt
	}
	e := newDayEvent("need-"+hex.EncodeToString(id[:12])+uidDomain, needed, needed, len(consumer.History), d.CreatedAt, modified)
	c := consumer.Ref.String()
	text(e, ics.ComponentPropertySummary, c+" needs "+provider)
	text(e, ics.ComponentPropertyDescription, c+" needs "+provider+" by "+needed.Pretty()+" (provider's date: "+due+"; "+c+"'s target: "+consumer.Target.Pretty()+").")
	text(e, ics.ComponentPropertyCategories, consumer.Product)
	return e
}

func crEvent(cr *store.ChangeRequest, loc *time.Location) *ics.VEvent {
	day := store.DateOf(cr.Deadline, loc)
	modified := cr.CreatedAt
	if n := len(cr.History); n > 0 && cr.History[n-1].At.After(modified) {
		modified = cr.History[n-1].At
	}
	e := newDayEvent(fmt.Sprintf("cr-%d%s", cr.ID, uidDomain), day, day, len(cr.History), cr.CreatedAt, modified)
	text(e, ics.ComponentPropertySummary, cr.Name()+" vote closes: "+feedText(cr.Title))
	text(e, ics.ComponentPropertyDescription, fmt.Sprintf("Change request %s on %s: “%s”. The vote closes %s.",
		cr.Name(), cr.Release, feedText(cr.Title), cr.Deadline.In(loc).Format("Mon 2006-01-02 15:04 MST")))
	text(e, ics.ComponentPropertyCategories, cr.Release.Product)
	return e
}

func freezeEvent(f *store.Freeze) *ics.VEvent {
	e := newDayEvent(fmt.Sprintf("freeze-%d%s", f.ID, uidDomain), f.From, f.To, 0, f.CreatedAt, f.CreatedAt)
	text(e, ics.ComponentPropertySummary, fmt.Sprintf("Freeze %s (%s): %s", f.Name(), f.ProductsText(), feedText(f.Reason)))
	text(e, ics.ComponentPropertyDescription, fmt.Sprintf("No release of %s may be targeted from %s to %s: %s.", f.ProductsText(), f.From.Pretty(), f.To.Pretty(), feedText(f.Reason)))
	return e
}

// feedText is user text fit for an iCalendar TEXT value: line breaks kept
// as such, other control characters (which the writer would pass through
// and break the line structure with) as spaces.
func feedText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			return ' '
		}
		return r
	}, s)
}
