package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	for _, p := range products {
		for _, r := range g.ReleasesOf(p) {
			if r.Status == store.Cancelled {
				continue
			}
			addReleaseEvent(cal, r)
		}
	}
	for _, p := range products {
		for _, r := range g.ReleasesOf(p) {
			if r.Status != store.Planned {
				continue
			}
			for _, d := range g.Dependencies(r.Ref) {
				addNeedEvent(cal, g, r, d)
			}
		}
	}
	for i := range crs {
		cr := &crs[i]
		if cr.Open() && feed.Covers(cr.Release.Product) {
			addCREvent(cal, cr, loc)
		}
	}
	for i := range freezes {
		fz := &freezes[i]
		if fz.All() || len(feed.Products) == 0 || coversAny(fz, feed.Products) {
			addFreezeEvent(cal, fz)
		}
	}
	var b bytes.Buffer
	b.Grow(512 * len(cal.Components))
	// RFC 5545 §3.1: lines end with CRLF (the library's default is the
	// platform's line ending).
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return nil, fmt.Errorf("write calendar: %w", err)
	}
	return b.Bytes(), nil
}

func coversAny(f *store.Freeze, products []string) bool {
	for _, p := range products {
		if f.Covers(p) {
			return true
		}
	}
	return false
}

// newDayEvent adds an all-day event from first to last (inclusive), that
// does not make its subscriber busy.
func newDayEvent(cal *ics.Calendar, uid string, first, last store.Date, seq int, created, modified time.Time) *ics.VEvent {
	e := cal.AddEvent(uid)
	if modified.IsZero() {
		modified = created
	}
	e.SetDtStampTime(modified)
	if !created.IsZero() {
		e.SetCreatedTime(created)
	}
	e.SetLastModifiedAt(modified)
	e.SetSequence(seq)
	e.SetAllDayStartAt(first.Time(time.UTC))
	e.SetAllDayEndAt(last.AddDays(1).Time(time.UTC)) // DTEND is exclusive
	e.SetProperty(ics.ComponentPropertyTransp, "TRANSPARENT")
	return e
}

// lastChange is when r last changed: its last history entry, else when it
// was added.
func lastChange(r *store.Release) time.Time {
	if n := len(r.History); n > 0 && !r.History[n-1].At.IsZero() {
		return r.History[n-1].At
	}
	return r.CreatedAt
}

func addReleaseEvent(cal *ics.Calendar, r *store.Release) {
	e := newDayEvent(cal, "release-"+r.StableID()+uidDomain, r.Date(), r.Date(), len(r.History), r.CreatedAt, lastChange(r))
	var desc strings.Builder
	if r.Status == store.Shipped {
		e.SetSummary(r.Ref.String() + " shipped")
		fmt.Fprintf(&desc, "%s shipped on %s (target %s).", r.Ref, r.Date().Pretty(), r.Target.Pretty())
	} else {
		e.SetSummary(r.Ref.String() + " target")
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
	e.SetDescription(desc.String())
	e.AddCategory(r.Product)
}

func addNeedEvent(cal *ics.Calendar, g *store.Graph, consumer *store.Release, d store.Dependency) {
	var provider, providerID, due string
	if d.IsExternal() {
		x := g.External(d.External)
		if x == nil {
			return
		}
		provider, providerID, due = feedText(x.Name), "ext:"+d.External, x.Due.Pretty()
	} else {
		p := g.Release(d.Provider)
		if p == nil {
			return
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
	e := newDayEvent(cal, "need-"+hex.EncodeToString(id[:12])+uidDomain, needed, needed, len(consumer.History), d.CreatedAt, modified)
	e.SetSummary(consumer.Ref.String() + " needs " + provider)
	e.SetDescription(fmt.Sprintf("%s needs %s by %s (provider's date: %s; %s's target: %s).",
		consumer.Ref, provider, needed.Pretty(), due, consumer.Ref, consumer.Target.Pretty()))
	e.AddCategory(consumer.Product)
}

func addCREvent(cal *ics.Calendar, cr *store.ChangeRequest, loc *time.Location) {
	day := store.DateOf(cr.Deadline, loc)
	modified := cr.CreatedAt
	if n := len(cr.History); n > 0 && cr.History[n-1].At.After(modified) {
		modified = cr.History[n-1].At
	}
	e := newDayEvent(cal, fmt.Sprintf("cr-%d%s", cr.ID, uidDomain), day, day, len(cr.History), cr.CreatedAt, modified)
	e.SetSummary(cr.Name() + " vote closes: " + feedText(cr.Title))
	e.SetDescription(fmt.Sprintf("Change request %s on %s: “%s”. The vote closes %s.",
		cr.Name(), cr.Release, feedText(cr.Title), cr.Deadline.In(loc).Format("Mon 2006-01-02 15:04 MST")))
	e.AddCategory(cr.Release.Product)
}

func addFreezeEvent(cal *ics.Calendar, f *store.Freeze) {
	e := newDayEvent(cal, fmt.Sprintf("freeze-%d%s", f.ID, uidDomain), f.From, f.To, 0, f.CreatedAt, f.CreatedAt)
	e.SetSummary(fmt.Sprintf("Freeze %s (%s): %s", f.Name(), f.ProductsText(), feedText(f.Reason)))
	e.SetDescription(fmt.Sprintf("No release of %s may be targeted from %s to %s: %s.", f.ProductsText(), f.From.Pretty(), f.To.Pretty(), feedText(f.Reason)))
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
