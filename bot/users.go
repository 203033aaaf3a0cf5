package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"relman/store"
)

// Users caches users' IANA time zones from users.info. Zones change rarely,
// so an entry lives for TTL; lookups on the request path use Cached and
// never wait for Slack.
type Users struct {
	API     *slack.Client
	Clock   store.Clock
	TTL     time.Duration // default 12h
	Log     *slog.Logger
	Metrics *Metrics

	mu       sync.Mutex
	zones    map[string]userZone
	inflight map[string]bool
	bg       sync.WaitGroup
}

type userZone struct {
	loc     *time.Location
	fetched time.Time
}

// Location returns the user's zone, asking Slack when the cache has no fresh
// entry. It fails when users.info fails or returns a zone Go does not know.
func (u *Users) Location(ctx context.Context, user string) (*time.Location, error) {
	if loc, fresh := u.lookup(user); fresh {
		return loc, nil
	}
	info, err := u.API.GetUserInfoContext(ctx, user)
	if err != nil {
		u.Metrics.slackError("users.info", errorCode(err))
		return nil, fmt.Errorf("users.info %s: %w", user, err)
	}
	loc, err := time.LoadLocation(info.TZ)
	if err != nil || info.TZ == "" {
		return nil, fmt.Errorf("users.info %s: unknown time zone %q", user, info.TZ)
	}
	u.mu.Lock()
	if u.zones == nil {
		u.zones = make(map[string]userZone)
	}
	u.zones[user] = userZone{loc: loc, fetched: u.Clock.Now()}
	u.mu.Unlock()
	return loc, nil
}

// Cached returns the user's zone if it is cached (fresh or not); when it is
// missing or stale it starts a background refresh. ok is false when nothing
// is cached yet.
func (u *Users) Cached(user string) (*time.Location, bool) {
	loc, fresh := u.lookup(user)
	if !fresh {
		u.refresh(user)
	}
	return loc, loc != nil
}

func (u *Users) lookup(user string) (loc *time.Location, fresh bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	z, ok := u.zones[user]
	if !ok {
		return nil, false
	}
	ttl := u.TTL
	if ttl == 0 {
		ttl = 12 * time.Hour
	}
	return z.loc, u.Clock.Now().Sub(z.fetched) < ttl
}

func (u *Users) refresh(user string) {
	u.mu.Lock()
	if u.inflight == nil {
		u.inflight = make(map[string]bool)
	}
	if u.inflight[user] {
		u.mu.Unlock()
		return
	}
	u.inflight[user] = true
	u.mu.Unlock()
	u.bg.Add(1)
	go func() {
		defer u.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := u.Location(ctx, user); err != nil && u.Log != nil {
			u.Log.Warn("time zone lookup failed", "user", user, "err", err)
		}
		u.mu.Lock()
		delete(u.inflight, user)
		u.mu.Unlock()
	}()
}

// Wait waits for background refreshes to end.
func (u *Users) Wait() { u.bg.Wait() }
