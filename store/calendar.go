package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// CalendarFeed is a subscription to the calendar feed (SPEC §2 `/release
// calendar`): whose it is and for which products (sorted; none means every
// product). The feed is reached at /calendar/<token>.ics, and the token is
// the only credential, so the store never keeps it: a feed is stored under
// the SHA-256 of its token (Key), and the audit log sees only that hash. A
// lost address cannot be shown again; asking again makes a new one.
type CalendarFeed struct {
	// Key is the hex SHA-256 of the feed's token (CalendarKey).
	Key       string    `json:"key"`
	User      string    `json:"user"`
	Products  []string  `json:"products,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Covers reports whether the feed shows product.
func (c *CalendarFeed) Covers(product string) bool {
	return len(c.Products) == 0 || slices.Contains(c.Products, product)
}

// calendarTokenBytes is how much randomness a token carries: 192 bits.
const calendarTokenBytes = 24

// CalendarTokenLen is the length of a token as NewCalendarFeed makes it.
var CalendarTokenLen = base64.RawURLEncoding.EncodedLen(calendarTokenBytes)

// CalendarKey is the store key of the feed whose token is token: the hex
// SHA-256 of it. Tokens are random, so an unsalted hash is as safe as the
// token itself is unguessable.
func CalendarKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// validToken reports whether s could be a token NewCalendarFeed made: so
// that a malformed one costs no database read.
func validToken(s string) bool {
	if len(s) != CalendarTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func calendarSubject(user string) string { return "calendar of " + user }

// NewCalendarFeed makes a feed for user (tx's actor when empty) showing
// products (none: every product), with a new random token, and returns the
// token: the only time it is known. A feed the user had for the same
// products is replaced, so its old address stops working (replaced says
// so). Products are not checked to exist here. Feeds are not part of the
// release graph: they leave the generation as it is.
func (tx *Tx) NewCalendarFeed(action, user string, products []string) (token string, replaced bool, err error) {
	if user == "" {
		user = tx.actor
	}
	if user == "" {
		return "", false, Errorf(EInvalid, "a calendar feed needs a person it belongs to")
	}
	products = sortedSet(products)
	for _, p := range products {
		if _, err := NormalizeProduct(p); err != nil {
			return "", false, err
		}
	}
	mine, err := tx.CalendarFeedsOf(user)
	if err != nil {
		return "", false, err
	}
	b := tx.kv.Bucket(bucketCalendars)
	for _, old := range mine {
		if slices.Equal(old.Products, products) {
			if err := tx.deleteCalendarFeed(action, &old); err != nil {
				return "", false, err
			}
			replaced = true
		}
	}
	var raw [calendarTokenBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", false, fmt.Errorf("new calendar token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw[:])
	c := &CalendarFeed{Key: CalendarKey(token), User: user, Products: products, CreatedAt: tx.at, CreatedBy: tx.actor}
	after, err := json.Marshal(c)
	if err != nil {
		return "", false, fmt.Errorf("encode calendar feed: %w", err)
	}
	if err := tx.audit(action, calendarSubject(user), nil, after); err != nil {
		return "", false, err
	}
	return token, replaced, b.Put([]byte(c.Key), after)
}

// CalendarFeedByToken returns the feed whose token is token, or an
// ENotFound *Error that says nothing about why (malformed, never made, or
// revoked).
func (tx *Tx) CalendarFeedByToken(token string) (*CalendarFeed, error) {
	var c *CalendarFeed
	var err error
	if validToken(token) {
		c, err = get[CalendarFeed](tx, bucketCalendars, CalendarKey(token))
	}
	if err == nil && c == nil {
		err = Errorf(ENotFound, "there is no such calendar feed")
	}
	return c, err
}

// CalendarFeeds returns every feed, ordered by key.
func (tx *Tx) CalendarFeeds() ([]CalendarFeed, error) {
	return all[CalendarFeed](tx, bucketCalendars, "")
}

// CalendarFeedsOf returns user's feeds, ordered by key.
func (tx *Tx) CalendarFeedsOf(user string) ([]CalendarFeed, error) {
	cs, err := tx.CalendarFeeds()
	return slices.DeleteFunc(cs, func(c CalendarFeed) bool { return c.User != user }), err
}

// RevokeCalendarFeeds ends every feed of user, audited under action, and
// returns how many there were.
func (tx *Tx) RevokeCalendarFeeds(action, user string) (int, error) {
	mine, err := tx.CalendarFeedsOf(user)
	if err != nil {
		return 0, err
	}
	for i := range mine {
		if err := tx.deleteCalendarFeed(action, &mine[i]); err != nil {
			return 0, err
		}
	}
	return len(mine), nil
}

func (tx *Tx) deleteCalendarFeed(action string, c *CalendarFeed) error {
	b := tx.kv.Bucket(bucketCalendars)
	k := []byte(c.Key)
	before := b.Get(k)
	if before == nil {
		return nil
	}
	if err := tx.audit(action, calendarSubject(c.User), before, nil); err != nil {
		return err
	}
	return b.Delete(k)
}

// keyCRGeneration counts the committed changes to change requests: CCB is
// kept apart from Store.Generation, but a calendar feed shows CR deadlines.
var keyCRGeneration = []byte("cr generation")

// bumpCRGeneration records a change to a change request in tx.
func (tx *Tx) bumpCRGeneration() error {
	meta := tx.kv.Bucket(bucketMeta)
	var n uint64
	if b := meta.Get(keyCRGeneration); len(b) == 8 {
		n = binary.BigEndian.Uint64(b)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n+1)
	return meta.Put(keyCRGeneration, b[:])
}

// FeedStamp identifies what a calendar feed is computed from besides its
// subscription: equal stamps mean the same releases, dependencies, external
// items, freezes and change requests.
type FeedStamp struct {
	Generation uint64 // Store.Generation
	CRs        uint64 // changes to change requests
}

// String is the stamp as "generation.crs".
func (s FeedStamp) String() string {
	return strconv.FormatUint(s.Generation, 10) + "." + strconv.FormatUint(s.CRs, 10)
}

// FeedStamp returns the stamp of the data tx sees.
func (tx *Tx) FeedStamp() FeedStamp {
	st := FeedStamp{Generation: tx.gen}
	if b := tx.kv.Bucket(bucketMeta).Get(keyCRGeneration); len(b) == 8 {
		st.CRs = binary.BigEndian.Uint64(b)
	}
	return st
}

// StableID names the release for as long as it exists, whatever it is
// renamed to (`/release set … version|product`): its first name, from the
// history of renames, and the instant it was added. Calendar events use it
// as their UID so that a renamed release stays the same event. It is safe
// in an iCalendar UID and a URL path.
func (r *Release) StableID() string {
	name := r.Key()
	for _, h := range r.History {
		if h.Kind == HistoryRenamed && h.FromName != "" {
			name = h.FromName
			break
		}
	}
	var b bytes.Buffer
	b.WriteString(name)
	if !r.CreatedAt.IsZero() {
		b.WriteByte('.')
		b.WriteString(strconv.FormatInt(r.CreatedAt.Unix(), 10))
	}
	return b.String()
}
