package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// bucketSubscriptions holds digest schedules, by SubscriptionKey (schema 4).
var bucketSubscriptions = []byte("subscriptions")

// Cadence is how often a digest goes out.
type Cadence string

// Digest cadences.
const (
	Daily  Cadence = "daily"
	Weekly Cadence = "weekly"
)

// Subscription is a digest schedule for a channel or a user (SPEC §5): a
// time of day, for weekly digests a day of the week, both in Zone, and the
// products it covers. A target has at most one subscription; subscribing it
// again replaces it.
type Subscription struct {
	// Channel is a channel ID, or a user ID when DM is set.
	Channel string       `json:"channel"`
	DM      bool         `json:"dm,omitempty"`
	Cadence Cadence      `json:"cadence"`
	Weekday time.Weekday `json:"weekday,omitempty"` // weekly only
	Hour    int          `json:"hour"`
	Minute  int          `json:"minute"`
	// Weekends has a daily digest by DM go out on Saturday and Sunday too;
	// without it a daily DM digest comes on weekdays only.
	Weekends bool `json:"weekends,omitempty"`
	// Products it covers, sorted; none means every product.
	Products []string `json:"products,omitempty"`
	// Zone is the IANA zone the schedule is evaluated in: the user's Slack
	// zone, or for a channel the zone of the person who subscribed it.
	Zone      string    `json:"zone"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// SubscriptionKey is the store key of the subscription of a channel, or of
// a user's DMs when dm is set.
func SubscriptionKey(channel string, dm bool) string {
	if dm {
		return "dm " + channel
	}
	return "ch " + channel
}

// Key is the store key of s (see SubscriptionKey); DigestKey names its
// slots with it.
func (s *Subscription) Key() string { return SubscriptionKey(s.Channel, s.DM) }

// OnDay reports whether s has a slot on day (a weekday in s's zone): a
// weekly digest on its weekday, a daily one every day, but a daily DM
// digest on weekdays only unless Weekends is set.
func (s *Subscription) OnDay(day time.Weekday) bool {
	switch {
	case s.Cadence == Weekly:
		return day == s.Weekday
	case s.DM && !s.Weekends:
		return day != time.Saturday && day != time.Sunday
	}
	return true
}

// Location returns the zone the schedule is evaluated in; UTC when Zone is
// empty or unknown to this build (Validate refuses those).
func (s *Subscription) Location() *time.Location {
	loc, err := time.LoadLocation(s.Zone)
	if err != nil || s.Zone == "" {
		return time.UTC
	}
	return loc
}

// Covers reports whether the subscription's digest includes product.
func (s *Subscription) Covers(product string) bool {
	return len(s.Products) == 0 || slices.Contains(s.Products, product)
}

// Validate checks s and returns an EInvalid *Error that says what is wrong.
func (s *Subscription) Validate() error {
	switch {
	case s.Channel == "":
		return Errorf(EInvalid, "a digest needs a channel or a person to go to")
	case s.Cadence != Daily && s.Cadence != Weekly:
		return Errorf(EInvalid, "%q is not a digest schedule: daily or weekly", clip(string(s.Cadence), 20))
	case s.Weekday < time.Sunday || s.Weekday > time.Saturday:
		return Errorf(EInvalid, "%d is not a day of the week", s.Weekday)
	case s.Hour < 0 || s.Hour > 23 || s.Minute < 0 || s.Minute > 59:
		return Errorf(EInvalid, "%02d:%02d is not a time of day", s.Hour, s.Minute)
	case s.Zone == "":
		return Errorf(EInvalid, "a digest needs a time zone")
	}
	if _, err := time.LoadLocation(s.Zone); err != nil {
		return Errorf(EInvalid, "%q is not a time zone", clip(s.Zone, 64))
	}
	for _, p := range s.Products {
		if _, err := NormalizeProduct(p); err != nil {
			return err
		}
	}
	return nil
}

// Subscription returns the subscription with the given key
// (SubscriptionKey), or an ENotFound *Error.
func (tx *Tx) Subscription(key string) (*Subscription, error) {
	s, err := get[Subscription](tx, bucketSubscriptions, key)
	if err == nil && s == nil {
		err = Errorf(ENotFound, "there is no digest subscription %q", clip(key, 64))
	}
	return s, err
}

// Subscriptions returns every subscription, ordered by key.
func (tx *Tx) Subscriptions() ([]Subscription, error) {
	return all[Subscription](tx, bucketSubscriptions, "")
}

// PutSubscription validates and stores s (its products sorted, each once),
// replacing the target's previous subscription, and audits it under
// action. Subscriptions are not part of the release graph, so they leave
// Store.Generation as it is.
func (tx *Tx) PutSubscription(action string, s *Subscription) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(s.Products) > 0 {
		s.Products = slices.Compact(slices.Sorted(slices.Values(s.Products)))
	}
	after, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode subscription %s: %w", s.Key(), err)
	}
	b := tx.kv.Bucket(bucketSubscriptions)
	key := s.Key()
	if err := tx.audit(action, "digest "+key, b.Get(tx.key(key)), after); err != nil {
		return err
	}
	return b.Put(tx.key(key), after)
}

// DeleteSubscription removes the subscription with the given key, audited
// under action, and reports whether there was one.
func (tx *Tx) DeleteSubscription(action, key string) (bool, error) {
	b := tx.kv.Bucket(bucketSubscriptions)
	before := b.Get(tx.key(key))
	if before == nil {
		return false, nil
	}
	if err := tx.audit(action, "digest "+key, before, nil); err != nil {
		return false, err
	}
	return true, b.Delete(tx.key(key))
}
